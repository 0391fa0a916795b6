import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { defined } from '../lambdas/core/defined';
import { PROJECT_ROOT } from './sluice-function';

export interface EsbuildLayerProps {
  /**
   * node_modules folder holding `esbuild` and `@esbuild/linux-x64` (the platform binary Lambda x86_64 runs).
   * @default - the repository's node_modules
   */
  readonly nodeModulesDir?: string;
}

/**
 * A Lambda layer with esbuild for linux-x64, for the build and test handlers that bundle and run the
 * service's code inside Lambda. Assembled at synth time from the installed packages (no network, no Docker)
 * as `nodejs/node_modules/...`, which Lambda puts on the Node.js module path.
 */
export class EsbuildLayer extends Construct {
  readonly layer: lambda.ILayerVersion;
  /** The esbuild version the layer holds. */
  readonly esbuildVersion: string;

  constructor(scope: Construct, id: string, props: EsbuildLayerProps = {}) {
    super(scope, id);
    const nodeModules = props.nodeModulesDir ?? path.join(PROJECT_ROOT, 'node_modules');
    const { dir, name, version } = assembleLayer(nodeModules);
    this.esbuildVersion = version;
    this.layer = new lambda.LayerVersion(this, 'Resource', {
      code: packagesCode(dir, name),
      compatibleRuntimes: [lambda.Runtime.NODEJS_22_X],
      compatibleArchitectures: [lambda.Architecture.X86_64],
      description: `esbuild ${version} for linux-x64 (Sluice build and test handlers)`,
    });
  }
}

const assembled = new Map<string, { dir: string; name: string; version: string }>();

/**
 * The layer's folder with esbuild and its binary, checked to be at one version.
 */
function assembleLayer(nodeModules: string): { dir: string; name: string; version: string } {
  const cached = assembled.get(nodeModules);
  if (cached) return cached;
  const packages = ['esbuild', path.join('@esbuild', 'linux-x64')];
  const versions = packages.map((pkg) => {
    const manifest = path.join(nodeModules, pkg, 'package.json');
    if (!fs.existsSync(manifest)) {
      throw new Error(
        `EsbuildLayer: ${pkg} is not installed in ${nodeModules}. The build and test handlers need esbuild for ` +
          'linux-x64: run `npm install` (on a non-x64 or non-Linux machine: `npm install --force @esbuild/linux-x64@<esbuild version>`).',
      );
    }
    return (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { version: string }).version;
  });
  if (versions[0] !== versions[1]) {
    throw new Error(
      `EsbuildLayer: esbuild ${versions[0]} and @esbuild/linux-x64 ${versions[1]} differ; esbuild refuses to run with a ` +
        'mismatched binary. Reinstall them at the same version.',
    );
  }
  const name = `sluice-esbuild-layer-${versions[0]}`;
  const dir = assemblePackages(nodeModules, packages, name);
  const result = { dir, name, version: defined(versions[0], 'the esbuild version') };
  assembled.set(nodeModules, result);
  return result;
}

/**
 * Copies `packages` from `nodeModules` into `<tmpdir>/<name>-<source>/nodejs/node_modules`, once: later synths (in
 * this process or another) reuse the folder, so the asset hash stays the same and /tmp does not fill up with
 * copies. `name` must change with the packages' versions.
 */
export function assemblePackages(nodeModules: string, packages: readonly string[], name: string): string {
  const source = crypto.createHash('sha256').update(path.resolve(nodeModules)).digest('hex').slice(0, 12);
  const dir = path.join(os.tmpdir(), `${name}-${source}`);
  if (!fs.existsSync(dir)) {
    // Built aside and renamed into place, so a folder that exists is always complete.
    const building = fs.mkdtempSync(`${dir}.building-`);
    for (const pkg of packages) {
      fs.cpSync(path.join(nodeModules, pkg), path.join(building, 'nodejs', 'node_modules', pkg), {
        recursive: true,
        dereference: true,
      });
    }
    try {
      fs.renameSync(building, dir);
    } catch (error) {
      // Another synth got there first with the same content.
      fs.rmSync(building, { recursive: true, force: true });
      if (!fs.existsSync(dir)) throw error;
    }
  }
  return dir;
}

/**
 * A folder from `assemblePackages` as Lambda code, with `name` (which changes with the packages' versions) as its
 * asset hash. The folder's content is fixed by that name (`assemblePackages` reuses the folder by name), so the
 * name identifies it as well as a fingerprint would, and synth does not read every file (npm's ~2,000) to compute
 * one each time.
 */
export function packagesCode(dir: string, name: string): lambda.AssetCode {
  return lambda.Code.fromAsset(dir, { assetHash: name });
}
