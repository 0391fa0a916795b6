import { type Acknowledgment, type CfnResource, Stack, Validations } from 'aws-cdk-lib';
import { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { DISABLE_CREATION_STACK_TRACES } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks, type IApplyRule, type NagPackProps, NagRules, rules } from 'cdk-nag';
import type { IConstruct } from 'constructs';

type NagRule = IApplyRule['rule'];

/**
 * cdk-nag's AwsSolutions pack, every rule on every resource, with the same findings; only cheaper. Its L1 rule
 * (LambdaLatestVersion) depends on nothing but the function's runtime name, yet sorts every runtime CDK knows
 * with a locale-aware compare on each call: about 10 ms a function, so a fifth of a 1,000-service synth (two
 * functions a service stack). Here it runs once per distinct runtime name and its answer is reused.
 */
export class SluiceSolutionsChecks extends AwsSolutionsChecks {
  private readonly latestVersion: NagRule;

  constructor(scope?: IConstruct, props?: NagPackProps) {
    super(scope, props);
    this.latestVersion = memoizedByRuntime(rules.lambda.LambdaLatestVersion);
  }

  protected override applyRule(params: IApplyRule): void {
    super.applyRule(
      params.rule === rules.lambda.LambdaLatestVersion ? { ...params, rule: this.latestVersion } : params,
    );
  }
}

/** `rule`, answering each function from the first answer for its runtime name; anything else goes to `rule`. */
function memoizedByRuntime(rule: NagRule): NagRule {
  const byRuntime = new Map<string, ReturnType<NagRule>>();
  const memoized = (node: CfnResource): ReturnType<NagRule> => {
    if (!(node instanceof CfnFunction)) return rule(node);
    let runtime: unknown;
    try {
      runtime = NagRules.resolveIfPrimitive(node, node.runtime);
    } catch {
      return rule(node); // a token or object: the rule reports it as it always does
    }
    if (typeof runtime !== 'string') return rule(node);
    const known = byRuntime.get(runtime);
    if (known !== undefined) return known;
    const answer = rule(node); // a rule that throws is not remembered: it throws again for the next function
    byRuntime.set(runtime, answer);
    return answer;
  };
  return Object.defineProperty(memoized, 'name', { value: rule.name });
}

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
    acknowledge(scope, {
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
    acknowledge(scope, { id: `AwsSolutions-IAM5[Action::${action}]`, reason });
  }
}

/**
 * `Validations.of(scope).acknowledge(...rules)`, the same acknowledgements, without the stack trace CDK
 * records with each one when the app has creation stack traces off (context
 * `@aws-cdk/core:disableCreationStackTraces`, which bin/app.ts sets, and no `CDK_DEBUG`): the very condition under
 * which CDK records no creation stack traces either. Capturing and source-mapping that trace was a twentieth of
 * each service stack's synth. The acknowledgement's metadata then reads "(no user code in 0 frames...)".
 */
export function acknowledge(scope: IConstruct, ...rules: Acknowledgment[]): void {
  if (!creationStackTracesOff(scope)) {
    Validations.of(scope).acknowledge(...rules);
    return;
  }
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    Validations.of(scope).acknowledge(...rules);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** CDK's own test (CfnElement): the context key set and `CDK_DEBUG` not 1/on/true. */
function creationStackTracesOff(scope: IConstruct): boolean {
  const debug = ['1', 'on', 'true'].includes((process.env.CDK_DEBUG ?? '').toLowerCase());
  return Boolean(scope.node.tryGetContext(DISABLE_CREATION_STACK_TRACES)) && !debug;
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
