/**
 * The EventBridge rules of a synthesized template (AWS::Events::Rule), read as PutRule and PutTargets would take
 * them: each rule's bus, pattern, state and targets, every pattern and target input validated up front. The local
 * event bus delivers by these rules and nothing else.
 */
import {
  type CfnResource,
  type CfnTemplate,
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  resolveTemplateString,
} from '../../definition';
import { compileEventPattern, type EventPattern } from './pattern';
import { compileTargetInput, type TargetInput, type TargetInputSpec } from './target-input';

export const DEFAULT_EVENT_BUS = 'default';

/** A rule or target the local bus cannot stand in for (never skipped silently). */
export class UnsupportedRuleError extends Error {
  override readonly name = 'UnsupportedRuleError';
}

export interface RuleTarget {
  readonly id: string;
  /** The AWS::Lambda::Function the target invokes (through an alias or version, if the Arn names one). */
  readonly functionLogicalId: string;
  readonly input: TargetInput;
}

export interface EventRule {
  readonly logicalId: string;
  /** The rule's Name, or its logical id when CloudFormation would generate one. */
  readonly name: string;
  readonly arn: string;
  /** The bus the rule listens on: `default` or the custom bus's name. */
  readonly busName: string;
  readonly enabled: boolean;
  readonly pattern: EventPattern;
  readonly targets: readonly RuleTarget[];
}

function fail(rule: string, message: string): never {
  throw new UnsupportedRuleError(`Rule ${rule}: ${message}`);
}

/** A bus reference as a bus name: a name, an ARN, or a Ref / Fn::GetAtt to an AWS::Events::EventBus. */
export function eventBusNameOf(value: unknown, template: CfnTemplate): string {
  if (value === undefined) return DEFAULT_EVENT_BUS;
  const node = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  const logicalId = node.Ref ?? node['Fn::GetAtt']?.[0];
  const bus = logicalId ? template.Resources[logicalId] : undefined;
  if (bus?.Type === 'AWS::Events::EventBus') {
    return resolveTemplateString(bus.Properties?.Name, template);
  }
  return busNameOf(resolveTemplateString(value, template));
}

/** A bus name from a name or an ARN (which ends in event-bus/<name>), as PutEvents' EventBusName takes either. */
export function busNameOf(nameOrArn: string): string {
  return /:event-bus\/(.+)$/.exec(nameOrArn)?.[1] ?? nameOrArn;
}

/** The function a target's Arn invokes: Fn::GetAtt [Function, Arn], or a Ref to an alias or version of one. */
function functionOf(arn: unknown, template: CfnTemplate, rule: string): string {
  const node = arn as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  const logicalId = node?.['Fn::GetAtt']?.[1] === 'Arn' ? node['Fn::GetAtt'][0] : node?.Ref;
  const resource: CfnResource | undefined = logicalId ? template.Resources[logicalId] : undefined;
  if (logicalId && resource?.Type === 'AWS::Lambda::Function') return logicalId;
  if (resource && (resource.Type === 'AWS::Lambda::Alias' || resource.Type === 'AWS::Lambda::Version')) {
    return functionOf(resource.Properties?.FunctionName, template, rule);
  }
  return fail(
    rule,
    `target ${JSON.stringify(arn).slice(0, 120)} is not a Lambda function of this template; the local bus invokes Lambda targets only`,
  );
}

export function readEventRules(template: CfnTemplate): EventRule[] {
  const rules: EventRule[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type === 'AWS::Events::Rule')
      rules.push(inRule(logicalId, () => readRule(logicalId, resource, template)));
  }
  return rules;
}

/** Names the rule in whatever error reading it raises (a refused pattern, target or input). */
function inRule<T>(logicalId: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof Error && !error.message.startsWith(`Rule ${logicalId}`)) {
      error.message = `Rule ${logicalId}: ${error.message}`;
    }
    throw error;
  }
}

/**
 * A pattern's intrinsics (e.g. the release state machine's ARN, an Fn::Join of pseudo parameters) as
 * CloudFormation resolves them before PutRule, here to their local values.
 */
function resolvePatternValues(value: unknown, template: CfnTemplate): unknown {
  if (Array.isArray(value)) return value.map((item) => resolvePatternValues(item, template));
  if (typeof value !== 'object' || value === null) return value;
  const keys = Object.keys(value);
  const [key] = keys;
  if (keys.length === 1 && key !== undefined && (key === 'Ref' || key.startsWith('Fn::'))) {
    return resolveTemplateString(value as never, template);
  }
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, resolvePatternValues(item, template)]),
  );
}

function readRule(logicalId: string, resource: CfnResource, template: CfnTemplate): EventRule {
  const props = resource.Properties ?? {};
  if (props.ScheduleExpression !== undefined) fail(logicalId, 'scheduled rules have no local stand-in');
  if (props.EventPattern === undefined) fail(logicalId, 'has no EventPattern');
  const name = typeof props.Name === 'string' ? props.Name : logicalId;
  const busName = eventBusNameOf(props.EventBusName, template);
  const state = props.State ?? 'ENABLED';
  const targets = ((props.Targets ?? []) as Record<string, unknown>[]).map((target) => ({
    id: String(target.Id),
    functionLogicalId: functionOf(target.Arn, template, logicalId),
    input: compileTargetInput(String(target.Id), target as TargetInputSpec),
  }));
  return {
    logicalId,
    name,
    arn:
      busName === DEFAULT_EVENT_BUS
        ? `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:rule/${name}`
        : `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:rule/${busName}/${name}`,
    busName,
    enabled: state !== 'DISABLED',
    pattern: compileEventPattern(resolvePatternValues(props.EventPattern, template)),
    targets,
  };
}
