import * as path from 'node:path';
import { App, type AppProps, type Environment, Validations } from 'aws-cdk-lib';
import { DISABLE_CREATION_STACK_TRACES } from 'aws-cdk-lib/cx-api';
import { loadCatalogFile } from '../lambdas/core/catalog/load';
import type { Catalog } from '../lambdas/core/catalog/types';
import { formatProblems } from '../lambdas/core/catalog/validate';
import { SluiceSolutionsChecks } from './nag';
import { SluicePipelineStack } from './pipeline-stack';
import { SluiceServiceStack } from './service-stack';
import { PROJECT_ROOT } from './sluice-function';
import {
  hasTemplateValidationPlugin,
  ShapeDedupedValidatePlugin,
  templateValidationEnabled,
} from './template-validation';

/** Stack names: the pipeline, and one stack per service. */
export const PIPELINE_STACK_NAME = 'SluicePipeline';
export const serviceStackName = (service: string): string => `SluiceService-${service}`;

/** The catalog `cdk synth` uses when context `catalog` does not name another file. */
export const DEFAULT_CATALOG_FILE = path.join(PROJECT_ROOT, 'sluice.catalog.json');

export interface BuildAppOptions {
  /** The validated catalog. */
  readonly catalog: Catalog;
  /**
   * The file `catalog` was loaded from, shipped as is to the load-service handler.
   * @default - `catalog` is written as JSON at synth time
   */
  readonly catalogFile?: string;
  /**
   * The app to add the stacks to (e.g. one with context `'aws:cdk:bundling-stacks': []` to skip bundling).
   * @default - a new App created with `appProps`
   */
  readonly app?: App;
  /** @default - none */
  readonly appProps?: AppProps;
  /**
   * Run cdk-nag's AwsSolutions checks at synth; any unacknowledged finding fails the synth.
   * @default true
   */
  readonly nag?: boolean;
  /**
   * Account and region for every stack.
   * @default - environment-agnostic: synth needs no credentials and makes no lookups
   */
  readonly env?: Environment;
}

export interface SluiceApp {
  readonly app: App;
  readonly pipeline: SluicePipelineStack;
  /** By service name. */
  readonly services: ReadonlyMap<string, SluiceServiceStack>;
}

/** Builds the Sluice CDK app: the pipeline stack and one stack per catalog service. Used by bin/app.ts, the local runtime and tests. */
export function buildApp(options: BuildAppOptions): SluiceApp {
  const app = options.app ?? new App(options.appProps);
  const pipeline = new SluicePipelineStack(app, PIPELINE_STACK_NAME, {
    catalog: options.catalog,
    catalogFile: options.catalogFile,
    env: options.env,
    description: 'Sluice: serverless release pipeline (state machine, handlers, ledger, approvals)',
  });
  const services = new Map<string, SluiceServiceStack>();
  for (const service of options.catalog.services) {
    const stack = new SluiceServiceStack(app, serviceStackName(service.name), {
      service,
      env: options.env,
      description: `Sluice service ${service.name}: function, live alias, deployment group, canary alarms`,
    });
    // Its alarms are created and deleted by the pipeline's alarm provider: deploy after it, destroy before it.
    stack.addStackDependency(pipeline, 'the pipeline stack runs the alarm provider of its canary alarms');
    services.set(service.name, stack);
  }
  if (options.nag ?? true) Validations.of(app).addPlugins(new SluiceSolutionsChecks(app));
  // CDK's template validation, once per distinct service template rather than once per service stack.
  if (templateValidationEnabled(app) && !hasTemplateValidationPlugin(app)) {
    Validations.of(app).addPlugins(new ShapeDedupedValidatePlugin());
  }
  return { app, pipeline, services };
}

/** Context key naming the catalog file (`cdk synth -c catalog=path/to/catalog.json`). */
export const CATALOG_CONTEXT_KEY = 'catalog';

/**
 * The CDK app entry: reads and validates the catalog named by context `catalog` (default sluice.catalog.json at
 * the repository root) and builds the app; an invalid catalog prints every problem and exits 1.
 */
export function main(app: App = new App()): SluiceApp | undefined {
  // A creation stack trace per CloudFormation element (source-mapped under tsx) was a fifth of the time each
  // service stack took; the templates do not change. `CDK_DEBUG=true` or `-c <key>=false` brings them back.
  if (app.node.tryGetContext(DISABLE_CREATION_STACK_TRACES) === undefined) {
    app.node.setContext(DISABLE_CREATION_STACK_TRACES, true);
  }
  const fromContext: unknown = app.node.tryGetContext(CATALOG_CONTEXT_KEY);
  const file = path.resolve(
    typeof fromContext === 'string' && fromContext !== '' ? fromContext : DEFAULT_CATALOG_FILE,
  );
  const result = loadCatalogFile(file);
  if (!result.ok) {
    const count = `${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}`;
    console.error(`Invalid service catalog ${file} (${count}):`);
    for (const line of formatProblems(result.problems)) console.error(`  ${line}`);
    process.exitCode = 1;
    return undefined;
  }
  return buildApp({ app, catalog: result.catalog, catalogFile: file });
}
