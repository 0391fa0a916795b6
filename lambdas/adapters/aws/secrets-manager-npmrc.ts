import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { ServiceConfig } from '../../core/catalog/types';
import type { NpmrcSource } from '../../core/ports';
import { MissingResourceError, mapAwsError } from './errors';

/**
 * A service's private-registry .npmrc from the Secrets Manager secret its catalog entry names. Build may read
 * only the secrets the catalog names (lib/pipeline-stack.ts). The value never appears in a message or a log line.
 */
export class SecretsManagerNpmrc implements NpmrcSource {
  constructor(private readonly secretsManager: SecretsManagerClient) {}

  async npmrcFor(service: ServiceConfig): Promise<string | undefined> {
    const name = service.dependencies?.npmrcSecret;
    if (name === undefined) return undefined;
    let value: string | undefined;
    try {
      const out = await this.secretsManager.send(new GetSecretValueCommand({ SecretId: name }));
      value = out.SecretString;
    } catch (error) {
      throw mapAwsError(error, `Secrets Manager GetSecretValue ${name}`, (code) =>
        code === 'ResourceNotFoundException'
          ? new MissingResourceError(
              `The npmrc secret ${name} of ${service.name} does not exist: create it with the registry's .npmrc ` +
                `(registry=... and //host/:_authToken=...), or fix services[${service.name}].dependencies.npmrcSecret.`,
            )
          : undefined,
      );
    }
    if (!value?.trim()) {
      throw new MissingResourceError(
        `The npmrc secret ${name} of ${service.name} has no text value; put the registry's .npmrc in it.`,
      );
    }
    return value;
  }
}
