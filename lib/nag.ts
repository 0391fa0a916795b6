import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag names each wildcard finding of AwsSolutions-IAM5 after the flattened resource
 * (`Resource::arn:<AWS::Partition>:lambda:...:function:sluice-*`); this renders an ARN, token or not, the
 * same way, so an acknowledgement names exactly the resource it concerns.
 */
export function nagResourceId(scope: IConstruct, arn: string): string {
  return flatten(Stack.of(scope).resolve(arn));
}

/**
 * Acknowledges AwsSolutions-IAM5 for exactly these wildcard resources on `scope` (a role, or the construct
 * holding it), with the reason they cannot be narrower. Any other wildcard still fails the check.
 */
export function acknowledgeWildcardResources(
  scope: IConstruct,
  arns: readonly string[],
  reason: string,
): void {
  for (const arn of arns) {
    Validations.of(scope).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagResourceId(scope, arn)}]`,
      reason,
    });
  }
}

/** Acknowledges AwsSolutions-IAM5 for exactly these wildcard actions (e.g. `kms:GenerateDataKey*`) on `scope`. */
export function acknowledgeWildcardActions(
  scope: IConstruct,
  actions: readonly string[],
  reason: string,
): void {
  for (const action of actions) {
    Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Action::${action}]`, reason });
  }
}

function flatten(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/}/g, '>');
  if (typeof node === 'object' && node !== null) {
    const value = node as Record<string, unknown>;
    if (Array.isArray(value['Fn::Join'])) {
      const [delimiter, items] = value['Fn::Join'] as [string, unknown[]];
      return items.map(flatten).join(delimiter);
    }
    if ('Fn::Sub' in value) return flatten(value['Fn::Sub']);
    if (Array.isArray(value['Fn::GetAtt'])) {
      const [resource, attribute] = value['Fn::GetAtt'] as [unknown, unknown];
      return `<${flatten(resource)}.${flatten(attribute)}>`;
    }
    if ('Fn::ImportValue' in value) return flatten(value['Fn::ImportValue']);
    if ('Ref' in value) return `<${flatten(value.Ref)}>`;
  }
  return JSON.stringify(node);
}
