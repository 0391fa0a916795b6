import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, posix, sep } from 'node:path';
import { build as esbuild } from 'esbuild';
import { zipSync } from 'fflate';
import { BuildFailedError, EntryPointNotFoundError } from '../core/errors';
import type { BuildResult, ReleaseDocument } from '../core/model';
import type { Ports } from '../core/ports';
import { serviceWrapperSource } from '../core/service-wrapper';
import { recordStageSucceeded } from '../core/stage-record';
import { formatEsbuildErrors, isEsbuildFailure, withCheckout } from '../runtime/workspace';
import { buildDetail, keepBuiltArtifact, promoteEarlierBuild } from './build-once';

export type BuildPorts = Pick<Ports, 'source' | 'artifacts' | 'ledger' | 'clock' | 'workDir'>;

/** Fixed zip entry time, so the same source always gives the same artifact hash. */
const ZIP_MTIME = new Date('2020-01-01T00:00:00Z');

/** The artifact key of a release: one zip, deployable as Lambda code as it is. */
export function artifactKey(service: string, releaseId: string): string {
  return `releases/${service}/${releaseId}/artifact.zip`;
}

/**
 * Bundles the service's handler, inside the metrics wrapper (lambdas/core/service-wrapper.ts), with esbuild into a
 * Lambda-ready zip (`index.js`) in the artifact store. A retry promotes the verified artifact of an earlier
 * attempt instead (build-once.ts).
 */
export async function buildRelease(doc: ReleaseDocument, ports: BuildPorts): Promise<BuildResult> {
  const startedAt = ports.clock.now();
  const earlier = await promoteEarlierBuild(doc, startedAt, ports);
  if (earlier.promoted) return earlier.promoted;
  const { config, release } = doc;
  const bundle = await withCheckout(ports, config, release.commit.sha, async (dir) => {
    const entry = join(dir, config.runtime.entry);
    if (!existsSync(entry)) {
      throw new EntryPointNotFoundError(
        `Entry point ${config.runtime.entry} not found in ${config.source.repository} at ${release.commit.sha.slice(0, 12)}` +
          ` (path '${config.source.path}'); add the file or fix services[${config.name}].runtime.entry in the catalog`,
      );
    }
    try {
      const result = await esbuild({
        // The wrapper is the entry: it imports the service's handler and counts its 5xx answers (item 2).
        stdin: {
          contents: serviceWrapperSource({
            entry: `./${posix.normalize(config.runtime.entry.split(sep).join('/'))}`,
            handler: config.runtime.handler,
            service: config.name,
          }),
          resolveDir: dir,
          sourcefile: 'sluice-service-wrapper.js',
          loader: 'js',
        },
        absWorkingDir: dir,
        bundle: true,
        platform: 'node',
        target: 'node22',
        format: 'cjs',
        minify: true,
        write: false,
        outfile: join(dir, 'out', 'index.js'),
        logLevel: 'silent',
      });
      const output = result.outputFiles.find((f) => f.path.endsWith('index.js'));
      if (!output) throw new BuildFailedError(`esbuild produced no index.js for ${config.runtime.entry}`);
      return output.contents;
    } catch (error) {
      if (isEsbuildFailure(error)) {
        throw new BuildFailedError(`Build of ${config.name} failed:\n${formatEsbuildErrors(error.errors)}`);
      }
      throw error;
    }
  });
  const zip = zipSync({ 'index.js': [bundle, { mtime: ZIP_MTIME }] }, { level: 9 });
  const stored = await ports.artifacts.put(artifactKey(config.name, release.releaseId), zip);
  const result: BuildResult = {
    artifactKey: stored.key,
    sha256: stored.sha256 || createHash('sha256').update(zip).digest('hex'),
    bytes: stored.bytes,
    durationMs: ports.clock.now().getTime() - startedAt.getTime(),
  };
  await keepBuiltArtifact(doc, result, ports);
  await recordStageSucceeded(
    ports,
    release.releaseId,
    'Build',
    startedAt,
    buildDetail(result, earlier.rebuildReason),
  );
  return result;
}
