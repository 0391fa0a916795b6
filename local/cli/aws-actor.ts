/**
 * Who a `--aws` command acts as: who the caller's AWS credentials belong to (STS GetCallerIdentity), mapped
 * through the service's catalog approval identities when it maps to one person, else the principal ARN. Never
 * only a typed name: `--as` is checked against it.
 */
import type { STSClient } from '@aws-sdk/client-sts';
import { StsCallerIdentity } from '../../lambdas/adapters/aws/sts-caller-identity';
import { approversOfPrincipal } from '../../lambdas/core/approver-identity';
import { requireCatalogFile } from '../../lambdas/core/catalog/load';

export interface ProvenActorRequest {
  readonly sts: STSClient;
  readonly catalogFile: string;
  /** The service whose approval identities map the principal; none maps to nobody. */
  readonly service: string | undefined;
  /** Checked against who the credentials prove. @default - not checked */
  readonly as?: string;
  /** The command's refusal, thrown when `as` does not match. */
  readonly refuse: (message: string) => Error;
}

export async function provenActor(request: ProvenActorRequest): Promise<string> {
  const principalArn = await new StsCallerIdentity(request.sts).principalArn();
  const policy = requireCatalogFile(request.catalogFile).services.find(
    (s) => s.name === request.service,
  )?.approval;
  const mapped = policy ? approversOfPrincipal(policy, principalArn) : [];
  const actor = mapped.length === 1 && mapped[0] ? mapped[0] : principalArn;
  if (request.as !== undefined && request.as.trim().toLowerCase() !== actor.toLowerCase()) {
    throw request.refuse(
      `--as ${request.as} does not match who your AWS credentials are (${principalArn}${actor !== principalArn ? `, ${actor}` : ''}); nothing changed.`,
    );
  }
  return actor;
}
