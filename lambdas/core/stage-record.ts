import type { Ledger, StageRecord, StageStatus } from '../ledger/ledger';
import type { StageName } from './model';
import type { Clock } from './ports';

/** Builds the ledger record of a stage that started at `startedAt` and ends now. */
export function stageRecord(
  clock: Clock,
  startedAt: Date,
  status: StageStatus,
  detail?: string,
): StageRecord {
  const endedAt = clock.now();
  return {
    status,
    startedAt: startedAt.toISOString(),
    endedAt: endedAt.toISOString(),
    durationMs: endedAt.getTime() - startedAt.getTime(),
    ...(detail ? { detail } : {}),
  };
}

export async function recordStageSucceeded(
  ports: { ledger: Ledger; clock: Clock },
  releaseId: string,
  stage: StageName,
  startedAt: Date,
  detail?: string,
): Promise<void> {
  await ports.ledger.recordStage(releaseId, stage, stageRecord(ports.clock, startedAt, 'succeeded', detail));
}
