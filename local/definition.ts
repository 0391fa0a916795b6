/**
 * Turns the synthesized pipeline template into what the local runtime runs: the state machine definition
 * exactly as CDK rendered it (intrinsics resolved to local placeholders), the ledger table's schema, and
 * which handler module each Task state calls.
 */
import { HANDLER_NAMES, type HandlerName } from '../lambdas/runtime/env';

export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'local';

type CfnValue = unknown;
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, CfnValue>;
  readonly Metadata?: Record<string, unknown>;
}
export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
}

export interface AslState {
  readonly Type: string;
  readonly Resource?: string;
  readonly Parameters?: Record<string, unknown>;
  readonly [key: string]: unknown;
}
export interface AslDefinition {
  readonly StartAt: string;
  readonly States: Record<string, AslState>;
  readonly [key: string]: unknown;
}

/** How a Task state calls its Lambda: the whole state as payload, or lambda:invoke.waitForTaskToken. */
export interface TaskBinding {
  readonly stateName: string;
  readonly handler: HandlerName;
  readonly waitForTaskToken: boolean;
}

export interface LocalDefinition {
  readonly definition: AslDefinition;
  readonly bindings: readonly TaskBinding[];
  /** Properties of the AWS::DynamoDB::Table, as rendered. */
  readonly table: Record<string, unknown>;
  /** The state machine's ARN as its execution events carry it (its StateMachineName in the local account). */
  readonly stateMachineArn: string;
}

const PSEUDO: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': LOCAL_REGION,
  'AWS::AccountId': LOCAL_ACCOUNT,
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': 'SluicePipeline',
};

/** The local stand-in for a Lambda ARN: the function's logical id is its name. */
export function localFunctionArn(logicalId: string): string {
  return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${logicalId}`;
}

/** A template value (string, Fn::Join, Fn::GetAtt, Ref) as a string, intrinsics resolved to local placeholders. */
export function resolveTemplateString(value: CfnValue, template: CfnTemplate): string {
  if (typeof value === 'string') return value;
  const node = value as Record<string, CfnValue>;
  if ('Fn::Join' in node) {
    const [separator, parts] = node['Fn::Join'] as [string, CfnValue[]];
    return parts.map((part) => resolveTemplateString(part, template)).join(separator);
  }
  if ('Fn::GetAtt' in node) {
    const [logicalId, attribute] = node['Fn::GetAtt'] as [string, string];
    const target = template.Resources[logicalId];
    if (target?.Type === 'AWS::Lambda::Function' && attribute === 'Arn') return localFunctionArn(logicalId);
    return `local:${logicalId}.${attribute}`;
  }
  if ('Ref' in node) {
    const ref = node.Ref as string;
    return PSEUDO[ref] ?? `local:${ref}`;
  }
  throw new Error(`Cannot resolve ${JSON.stringify(value).slice(0, 200)} in the pipeline template`);
}

function functionLogicalIdOf(state: AslState): { logicalId: string; waitForTaskToken: boolean } | undefined {
  const fromArn = (arn: unknown) =>
    typeof arn === 'string' ? /:function:([^:]+)$/.exec(arn)?.[1] : undefined;
  if (state.Resource?.startsWith('arn:aws:lambda:')) {
    const logicalId = fromArn(state.Resource);
    return logicalId ? { logicalId, waitForTaskToken: false } : undefined;
  }
  if (state.Resource?.includes(':states:::lambda:invoke')) {
    const logicalId = fromArn(state.Parameters?.FunctionName);
    return logicalId
      ? { logicalId, waitForTaskToken: state.Resource.endsWith('.waitForTaskToken') }
      : undefined;
  }
  return undefined;
}

/** The state machine's definition as CDK rendered it, its intrinsics resolved to local placeholders. */
export function renderDefinition(template: CfnTemplate): AslDefinition {
  const machines = Object.values(template.Resources).filter(
    (r) => r.Type === 'AWS::StepFunctions::StateMachine',
  );
  if (machines.length !== 1)
    throw new Error(`Expected one state machine in the pipeline template, found ${machines.length}`);
  return JSON.parse(
    resolveTemplateString(machines[0]?.Properties?.DefinitionString, template),
  ) as AslDefinition;
}

/** The handler module each Lambda function runs, by the function's logical id (its `Sluice::Handler` metadata). */
export function lambdaHandlersOf(template: CfnTemplate): Map<string, HandlerName> {
  const handlerOf = new Map<string, HandlerName>();
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const name = resource.Metadata?.['Sluice::Handler'];
    if (resource.Type === 'AWS::Lambda::Function' && typeof name === 'string') {
      if (!(HANDLER_NAMES as readonly string[]).includes(name))
        throw new Error(`Unknown Sluice::Handler ${name} on ${logicalId}`);
      handlerOf.set(logicalId, name as HandlerName);
    }
  }
  return handlerOf;
}

export function extractLocalDefinition(template: CfnTemplate): LocalDefinition {
  const machines = Object.entries(template.Resources).filter(
    ([, r]) => r.Type === 'AWS::StepFunctions::StateMachine',
  );
  if (machines.length !== 1)
    throw new Error(`Expected one state machine in the pipeline template, found ${machines.length}`);
  const tables = Object.values(template.Resources).filter((r) => r.Type === 'AWS::DynamoDB::Table');
  if (tables.length !== 1)
    throw new Error(`Expected one DynamoDB table in the pipeline template, found ${tables.length}`);

  const definition = renderDefinition(template);

  const handlerOf = lambdaHandlersOf(template);

  const bindings: TaskBinding[] = [];
  const unbound: string[] = [];
  for (const [stateName, state] of Object.entries(definition.States)) {
    if (state.Type !== 'Task') continue;
    const target = functionLogicalIdOf(state);
    const handler = target && handlerOf.get(target.logicalId);
    if (!target || !handler) {
      unbound.push(`${stateName} (${state.Resource ?? 'no Resource'})`);
      continue;
    }
    bindings.push({ stateName, handler, waitForTaskToken: target.waitForTaskToken });
  }
  // Every Task must run locally; one that cannot be bound is an error, never silently skipped.
  if (unbound.length > 0) {
    throw new Error(
      `Task states with no local handler: ${unbound.join(', ')}. Each Lambda needs 'Sluice::Handler' metadata.`,
    );
  }
  const [machine] = machines;
  const name = machine?.[1].Properties?.StateMachineName;
  const stateMachineArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${
    name === undefined ? machine?.[0] : resolveTemplateString(name as CfnValue, template)
  }`;
  return { definition, bindings, table: tables[0]?.Properties ?? {}, stateMachineArn };
}
