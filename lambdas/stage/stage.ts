import { SmokeTestFailedError, TransientError } from '../core/errors';
import type { ReleaseDocument, StageResult } from '../core/model';
import type { Ports } from '../core/ports';
import { runSmokeCheck, type SmokeOutcome, smokeLabel } from '../core/smoke-check';
import { recordStageSucceeded } from '../core/stage-record';

export type StagePorts = Pick<Ports, 'deployTarget' | 'ledger' | 'clock'>;

/**
 * How long Stage waits for Lambda to finish UpdateFunctionCode. The Stage function's timeout and the Stage
 * task's timeout (lib/) are derived from it, so the wait always fits inside both.
 */
export const STAGE_UPDATE_WAIT_SECONDS = 300;

/**
 * Loads the artifact as a new version (not yet live) and smoke-tests it with one real request, or, for an
 * event-driven service, one direct invocation with the catalog's event.
 */
export async function stageRelease(doc: ReleaseDocument, ports: StagePorts): Promise<StageResult> {
  const startedAt = ports.clock.now();
  const { config, release } = doc;
  if (!doc.build)
    throw new SmokeTestFailedError(`Release ${release.releaseId} reached Stage without a build`);
  const { version } = await ports.deployTarget.stageVersion(config, release.releaseId, doc.build.artifactKey);
  await ports.ledger.updateRelease(release.releaseId, { version });
  const label = smokeLabel(config.smoke);
  let smoke: SmokeOutcome;
  try {
    smoke = await runSmokeCheck(config.smoke, {
      http: (request) => ports.deployTarget.invoke(config, version, request),
      event: (event) => ports.deployTarget.invokeEvent(config, version, event),
    });
  } catch (error) {
    // Throttling and the like: let the state machine's Retry have another go.
    if (error instanceof TransientError) throw error;
    throw new SmokeTestFailedError(
      `Smoke test ${label} on ${config.name} version ${version} did not answer: ${(error as Error).message}`,
    );
  }
  if (!smoke.passed) {
    throw new SmokeTestFailedError(
      `Smoke test ${label} on ${config.name} version ${version} ${smoke.problem ?? 'failed'}`,
    );
  }
  const result: StageResult = {
    version,
    smoke: { status: smoke.status, latencyMs: smoke.latencyMs, summary: smoke.summary },
  };
  await recordStageSucceeded(
    ports,
    release.releaseId,
    'Stage',
    startedAt,
    `version ${version}; smoke ${smoke.summary} in ${smoke.latencyMs} ms`,
  );
  return result;
}
