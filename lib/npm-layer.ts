import * as fs from 'node:fs';
import * as path from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { assemblePackages, packagesCode } from './esbuild-layer';
import { PROJECT_ROOT } from './sluice-function';

export interface NpmLayerProps {
  /**
   * node_modules folder holding the `npm` package (Sluice's own dependency, the CLI the local sandbox runs too).
   * @default - the repository's node_modules
   */
  readonly nodeModulesDir?: string;
}

/**
 * A Lambda layer with the npm CLI for the test-runner sandbox, which runs `npm ci` for Build. Lambda's Node.js
 * runtime promises `node`, not an npm binary, so Sluice brings the `npm` package (all its dependencies are
 * bundled inside it) as `nodejs/node_modules/npm`, run as `node /opt/nodejs/node_modules/npm/bin/npm-cli.js`.
 */
export class NpmLayer extends Construct {
  readonly layer: lambda.ILayerVersion;
  /** The npm version the layer holds. */
  readonly npmVersion: string;

  constructor(scope: Construct, id: string, props: NpmLayerProps = {}) {
    super(scope, id);
    const nodeModules = props.nodeModulesDir ?? path.join(PROJECT_ROOT, 'node_modules');
    const manifest = path.join(nodeModules, 'npm', 'package.json');
    if (!fs.existsSync(manifest)) {
      throw new Error(
        `NpmLayer: the npm package is not installed in ${nodeModules}. The test runner installs service ` +
          'dependencies with it: run `npm install` in the Sluice repository.',
      );
    }
    this.npmVersion = (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { version: string }).version;
    const name = `sluice-npm-layer-${this.npmVersion}`;
    this.layer = new lambda.LayerVersion(this, 'Resource', {
      code: packagesCode(assemblePackages(nodeModules, ['npm'], name), name),
      compatibleRuntimes: [lambda.Runtime.NODEJS_22_X],
      description: `npm ${this.npmVersion} CLI (Sluice test runner: dependency installs)`,
    });
  }
}
