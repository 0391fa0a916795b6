/**
 * `sluice approve|reject|approvals --aws`: the policy core against a ledger table (DynamoDB Local standing in
 * for the deployed one, through a real DocumentClient) and the exact Step Functions commands it sends.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Ledger } from '../../../lambdas/ledger/ledger';
import { awsApprovalsBackend } from '../../../local/cli/approvals-aws';
import { runCli } from '../../../local/cli/dispatch';
import { startTestLedger, type TestLedger } from '../../support/dynamodb';
import { testTempDir } from '../../support/test-temp-dir';

const catalogFile = join(testTempDir('approvals-aws-'), 'sluice.catalog.json');
writeFileSync(
  catalogFile,
  JSON.stringify({
    version: 1,
    services: [
      {
        name: 'greeter',
        mode: 'delivery',
        source: { repository: 'greeter' },
        runtime: { entry: 'src/handler.ts' },
        approval: {
          approvers: ['alice@example.com', 'bob@example.com'],
          identities: {
            'alice@example.com': {
              iamPrincipals: ['arn:aws:iam::111122223333:role/approvers/alice-approver'],
            },
            'bob@example.com': { iamPrincipals: ['arn:aws:iam::111122223333:user/bob'] },
          },
        },
      },
    ],
  }),
);

const sfn = mockClient(SFNClient);
const sts = mockClient(STSClient);
const BOB = 'arn:aws:iam::111122223333:user/bob';
const ALICE_SESSION = 'arn:aws:sts::111122223333:assumed-role/alice-approver/alice@example.com';
/** Who the caller's AWS credentials are, as STS GetCallerIdentity answers. */
const callerIs = (arn: string) =>
  sts.on(GetCallerIdentityCommand).resolves({ Arn: arn, Account: '111122223333', UserId: 'AIDAEXAMPLE' });
let dynamo: TestLedger;
let ledger: Ledger;
let tableName: string;

beforeAll(async () => {
  dynamo = await startTestLedger();
});
afterAll(async () => {
  sfn.restore();
  sts.restore();
  await dynamo?.stop();
});

beforeEach(async () => {
  sfn.reset();
  sts.reset();
  callerIs(BOB);
  sfn.on(SendTaskSuccessCommand).resolves({});
  sfn.on(SendTaskFailureCommand).resolves({});
  ledger = await dynamo.newLedger();
  tableName = ledger.tableName;
  await ledger.putApproval({
    approvalId: 'Appr0val-Id-0001',
    releaseId: 'greeter-0123456789ab',
    service: 'greeter',
    approvers: ['alice@example.com', 'bob@example.com'],
    required: 1,
    status: 'pending',
    requestedAt: new Date().toISOString(),
    expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    taskToken: 'task-token-1',
    details: [],
    authors: ['dana@example.com'],
  });
});

const backend = () =>
  awsApprovalsBackend({
    tableName,
    catalogFile,
    dynamo: dynamo.client,
    sfn: new SFNClient({ region: 'eu-west-1' }),
    sts: new STSClient({ region: 'eu-west-1' }),
  });

describe('approvals --aws', () => {
  it('approves under the policy, resuming the execution with SendTaskSuccess on its token', async () => {
    const reply = await backend().decide('Appr0val-Id-0001', {
      as: 'Bob@example.com',
      decision: 'approve',
      comment: 'ok',
    });
    expect(reply).toMatchObject({ ok: true });
    const sent = sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input;
    expect(sent?.taskToken).toBe('task-token-1');
    expect(JSON.parse(sent?.output ?? '{}')).toMatchObject({
      decision: 'approved',
      decidedBy: 'bob@example.com',
    });
    const stored = await ledger.getApproval('Appr0val-Id-0001');
    expect(stored?.votes?.['bob@example.com']).toMatchObject({
      decision: 'approved',
      channel: 'cli',
      comment: 'ok',
    });
    const listed = await backend().list('greeter');
    expect(listed[0]).toMatchObject({ approvalId: 'Appr0val-Id-0001', status: 'approved' });
    expect(JSON.stringify(listed)).not.toContain('task-token-1');
  });

  it('decides as who the AWS credentials are (a role session maps through its role), recording the principal', async () => {
    callerIs(ALICE_SESSION);
    const reply = await backend().decide('Appr0val-Id-0001', { decision: 'reject', comment: 'no' });
    expect(reply).toMatchObject({
      ok: true,
      message: 'Rejected by alice@example.com. The release is stopped.',
    });
    expect(sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(1);
    const stored = await ledger.getApproval('Appr0val-Id-0001');
    expect(stored?.votes?.['alice@example.com']).toMatchObject({
      decision: 'rejected',
      principalArn: ALICE_SESSION,
    });
    const voted = (await ledger.listAudit('Appr0val-Id-0001')).find((a) => a.kind === 'voted');
    expect(voted).toMatchObject({ actor: 'alice@example.com', channel: 'cli', principalArn: ALICE_SESSION });
  });

  it('refuses a caller who maps to no approver, and an --as that is not who the credentials are', async () => {
    callerIs('arn:aws:iam::111122223333:user/mallory');
    expect(await backend().decide('Appr0val-Id-0001', { decision: 'approve' })).toEqual({
      ok: false,
      refused: 'not-approver',
      message:
        'Your AWS principal arn:aws:iam::111122223333:user/mallory maps to no approver of greeter; the catalog lists IAM principals under services[].approval.identities.<approver>.iamPrincipals.',
    });
    // One operator cannot vote twice by typing two names: --as is checked against the credentials.
    callerIs(BOB);
    expect(
      await backend().decide('Appr0val-Id-0001', { as: 'alice@example.com', decision: 'approve' }),
    ).toEqual({
      ok: false,
      refused: 'not-approver',
      message: `--as alice@example.com does not match who your AWS credentials are (${BOB}, approver bob@example.com); nothing changed.`,
    });
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
    expect((await ledger.getApproval('Appr0val-Id-0001'))?.votes ?? {}).toEqual({});
  });

  it('refuses what the page refuses, and changes nothing', async () => {
    expect(
      await backend().decide('Nope-0000000000', { as: 'bob@example.com', decision: 'approve' }),
    ).toMatchObject({
      ok: false,
      refused: 'unknown',
    });
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
    expect((await ledger.getApproval('Appr0val-Id-0001'))?.status).toBe('pending');
  });

  it('records a rejection and resumes the execution with the decision, naming who and why', async () => {
    callerIs(ALICE_SESSION);
    const reply = await backend().decide('Appr0val-Id-0001', {
      as: 'alice@example.com',
      decision: 'reject',
      comment: 'not today',
    });
    expect(reply).toMatchObject({ ok: true });
    const output = JSON.parse(sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input.output ?? '{}');
    expect(output).toMatchObject({
      decision: 'rejected',
      decidedBy: 'alice@example.com',
      comment: 'not today',
    });
  });

  it('needs --table with --aws, and an unknown service is a usage error', async () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await runCli(['approve', 'Appr0val-Id-0001', '--as', 'bob@example.com', '--aws'])).toBe(2);
      expect(err.mock.calls.map((c) => String(c[0])).join('')).toContain('--aws needs --table NAME');
    } finally {
      err.mockRestore();
    }
    await expect(backend().list('nope')).rejects.toThrow('unknown service nope');
  });
});
