import { Annotations, ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Catalog } from '../lambdas/core/catalog/types';
import { acknowledgeWildcardResources } from './nag';
import type { SluiceFunction } from './sluice-function';

/** Every AWS resource of a service is named `sluice-<service>` (serviceResourceName in lambdas/core/catalog/types.ts). */
const SERVICE_NAME_PATTERN = 'sluice-*';

/** The CodeCommit repositories the catalog's services live in (GitHub services have none), each once. */
export function codeCommitRepositoriesOf(catalog: Pick<Catalog, 'services'>): string[] {
  const names = catalog.services
    .filter((service) => (service.source.provider ?? 'codecommit') === 'codecommit')
    .map((service) => service.source.repository);
  return [...new Set(names)].sort();
}

/**
 * The most repositories a read grant names one by one. Each repository ARN takes about 60 characters and one
 * statement must fit a managed policy (6,144; CDK moves what overflows a role's inline policy there): beyond
 * this many the grant falls back to the account's repositories in the region, with a synth warning.
 */
export const MAX_NAMED_REPOSITORIES = 100;

/**
 * Read-only CodeCommit `actions` on exactly these repositories (the catalog's, in this account and region).
 * No repository, no statement: a catalog of GitHub services reads no CodeCommit at all.
 */
export function grantCodeCommitRead(
  handler: SluiceFunction,
  actions: readonly string[],
  repositories: readonly string[],
): void {
  if (repositories.length === 0) return;
  const stack = handler.role.stack;
  const named = repositories.length <= MAX_NAMED_REPOSITORIES;
  const resources = named
    ? repositories.map((repository) => stack.formatArn({ service: 'codecommit', resource: repository }))
    : [stack.formatArn({ service: 'codecommit', resource: '*' })];
  handler.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...actions], resources }));
  if (named) return;
  Annotations.of(handler).addWarningV2(
    'sluice:codecommit-read-wide',
    `The catalog has ${repositories.length} CodeCommit repositories, more than the ${MAX_NAMED_REPOSITORIES} a ` +
      "read grant names one by one: the handler may read every CodeCommit repository of this account's region.",
  );
  acknowledgeWildcardResources(
    handler.role,
    resources,
    `More than ${MAX_NAMED_REPOSITORIES} catalog repositories do not fit a role's inline policy quota by name; ` +
      "read-only access to this account's CodeCommit repositories in this region instead.",
  );
}

/** The catalog object itself, not the whole asset staging bucket. */
export function grantCatalogRead(handler: SluiceFunction, catalog: s3assets.Asset): void {
  handler.role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['s3:GetObject'],
      resources: [catalog.bucket.arnForObjects(catalog.s3ObjectKey)],
    }),
  );
}

/**
 * GetSecretValue on one secret (and decrypting it, when it has a customer key): what the handlers do with a
 * secret. Unlike Secret.grantRead, no DescribeSecret, which no handler calls.
 */
export function grantSecretValue(handler: SluiceFunction, secret: secretsmanager.ISecret): void {
  handler.role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }),
  );
  secret.encryptionKey?.grantDecrypt(handler.role);
}

/** `actions` on the artifact bucket's objects. */
export function grantArtifacts(handler: SluiceFunction, bucket: s3.IBucket, actions: string[]): void {
  const objects = bucket.arnForObjects('*');
  handler.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources: [objects] }));
  acknowledgeWildcardResources(
    handler.role,
    [objects],
    'Artifact keys are per release and unknown at deploy time; the bucket holds nothing but Sluice artifacts.',
  );
}

/**
 * `actions` on the service functions: on the function itself (`qualified: false`; Lambda authorizes code,
 * version and alias operations there), or on its versions and aliases only (`qualified: true`; Invoke with
 * a Qualifier).
 */
export function grantServiceFunctions(
  handler: SluiceFunction,
  actions: string[],
  options: { qualified: boolean },
): void {
  const name = options.qualified ? `${SERVICE_NAME_PATTERN}:*` : SERVICE_NAME_PATTERN;
  const resource = Stack.of(handler).formatArn({
    service: 'lambda',
    resource: 'function',
    resourceName: name,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  handler.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources: [resource] }));
  acknowledgeWildcardResources(
    handler.role,
    [resource],
    'Services are catalog data, not stack resources: every service function is named sluice-<service> ' +
      '(and its versions/aliases sluice-<service>:<qualifier>), so the name prefix is the narrowest stable scope.',
  );
}

export function grantCodeDeploy(handler: SluiceFunction, use: 'deploy' | 'events'): void {
  const arn = (resource: string, resourceName: string) =>
    Stack.of(handler).formatArn({
      service: 'codedeploy',
      resource,
      resourceName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  const groups = arn('deploymentgroup', `${SERVICE_NAME_PATTERN}/${SERVICE_NAME_PATTERN}`);
  const applications = arn('application', SERVICE_NAME_PATTERN);
  const configs = arn('deploymentconfig', 'CodeDeployDefault.Lambda*');
  // CreateDeployment with a config name and an AppSpec revision also checks the config and the revision.
  const statements =
    use === 'deploy'
      ? [
          new iam.PolicyStatement({ actions: ['codedeploy:CreateDeployment'], resources: [groups] }),
          new iam.PolicyStatement({
            actions: ['codedeploy:RegisterApplicationRevision', 'codedeploy:GetApplicationRevision'],
            resources: [applications],
          }),
          new iam.PolicyStatement({ actions: ['codedeploy:GetDeploymentConfig'], resources: [configs] }),
        ]
      : [new iam.PolicyStatement({ actions: ['codedeploy:GetDeployment'], resources: [groups] })];
  for (const statement of statements) handler.role.addToPrincipalPolicy(statement);
  acknowledgeWildcardResources(
    handler.role,
    use === 'deploy' ? [groups, applications, configs] : [groups],
    'Services are catalog data, not stack resources: each service has a CodeDeploy application and deployment ' +
      "group named sluice-<service> (in the service's own stack), and uses CodeDeploy's predefined Lambda configs.",
  );
}
