import { randomBytes } from 'node:crypto';
import { emailOf, endPending } from '../core/approval-decision';
import { approvalLink } from '../core/approval-links';
import { approverIdentities } from '../core/approver-identity';
import { dependencyDetails } from '../core/dependency-changes';
import { ApprovalError } from '../core/errors';
import {
  type BuildResult,
  commitsOf,
  type ReleaseInfo,
  type ReleaseTrigger,
  type ServiceConfig,
  type StageResult,
  type TestResult,
} from '../core/model';
import type { Ports } from '../core/ports';
import { slackApprovalMessage } from '../core/slack';
import { smokeLabel } from '../core/smoke-check';

export type RequestApprovalPorts = Pick<
  Ports,
  | 'ledger'
  | 'notifier'
  | 'signingKeys'
  | 'clock'
  | 'approvalBaseUrl'
  | 'tasks'
  | 'expiryScheduler'
  | 'slack'
  | 'approvalExpiryScale'
>;

/** The payload of the RequestApproval task (lambda:invoke.waitForTaskToken). */
export interface RequestApprovalInput {
  readonly taskToken: string;
  readonly releaseId: string;
  readonly release: ReleaseInfo;
  readonly config: ServiceConfig;
  readonly build: BuildResult;
  readonly test: TestResult;
  readonly stage: StageResult;
}

/** What an approver is shown wherever a decision is asked for. */
export function approvalDetails(input: RequestApprovalInput): string[] {
  const { release, build, test, stage, config } = input;
  const commits = commitsOf(release);
  return [
    `Service: ${config.name} (${config.mode})`,
    `Release: ${release.releaseId}`,
    `Changes since the last production release: ${commits.length} commit${commits.length === 1 ? '' : 's'}`,
    ...commits.map((c) => `Commit: ${c.sha.slice(0, 12)} by ${c.author}: ${c.message.split('\n')[0]}`),
    `Tests: ${test.passed} passed, ${test.failed} failed`,
    `Staging: version ${stage.version}, smoke ${stage.smoke.summary ?? `${smokeLabel(config.smoke)} → ${stage.smoke.status}`} in ${stage.smoke.latencyMs} ms`,
    `Artifact: ${build.bytes} bytes, sha256 ${build.sha256.slice(0, 16)}`,
    ...dependencyDetails(build.dependencies),
  ];
}

/**
 * Stores the task token under a random approval id and sends each approver a link of their own. The
 * execution stays paused (no polling) until the approval API resumes it with SendTaskSuccess.
 */
