import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CodeCommitClient, GetBranchCommand, GetCommitCommand } from '@aws-sdk/client-codecommit';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../../local/cli/dispatch';
import { startRemoteRelease } from '../../../local/cli/remote-release';
import { testTempDir } from '../../support/test-temp-dir';

const sfn = mockClient(SFNClient);
const cc = mockClient(CodeCommitClient);
const ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:SluicePipeline-Release';
const HEAD = '0123456789abcdef0123456789abcdef01234567';
const catalogFile = join(testTempDir('remote-'), 'sluice.catalog.json');
writeFileSync(
  catalogFile,
  JSON.stringify({
    version: 1,
    services: [
      {
        name: 'checkout',
        mode: 'deployment',
        source: { repository: 'checkout' },
        runtime: { entry: 'src/handler.ts' },
      },
      {
        name: 'octo',
        mode: 'deployment',
        source: { repository: 'acme/octo', provider: 'github' },
        runtime: { entry: 'src/handler.ts' },
      },
    ],
  }),
);

beforeEach(() => {
  sfn.reset();
  cc.reset();
  cc.on(GetBranchCommand).resolves({ branch: { branchName: 'main', commitId: HEAD } });
  cc.on(GetCommitCommand).resolves({ commit: { commitId: HEAD, message: 'm', author: { name: 'Dana' } } });
  sfn
    .on(StartExecutionCommand)
    .resolves({ executionArn: `${ARN.replace('stateMachine', 'execution')}:x`, startDate: new Date() });
});
afterAll(() => {
  sfn.restore();
  cc.restore();
});

describe('sluice release --state-machine-arn', () => {
  it('resolves the tracked branch head and starts the execution the router would name for that push', async () => {
    const out = await startRemoteRelease({
      catalogFile,
      service: 'checkout',
      stateMachineArn: ARN,
      actor: 'dana',
    });
    expect(cc.commandCalls(GetBranchCommand)[0]?.args[0].input).toEqual({
      repositoryName: 'checkout',
      branchName: 'main',
    });
    const input = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(input).toEqual({
      stateMachineArn: ARN,
      name: 'checkout-0123456789ab',
      input: JSON.stringify({
        releaseId: 'checkout-0123456789ab',
        service: 'checkout',
        commit: HEAD,
        trigger: { source: 'manual', actor: 'dana' },
      }),
    });
    expect(out).toMatchObject({ releaseId: 'checkout-0123456789ab', status: 'started' });
    expect(await sfn.call(0).thisValue.config.region()).toBe('eu-west-1');
  });

  it('expands a short --commit to the full sha, and reports a duplicate as already started', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    const out = await startRemoteRelease({
      catalogFile,
      service: 'checkout',
      stateMachineArn: ARN,
      commit: '0123456',
    });
    expect(cc.commandCalls(GetCommitCommand)[0]?.args[0].input).toEqual({
      repositoryName: 'checkout',
      commitId: '0123456',
    });
    expect(out).toMatchObject({ status: 'duplicate', request: { commit: HEAD } });
  });

  it('needs a full sha for a GitHub service, a real ARN, and a known service', async () => {
    await expect(
      startRemoteRelease({ catalogFile, service: 'octo', stateMachineArn: ARN, commit: 'abc' }),
    ).rejects.toThrow(/octo is on GitHub: pass --commit with the full 40-character sha; received "abc"/);
    await expect(
      startRemoteRelease({ catalogFile, service: 'checkout', stateMachineArn: 'my-machine' }),
    ).rejects.toThrow(/--state-machine-arn must be a state machine ARN .*received "my-machine"/);
    await expect(
      startRemoteRelease({ catalogFile, service: 'chekout', stateMachineArn: ARN }),
    ).rejects.toThrow(/Unknown service "chekout"; did you mean `checkout`/);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('runs from the command line and prints the execution', async () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const errors = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const code = await runCli([
        'release',
        'checkout',
        '--config',
        catalogFile,
        '--state-machine-arn',
        ARN,
        '--commit',
        HEAD,
      ]);
      expect({ code, err: errors.mock.calls.map((c) => String(c[0])).join('') }).toEqual({
        code: 0,
        err: '',
      });
      expect(write.mock.calls.map((c) => String(c[0])).join('')).toContain(
        '▶ checkout-0123456789ab started: arn:aws:states:',
      );
    } finally {
      write.mockRestore();
      errors.mockRestore();
    }
    expect(cc.commandCalls(GetCommitCommand)).toHaveLength(0);
  });
});
