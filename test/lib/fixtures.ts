/** Shared fixtures for the CDK tests: catalogs, synth without bundling, rendered ASL, cdk-nag findings. */
import { App, type Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import type { Catalog, ServiceConfig } from '../../lib/catalog/types';

/** An app that skips asset bundling (NodejsFunction would run esbuild for each handler). */
export function testApp(): App {
  return new App({ context: { 'aws:cdk:bundling-stacks': [] } });
}

type DeepPartial<T> = { -readonly [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

export function service(name = 'hello', overrides: DeepPartial<ServiceConfig> = {}): ServiceConfig {
  const base: ServiceConfig = {
    name,
    mode: 'deployment',
    source: { repository: `${name}-repo`, provider: 'codecommit', branch: 'main', path: '.' },
    runtime: { entry: 'src/index.ts', handler: 'handler', tests: 'test' },
    smoke: { path: '/', method: 'GET', expectStatus: 200 },
    deploy: { strategy: 'Canary10Percent5Minutes', alarms: { errorRatePercent: 5, p99LatencyMs: 1000 } },
  };
  return {
    ...base,
    ...overrides,
    source: { ...base.source, ...overrides.source },
    runtime: { ...base.runtime, ...overrides.runtime },
    smoke: { ...base.smoke, ...overrides.smoke },
    deploy: {
      ...base.deploy,
      ...overrides.deploy,
      alarms: { ...base.deploy.alarms, ...overrides.deploy?.alarms },
    } as ServiceConfig['deploy'],
    ...(overrides.approval ? { approval: overrides.approval as ServiceConfig['approval'] } : {}),
  } as ServiceConfig;
}

export function catalogOf(count: number): Catalog {
  return {
    version: 1,
    services: Array.from({ length: count }, (_, i) =>
      service(
        `svc-${i}`,
        i % 2 === 0
          ? {}
          : {
              mode: 'delivery',
              approval: {
                approvers: ['a@example.com'],
                required: 1,
                expiresAfterHours: 72,
                channels: ['email'],
              },
            },
      ),
    ),
  };
}

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

/** A resource's Properties; every resource the tests read has them. */
export function propsOf(resource: CfnResource): Record<string, unknown> {
  if (!resource.Properties) throw new Error(`${resource.Type} has no Properties`);
  return resource.Properties;
}

export function resourcesOf(template: Template, type?: string): Record<string, CfnResource> {
  const all = template.toJSON().Resources as Record<string, CfnResource>;
  return Object.fromEntries(Object.entries(all).filter(([, r]) => type === undefined || r.Type === type));
}

/** Turns CloudFormation intrinsics into fixed strings: a Lambda's ARN names its logical id. */
function resolveIntrinsics(value: unknown): string {
  if (typeof value === 'string') return value;
  const node = value as Record<string, unknown>;
  if (Array.isArray(node['Fn::Join'])) {
    const [separator, parts] = node['Fn::Join'] as [string, unknown[]];
    return parts.map(resolveIntrinsics).join(separator);
  }
  if (Array.isArray(node['Fn::GetAtt'])) {
    const [logicalId] = node['Fn::GetAtt'] as [string, string];
    return `arn:aws:lambda:us-east-1:123456789012:function:${logicalId}`;
  }
  const pseudo: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::Region': 'us-east-1',
    'AWS::AccountId': '123456789012',
    'AWS::URLSuffix': 'amazonaws.com',
  };
  if (typeof node.Ref === 'string') return pseudo[node.Ref] ?? `ref-${node.Ref}`;
  throw new Error(`Unexpected intrinsic in the definition: ${JSON.stringify(value)}`);
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

/** The one state machine's definition, parsed. */
export function renderDefinition(template: Template): AslDefinition {
  const machines = Object.values(resourcesOf(template, 'AWS::StepFunctions::StateMachine'));
  if (machines.length !== 1) throw new Error(`expected one state machine, found ${machines.length}`);
  return JSON.parse(resolveIntrinsics(machines[0].Properties?.DefinitionString)) as AslDefinition;
}

/** Unacknowledged AwsSolutions findings (errors and warnings) under `scope`, as `<rule> at <path>`. */
export function nagFindings(scope: IConstruct | Stack): string[] {
  const report = new AwsSolutionsChecks().validateScope(scope);
  return report.violations.flatMap((v) =>
    v.violatingResources.map((r) => `${v.severity} ${v.ruleName} at ${r.constructPath}`),
  );
}