export async function requestApproval(
  input: RequestApprovalInput,
  ports: RequestApprovalPorts,
): Promise<{ approvalId: string }> {
  const policy = input.config.approval;
  if (!policy || policy.approvers.length === 0) {
    throw new ApprovalError(
      `Service ${input.config.name} is in delivery mode but has no approvers; add services[].approval.approvers to the catalog`,
    );
  }
  if (typeof input.taskToken !== 'string' || input.taskToken.length === 0) {
    throw new ApprovalError(
      'RequestApproval was invoked without a task token; it must run as lambda:invoke.waitForTaskToken',
    );
  }
  const now = ports.clock.now();
  // Never a leading '-' or '_': `sluice approve <id>` would read a leading '-' as an option.
  const approvalId = `a${randomBytes(18).toString('base64url')}`;
  // Locally expiry is compressed (72 h last 72 min at 60); in AWS the scale is 1.
  const expiresAt = new Date(
    now.getTime() + (policy.expiresAfterHours * 3_600_000) / ports.approvalExpiryScale,
  );
  const details = approvalDetails(input);
  const commits = commitsOf(input.release);

  // Supersede: a newer release of the same service replaces any request still pending at the gate (also an
  // earlier attempt of this very task, whose token died when the task was retried).
  for (const older of await ports.ledger.listApprovals(input.config.name)) {
    if (older.status !== 'pending') continue;
    await endPending(
      older,
      {
        status: 'superseded',
        reason: `Superseded by release ${input.releaseId}, which includes its changes`,
        supersededBy: input.releaseId,
      },
      ports,
    );
  }

  // Who made the included changes: authors, committers, and the pusher of each push that brought them (this
  // release's, and those of earlier releases of the service whose head commit is included).
  const included = new Set(commits.map((c) => c.sha));
  const pushersOf = (trigger: ReleaseTrigger | undefined) => [
    ...(trigger?.actor ? [trigger.actor] : []),
    ...(trigger?.actorIdentities ?? []),
  ];
  const earlierPushers = (await ports.ledger.listReleases(input.config.name))
    .filter((r) => included.has(r.commit?.sha))
    .flatMap((r) => pushersOf(r.trigger));
  const changeIdentities = [
    ...new Set(
      [
        ...commits.flatMap((c) => [emailOf(c.author), ...(c.committer ? [emailOf(c.committer)] : [])]),
        ...pushersOf(input.release.trigger),
        ...earlierPushers,
      ].map(emailOf),
    ),
  ].filter((id) => id !== '' && id !== 'unknown');
  const slackUsers = Object.fromEntries(
    Object.entries(policy.slackUserIds ?? {}).map(([email, id]) => [id, email]),
  );
  await ports.ledger.putApproval({
    approvalId,
    releaseId: input.releaseId,
    service: input.config.name,
    approvers: policy.approvers,
    required: policy.required,
    status: 'pending',
    requestedAt: now.toISOString(),
    expiresAt: expiresAt.toISOString(),
    taskToken: input.taskToken,
    details,
    authors: [...new Set(commits.map((c) => emailOf(c.author)))],
    changeIdentities,
    approverIdentities: approverIdentities(policy),
    ...(Object.keys(slackUsers).length ? { slackUsers } : {}),
    ...(policy.windows ? { windows: policy.windows } : {}),
    ...(policy.freezes ? { freezes: policy.freezes } : {}),
  });
  await ports.ledger.audit({
    approvalId,
    kind: 'requested',
    at: now.toISOString(),
    actor: 'sluice',
    channel: 'system',
    detail: `${input.releaseId}: ${policy.required} of ${policy.approvers.join(', ')}; expires ${expiresAt.toISOString()}`,
  });
  await ports.expiryScheduler.schedule(approvalId, expiresAt);
  const key = await ports.signingKeys.signingKey();
  const expiresAtEpoch = Math.floor(expiresAt.getTime() / 1000);
  for (const [approverIndex, approver] of policy.approvers.entries()) {
    const link = approvalLink(ports.approvalBaseUrl, key, {
      approvalId,
      approverIndex,
      expiresAt: expiresAtEpoch,
    });
    // Email: one message per approver (their own link). Slack: one message for all, below.
    if (policy.channels.includes('email')) {
      await ports.notifier.notify({
        approvalId,
        approver,
        channel: 'email',
        link,
        release: input.release,
        expiresAt: expiresAt.toISOString(),
        details,
      });
      await ports.ledger.audit({
        approvalId,
        kind: 'notified',
        at: ports.clock.now().toISOString(),
        actor: approver,
        channel: 'email',
      });
    }
  }
  if (policy.channels.includes('slack')) {
    const posted = await ports.slack.post(
      slackApprovalMessage({
        approvalId,
        service: input.config.name,
        releaseId: input.releaseId,
        details,
        approvers: policy.approvers,
        required: policy.required,
        expiresAt: expiresAt.toISOString(),
      }),
    );
    await ports.ledger.audit({
      approvalId,
      kind: 'notified',
      at: ports.clock.now().toISOString(),
      actor: 'slack channel',
      channel: 'slack',
      detail: posted ? 'posted to the Slack webhook' : 'Slack is not configured (no webhook URL); not posted',
    });
  }
  return { approvalId };
}
