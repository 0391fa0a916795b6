import { findService } from '../core/catalog/validate';
import { InvalidReleaseRequestError, StalePushError } from '../core/errors';
import type { ReleaseDocument, ReleaseInfo, ReleaseRequest } from '../core/model';
import { MAX_RELEASE_COMMITS, type Ports } from '../core/ports';
import { MAX_ATTEMPTS } from '../core/push-routing';
import { recordStageSucceeded } from '../core/stage-record';

export type LoadServicePorts = Pick<Ports, 'catalog' | 'source' | 'ledger' | 'clock'>;

const RELEASE_ID = /^[A-Za-z0-9_-]{1,80}$/;
const TRIGGER_SOURCES = new Set(['manual', 'codecommit', 'github', 'local-git', 'demo']);

/** Checks the execution input; the error says which field is wrong and what was received. */
export function parseReleaseRequest(input: unknown): ReleaseRequest {
  const request = (input ?? {}) as Partial<ReleaseRequest>;
  const problems: string[] = [];
  if (typeof request.releaseId !== 'string' || !RELEASE_ID.test(request.releaseId)) {
    problems.push(
      `releaseId: received ${JSON.stringify(request.releaseId)}; use 1-80 letters, digits, '-' or '_'`,
    );
  }
  if (typeof request.service !== 'string' || request.service.length === 0) {
    problems.push(`service: received ${JSON.stringify(request.service)}; name a service from the catalog`);
  }
  if (
    request.commit !== undefined &&
    (typeof request.commit !== 'string' || !/^[0-9a-f]{4,40}$/i.test(request.commit))
  ) {
    problems.push(
      `commit: received ${JSON.stringify(request.commit)}; use a commit sha (4-40 hex digits) or omit it`,
    );
  }
  if (!request.trigger || !TRIGGER_SOURCES.has(request.trigger.source)) {
    problems.push(
      `trigger.source: received ${JSON.stringify(request.trigger?.source)}; use one of ${[...TRIGGER_SOURCES].join(', ')}`,
    );
  }
  const attempt = request.attempt ?? 1;
  if (!Number.isInteger(attempt) || attempt < 1 || attempt > MAX_ATTEMPTS) {
    problems.push(`attempt: received ${JSON.stringify(request.attempt)}; use 1-${MAX_ATTEMPTS} or omit it`);
  } else if (attempt > 1 && (!request.retry?.requestedBy || !request.retry.reason)) {
    problems.push('retry: attempt 2 and later name who asked for them and why ({ requestedBy, reason })');
  }
  if (problems.length > 0)
    throw new InvalidReleaseRequestError(`Invalid release request: ${problems.join('; ')}`);
  return request as ReleaseRequest;
}

/** Triggers that are pushes: anyone who can replay a signed delivery can cause one. */
const PUSH_TRIGGERS: ReadonlySet<string> = new Set(['github', 'codecommit', 'local-git']);

/**
 * A push may release only a commit that is not live and was not released before: a replayed delivery of an old
 * push finds its release in the ledger (a release still running is a retry of this very execution).
 */
async function refuseStalePush(
  request: ReleaseRequest,
  sha: string,
  live: { liveCommit?: string; liveReleaseId?: string } | undefined,
  ports: LoadServicePorts,
): Promise<void> {
  const how = 'only an explicit `sluice release` releases it again';
  if (live?.liveCommit === sha) {
    throw new StalePushError(
      `Commit ${sha.slice(0, 12)} is live already (${live.liveReleaseId ?? '?'}); ${how}.`,
    );
  }
  const earlier = await ports.ledger.getRelease(request.releaseId);
  if (earlier?.outcome) {
    throw new StalePushError(
      `Commit ${sha.slice(0, 12)} was released before (${earlier.releaseId}, ${earlier.outcome.status} at ${earlier.outcome.endedAt}); ${how}.`,
    );
  }
}

/** First stage: find the service, pin the commit, open the release in the ledger. */
export async function loadService(input: unknown, ports: LoadServicePorts): Promise<ReleaseDocument> {
  const startedAt = ports.clock.now();
  const request = parseReleaseRequest(input);
  const catalog = await ports.catalog.load();
  const config = findService(catalog, request.service);
  const commit = await ports.source.resolveCommit(config.source, request.commit);
  const mode = await ports.ledger.releaseModeOf(config);
  // Every commit since what production runs now (the ledger's SERVICE#<svc>/STATE), newest first.
  const live = await ports.ledger.getServiceState(config.name);
  if (PUSH_TRIGGERS.has(request.trigger.source)) await refuseStalePush(request, commit.sha, live, ports);
  const commits = await ports.source.listCommits(
    config.source,
    commit.sha,
    live?.liveCommit,
    MAX_RELEASE_COMMITS,
  );
  const release: ReleaseInfo = {
    releaseId: request.releaseId,
    service: config.name,
    mode,
    commit,
    commits,
    startedAt: startedAt.toISOString(),
    trigger: request.trigger,
  };
  // A retry opens its attempt on the record the first attempt created (who and why kept with it).
  if (request.attempt && request.attempt > 1 && request.retry) {
    await ports.ledger.startAttempt(release.releaseId, {
      attempt: request.attempt,
      startedAt: release.startedAt,
      ...request.retry,
    });
  } else {
    await ports.ledger.startRelease(release);
  }
  await recordStageSucceeded(
    ports,
    release.releaseId,
    'LoadService',
    startedAt,
    `commit ${commit.sha.slice(0, 12)}, ${commits.length} commit${commits.length === 1 ? '' : 's'} since the live release`,
  );
  return { ...request, release, config };
}
