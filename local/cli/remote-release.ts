/** `sluice release SERVICE --state-machine-arn ARN`: StartExecution on a deployed Sluice stack. */
import { CodeCommitClient } from '@aws-sdk/client-codecommit';
import { SFNClient } from '@aws-sdk/client-sfn';
import { CodeCommitSource } from '../../lambdas/adapters/aws/codecommit-source';
import { SfnExecutionStarter } from '../../lambdas/adapters/aws/sfn-execution-starter';
import { loadCatalogFile } from '../../lambdas/core/catalog/load';
import { findService, formatProblems } from '../../lambdas/core/catalog/validate';
import type { ReleaseRequest } from '../../lambdas/core/model';
import { releaseIdOf } from '../../lambdas/core/push-routing';
import { UsageError } from './command';

const STATE_MACHINE_ARN = /^arn:aws[\w-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[\w-]{1,80}$/;
const FULL_SHA = /^[0-9a-f]{40}$/i;

export interface RemoteReleaseOptions {
  readonly catalogFile: string;
  readonly service: string;
  readonly stateMachineArn: string;
  /** @default - the head of the tracked branch (CodeCommit GetBranch) */
  readonly commit?: string;
  readonly actor?: string;
  /** @default - from the ARN */
  readonly region?: string;
}

export interface RemoteReleaseResult {
  readonly releaseId: string;
  readonly status: 'started' | 'duplicate';
  readonly executionArn?: string;
  readonly request: ReleaseRequest;
}

/**
 * Resolves the commit to its full sha (so the execution name equals the one the router gives the same push:
 * a manual start and a push of the same commit are one release) and starts the execution.
 */
export async function startRemoteRelease(options: RemoteReleaseOptions): Promise<RemoteReleaseResult> {
  if (!STATE_MACHINE_ARN.test(options.stateMachineArn)) {
    throw new UsageError(
      `--state-machine-arn must be a state machine ARN (arn:aws:states:<region>:<account>:stateMachine:<name>); received ${JSON.stringify(options.stateMachineArn)}. ` +
        'Use the StateMachineArn output of the SluicePipeline stack.',
    );
  }
  const loaded = loadCatalogFile(options.catalogFile);
  if (!loaded.ok) {
    throw new Error(`${options.catalogFile} is invalid:\n  ${formatProblems(loaded.problems).join('\n  ')}`);
  }
  const service = findService(loaded.catalog, options.service);
  const region = options.region ?? options.stateMachineArn.split(':')[3];
  let sha = options.commit;
  if (service.source.provider === 'github') {
    if (!sha || !FULL_SHA.test(sha)) {
      throw new UsageError(
        `${service.name} is on GitHub: pass --commit with the full 40-character sha; received ${JSON.stringify(sha)}`,
      );
    }
  } else if (!sha || !FULL_SHA.test(sha)) {
    sha = (await new CodeCommitSource(new CodeCommitClient({ region })).resolveCommit(service.source, sha))
      .sha;
  }
  const request: ReleaseRequest = {
    releaseId: releaseIdOf(service.name, sha),
    service: service.name,
    commit: sha,
    trigger: { source: 'manual', ...(options.actor ? { actor: options.actor } : {}) },
  };
  const started = await new SfnExecutionStarter(new SFNClient({ region }), options.stateMachineArn).start(
    request,
  );
  return { releaseId: request.releaseId, request, ...started };
}
