import { randomBytes } from 'node:crypto';
import { approvalLink } from '../shared/approval-links';
import { ApprovalError } from '../shared/errors';
import type { BuildResult, ReleaseInfo, ServiceConfig, StageResult, TestResult } from '../shared/model';
import type { Ports } from '../shared/wiring';

export type RequestApprovalPorts = Pick<
  Ports,
  'ledger' | 'notifier' | 'signingKeys' | 'clock' | 'approvalBaseUrl'
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
  return [
    `Service: ${config.name} (${config.mode})`,
    `Release: ${release.releaseId}`,
    `Commit: ${release.commit.sha.slice(0, 12)} by ${release.commit.author}: ${release.commit.message.split('\n')[0]}`,
    `Tests: ${test.passed} passed, ${test.failed} failed`,
    `Staging: version ${stage.version}, smoke ${config.smoke.method} ${config.smoke.path} → ${stage.smoke.status} in ${stage.smoke.latencyMs} ms`,
    `Artifact: ${build.bytes} bytes, sha256 ${build.sha256.slice(0, 16)}`,
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
  const approvalId = randomBytes(18).toString('base64url');
  const expiresAt = new Date(now.getTime() + policy.expiresAfterHours * 3_600_000);
  const details = approvalDetails(input);
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
  });
  const key = await ports.signingKeys.signingKey();
  const expiresAtEpoch = Math.floor(expiresAt.getTime() / 1000);
  for (const [approverIndex, approver] of policy.approvers.entries()) {
    const link = approvalLink(ports.approvalBaseUrl, key, {
      approvalId,
      approverIndex,
      expiresAt: expiresAtEpoch,
    });
    for (const channel of policy.channels) {
      await ports.notifier.notify({
        approvalId,
        approver,
        channel,
        link,
        release: input.release,
        expiresAt: expiresAt.toISOString(),
        details,
      });
    }
  }
  return { approvalId };
}
