import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SfnExecutionStarter } from '../../../lambdas/adapters/aws/sfn-execution-starter';
import type { Catalog } from '../../../lambdas/core/catalog/types';
import type { ReleaseRequest } from '../../../lambdas/core/model';
import { type RouterPorts, routeEvent } from '../../../lambdas/router/router';
import { service } from '../../lib/fixtures';
import { awsError } from '../adapters/aws/helpers';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:SluicePipeline-Release';

const catalog: Catalog = {
  version: 1,
  services: [
    service('api', { source: { repository: 'shop', path: 'services/api' } }),
    service('web', { source: { repository: 'shop', path: 'services/web' } }),
  ],
};

function codeCommit(detail: Record<string, unknown> = {}) {
  return {
    source: 'aws.codecommit',
    'detail-type': 'CodeCommit Repository State Change',
    detail: {
      event: 'referenceUpdated',
      repositoryName: 'shop',
      referenceType: 'branch',
      referenceName: 'main',
      commitId: B,
      oldCommitId: A,
      callerUserArn: 'arn:aws:iam::123456789012:user/dana',
      ...detail,
    },
  };
}

function fakePorts(changed: string[] | undefined, fail: string[] = []) {
  const started: ReleaseRequest[] = [];
  const diffs: unknown[][] = [];
  const ports: RouterPorts = {
    catalog: { load: async () => catalog },
    source: {
      resolveCommit: async () => {
        throw new Error('not used');
      },
      checkout: async () => undefined,
      listCommits: async () => [],
      changedPaths: async (...args) => {
        diffs.push(args.slice(1));
        return changed;
      },
    },
    executions: {
      start: async (request) => {
        if (fail.includes(request.service)) throw awsError('ThrottlingException', { status: 400 });
        started.push(request);
        return { status: 'started' };
      },
    },
  };
  return { ports, started, diffs };
}

describe('routeEvent', () => {
  it('asks the repository which files a CodeCommit push changed, and starts only the touched services', async () => {
    const f = fakePorts(['services/web/index.html']);
    const outcome = await routeEvent(codeCommit(), f.ports);
    expect(f.diffs).toEqual([[A, B]]);
    expect(outcome.releases).toEqual([{ service: 'web', releaseId: 'web-bbbbbbbbbbbb', status: 'started' }]);
    expect(f.started).toEqual([
      {
        releaseId: 'web-bbbbbbbbbbbb',
        service: 'web',
        commit: B,
        trigger: { source: 'codecommit', actor: 'arn:aws:iam::123456789012:user/dana' },
      },
    ]);
  });

  it('starts nothing for a push touching neither service, and says why', async () => {
    const f = fakePorts(['README.md']);
    expect(await routeEvent(codeCommit(), f.ports)).toEqual({
      releases: [],
      ignored: 'the push to shop main touches none of api, web',
    });
    expect(f.started).toEqual([]);
  });

  it('ignores tags, deleted and untracked branches without loading anything', async () => {
    const f = fakePorts(undefined);
    for (const detail of [{ referenceType: 'tag' }, { event: 'referenceDeleted' }]) {
      expect((await routeEvent(codeCommit(detail), f.ports)).ignored).toBeDefined();
    }
    expect((await routeEvent(codeCommit({ referenceName: 'dev' }), f.ports)).ignored).toBe(
      'branch dev of shop is not tracked by any service',
    );
    expect(f.started).toEqual([]);
  });

  it('fails (so EventBridge retries) when a start fails, after starting the others', async () => {
    const f = fakePorts(undefined, ['api']);
    await expect(
      routeEvent(codeCommit({ event: 'referenceCreated', oldCommitId: undefined }), f.ports),
    ).rejects.toMatchObject({
      name: 'StartExecutionFailedError',
      message: expect.stringMatching(
        /Could not start 1 of 2 releases for shop main@bbbbbbbbbbbb \(api: ThrottlingException/,
      ),
    });
    expect(f.started.map((r) => r.service)).toEqual(['web']);
  });
});

describe('SfnExecutionStarter', () => {
  const sfn = mockClient(SFNClient);
  beforeEach(() => sfn.reset());
  afterAll(() => sfn.restore());
  const request: ReleaseRequest = {
    releaseId: 'api-bbbbbbbbbbbb',
    service: 'api',
    commit: B,
    trigger: { source: 'github' },
  };

  it('starts an execution named by the release id with the request as input', async () => {
    sfn
      .on(StartExecutionCommand)
      .resolves({ executionArn: `${ARN}:api-bbbbbbbbbbbb`, startDate: new Date() });
    const out = await new SfnExecutionStarter(new SFNClient({}), ARN).start(request);
    expect(out).toEqual({ status: 'started', executionArn: `${ARN}:api-bbbbbbbbbbbb` });
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: ARN,
      name: 'api-bbbbbbbbbbbb',
      input: JSON.stringify(request),
    });
  });

  it("names a retry's execution by its attempt, so it is a new execution of the same release", async () => {
    sfn
      .on(StartExecutionCommand)
      .resolves({ executionArn: `${ARN}:api-bbbbbbbbbbbb-a02`, startDate: new Date() });
    const retry = { ...request, attempt: 2 };
    expect(await new SfnExecutionStarter(new SFNClient({}), ARN).start(retry)).toEqual({
      status: 'started',
      executionArn: `${ARN}:api-bbbbbbbbbbbb-a02`,
    });
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: ARN,
      name: 'api-bbbbbbbbbbbb-a02',
      input: JSON.stringify(retry),
    });
  });

  it('counts ExecutionAlreadyExists as a duplicate, not a failure', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    expect(await new SfnExecutionStarter(new SFNClient({}), ARN).start(request)).toEqual({
      status: 'duplicate',
    });
  });

  it('turns throttling into a TransientError and passes other errors through', async () => {
    sfn.on(StartExecutionCommand).rejects(awsError('ThrottlingException'));
    await expect(new SfnExecutionStarter(new SFNClient({}), ARN).start(request)).rejects.toMatchObject({
      name: 'TransientError',
    });
    sfn.on(StartExecutionCommand).rejects(awsError('StateMachineDoesNotExist'));
    await expect(new SfnExecutionStarter(new SFNClient({}), ARN).start(request)).rejects.toMatchObject({
      name: 'StateMachineDoesNotExist',
    });
  });
});
