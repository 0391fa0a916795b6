/**
 * Build once: a retry of a release (same commit) promotes the artifact an earlier attempt built instead of
 * building again, once the stored bytes hash to the sha256 the ledger recorded. An artifact that is missing,
 * does not hash to it, or was built with other catalog settings (the service's catalog entry changed: its source,
 * runtime or anything else but the settings only later stages read) is built again, and the Build stage record
 * says why: an artifact that does not verify is never promoted.
 */
import { createHash } from 'node:crypto';
import type { BuildResult, ReleaseDocument } from '../core/model';
import type { Ports } from '../core/ports';
import { recordStageSucceeded } from '../core/stage-record';
import type { BuiltArtifact } from '../ledger/ledger';

export type BuildOncePorts = Pick<Ports, 'artifacts' | 'ledger' | 'clock'>;

/** What an earlier attempt left: an artifact to promote, or why Build runs (again). */
export type EarlierBuild =
  | { readonly promoted: BuildResult; readonly rebuildReason?: undefined }
  | { readonly promoted?: undefined; readonly rebuildReason?: string };

/** Keys sorted at every level, so equal settings always hash alike. */
function sortedJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

/**
 * What `doc` builds from; an artifact built from anything else is not this attempt's build. The settings are the
 * service's whole catalog entry but for what only later stages read: a setting added later counts until someone
 * says Build ignores it, so a change can cost a rebuild, never promote a stale artifact.
 */
function recipeOf(doc: ReleaseDocument): Pick<BuiltArtifact, 'commit' | 'settings'> {
  const {
    mode: _m,
    smoke: _s,
    functionUrl: _f,
    approval: _a,
    deploy: _d,
    readiness: _r,
    ...build
  } = doc.config;
  return {
    commit: doc.release.commit.sha,
    settings: createHash('sha256').update(sortedJson(build)).digest('hex'),
  };
}

/**
 * The artifact an earlier attempt of `doc`'s release built, verified against the ledger's sha256 and recorded
 * as this attempt's Build stage; else why it cannot be promoted (undefined when there is none: a first build).
 */
export async function promoteEarlierBuild(
  doc: ReleaseDocument,
  startedAt: Date,
  ports: BuildOncePorts,
): Promise<EarlierBuild> {
  const built = (await ports.ledger.getRelease(doc.releaseId))?.artifact;
  if (!built) return {};
  const from = `the artifact attempt ${built.attempt} built`;
  const recipe = recipeOf(doc);
  if (built.commit !== recipe.commit) {
    return {
      rebuildReason: `${from} is of commit ${built.commit.slice(0, 12)}, not ${recipe.commit.slice(0, 12)}`,
    };
  }
  if (built.settings !== recipe.settings) {
    return {
      rebuildReason: `${from} was built with other catalog settings (its catalog entry changed since)`,
    };
  }
  let body: Uint8Array;
  try {
    body = await ports.artifacts.get(built.key);
  } catch (error) {
    return { rebuildReason: `${from} could not be read (${(error as Error).message})` };
  }
  const sha256 = createHash('sha256').update(body).digest('hex');
  if (sha256 !== built.sha256) {
    return {
      rebuildReason: `${from} hashes to sha256 ${sha256.slice(0, 12)}, not the ${built.sha256.slice(0, 12)} the ledger recorded`,
    };
  }
  const promoted: BuildResult = {
    artifactKey: built.key,
    sha256,
    bytes: body.byteLength,
    durationMs: ports.clock.now().getTime() - startedAt.getTime(),
    // What attempt 1 found of its packages (its diff is against the release live then).
    ...(built.dependencies ? { dependencies: built.dependencies } : {}),
  };
  await recordStageSucceeded(
    ports,
    doc.releaseId,
    'Build',
    startedAt,
    `promoted ${from}: ${promoted.bytes} bytes, sha256 ${sha256.slice(0, 12)} verified`,
  );
  return { promoted };
}

/** Keeps what Build stored in the ledger, so that a retry of the release can promote it. */
export async function keepBuiltArtifact(
  doc: ReleaseDocument,
  result: BuildResult,
  ports: Pick<Ports, 'ledger'>,
): Promise<void> {
  const artifact: BuiltArtifact = {
    key: result.artifactKey,
    sha256: result.sha256,
    bytes: result.bytes,
    ...recipeOf(doc),
    attempt: doc.attempt ?? 1,
    ...(result.dependencies ? { dependencies: result.dependencies } : {}),
  };
  await ports.ledger.updateRelease(doc.releaseId, { artifact });
}

/** The Build stage's detail: what was stored, and why it was built again when an earlier build was not promoted. */
export function buildDetail(result: BuildResult, rebuildReason?: string): string {
  const stored = `${result.bytes} bytes, sha256 ${result.sha256.slice(0, 12)}`;
  return rebuildReason ? `rebuilt, because ${rebuildReason}: ${stored}` : stored;
}
