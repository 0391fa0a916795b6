import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServiceConfig } from '../../lambdas/core/catalog/types';
import { DependencyInstallError } from '../../lambdas/core/errors';
import type { NpmrcSource, TestSandbox } from '../../lambdas/core/ports';
import { ProcessTestSandbox } from './process-test-sandbox';

/**
 * A service's .npmrc locally: the secret its catalog entry names is the file `<secretsDir>/<name>`; without
 * one, `defaultNpmrc` (the runtime's registry, e.g. one on 127.0.0.1).
 */
export class LocalNpmrc implements NpmrcSource {
  constructor(
    private readonly secretsDir: string,
    private readonly defaultNpmrc?: string,
  ) {}

  async npmrcFor(service: ServiceConfig): Promise<string | undefined> {
    const name = service.dependencies?.npmrcSecret;
    if (name === undefined) return this.defaultNpmrc;
    const file = join(this.secretsDir, ...name.split('/'));
    try {
      return await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      throw new DependencyInstallError(
        `The npmrc secret ${name} of ${service.name} is missing: write the registry's .npmrc to ${file} ` +
          `(mode 600), or fix services[${service.name}].dependencies.npmrcSecret in the catalog.`,
      );
    }
  }
}

/**
 * The local runtime's sandbox ports. `SLUICE_NPM_REGISTRY` (e.g. http://127.0.0.1:4873/) is the registry of
 * installs whose catalog entry names no npmrc secret.
 */
export function localSandboxPorts(stateDir: string): { testSandbox: TestSandbox; npmrc: NpmrcSource } {
  const registry = process.env.SLUICE_NPM_REGISTRY;
  return {
    testSandbox: new ProcessTestSandbox({ workDir: join(stateDir, 'sandbox-host') }),
    npmrc: new LocalNpmrc(join(stateDir, 'secrets'), registry ? `registry=${registry}\n` : undefined),
  };
}
