import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Catalog } from '../lambdas/core/catalog/types';
import { acknowledgeWildcardResources } from './nag';
import type { SluiceFunction } from './sluice-function';

/** The npmrc secrets the catalog names (`dependencies.npmrcSecret`), each once. */
export function npmrcSecretsOf(catalog: Pick<Catalog, 'services'>): string[] {
  const names = catalog.services.flatMap((s) =>
    s.dependencies?.npmrcSecret ? [s.dependencies.npmrcSecret] : [],
  );
  return [...new Set(names)].sort();
}

/**
 * What Build's dependency install needs beyond reading and writing artifacts: ListBucket, so a missing install
 * cache object (`dependencies/`, keyed by lockfile hashes) is NoSuchKey, not AccessDenied; and GetSecretValue on
 * the npmrc secrets the catalog names, by name (Secrets Manager adds six random characters to a secret's ARN).
 */
export function grantDependencyInstall(
  build: SluiceFunction,
  bucket: s3.IBucket,
  npmrcSecrets: readonly string[],
): void {
  // s3:GetObject on the bucket's objects Build has already (build once: an earlier attempt's artifact).
  build.role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }),
  );
  grantNpmrcSecrets(build, npmrcSecrets);
}

/**
 * GetSecretValue on the npmrc secrets the catalog names, by name: for Build's install and for Test's, which installs
 * the devDependencies (the test runner) before `npm test`.
 */
export function grantNpmrcSecrets(fn: SluiceFunction, npmrcSecrets: readonly string[]): void {
  if (npmrcSecrets.length === 0) return;
  const stack = Stack.of(fn);
  const secrets = npmrcSecrets.map((name) =>
    stack.formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${name}-??????`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    }),
  );
  fn.role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: secrets }),
  );
  acknowledgeWildcardResources(
    fn.role,
    secrets,
    "Secrets Manager appends six random characters to a secret's ARN; the catalog names the secret.",
  );
}
