import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { acknowledgeWildcardResources } from './nag';
import type { SluiceFunction } from './sluice-function';

/** Read-only CodeCommit `actions` on this account's repositories in this region (which ones is catalog data). */
export function grantCodeCommitRead(handler: SluiceFunction, actions: string[]): void {
  const repositories = handler.role.stack.formatArn({ service: 'codecommit', resource: '*' });
  handler.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources: [repositories] }));
  acknowledgeWildcardResources(
    handler.role,
    [repositories],
    "Read-only access to this account's CodeCommit repositories in this region: which repositories hold " +
      'services is catalog data, changed without a deploy; listing them would grow the policy with the catalog.',
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
