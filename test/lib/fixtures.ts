/** Shared fixtures for the CDK tests: catalogs, synth without bundling, rendered ASL, cdk-nag findings. */

import { App, type Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { DISABLE_ASSET_STAGING_CONTEXT, DISABLE_CREATION_STACK_TRACES } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import type { Catalog, ServiceConfig } from '../../lambdas/core/catalog/types';
import {
  type AslDefinition,
  type CfnTemplate,
  renderDefinition as renderLocalDefinition,
} from '../../local/definition';
import { testOutdir } from '../support/test-temp-dir';

/**
 * An app that skips asset bundling (NodejsFunction would run esbuild for each handler), asset staging (each synth
 * would copy every asset folder, the npm layer's ~2,000 files, into its fresh assembly folder) and creation stack
 * traces (one per CloudFormation element, source-mapped through vitest; `main` turns them off for `cdk synth` too).
 * The templates are the same either way: asset hashes come from the source. A test that reads the staged files
 * opts back in with `[DISABLE_ASSET_STAGING_CONTEXT]: false`. Its assembly goes to a folder removed after the file.
 */
export function testApp(context: Record<string, unknown> = {}): App {
  return new App({
    outdir: testOutdir(),
    context: {
      'aws:cdk:bundling-stacks': [],
      [DISABLE_ASSET_STAGING_CONTEXT]: true,
      [DISABLE_CREATION_STACK_TRACES]: true,
      ...context,
    },
  });
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

/** The one state machine's definition, parsed, as the local runtime renders it (Lambda ARNs name logical ids). */
export function renderDefinition(template: Template): AslDefinition {
  return renderLocalDefinition(template.toJSON() as CfnTemplate);
}

/** Unacknowledged AwsSolutions findings (errors and warnings) under `scope`, as `<rule> at <path>`. */
export function nagFindings(scope: IConstruct | Stack): string[] {
  const report = new AwsSolutionsChecks().validateScope(scope);
  return report.violations.flatMap((v) =>
    v.violatingResources.map((r) => `${v.severity} ${v.ruleName} at ${r.constructPath}`),
  );
}

export type { AslDefinition, AslState } from '../../local/definition';
