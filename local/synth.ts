import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { DISABLE_ASSET_STAGING_CONTEXT } from 'aws-cdk-lib/cx-api';
import type { Catalog } from '../lambdas/core/catalog/types';
import { buildApp, PIPELINE_STACK_NAME, serviceStackName } from '../lib/app';
import { SluiceServiceStack } from '../lib/service-stack';
import { LOCAL_GIT_PUSHES_CONTEXT } from '../lib/triggers';
import type { CfnTemplate } from './definition';

/**
 * Context for a synth whose templates are all that is read: no bundling (the local runtime runs the handlers'
 * source) and no asset staging (copying each asset folder, the npm layer's ~2,000 files, into an assembly folder
 * deleted right after). Asset hashes, and so the templates, are the same: CDK fingerprints the source either way.
 */
const TEMPLATE_ONLY_CONTEXT = { 'aws:cdk:bundling-stacks': [], [DISABLE_ASSET_STAGING_CONTEXT]: true };

/**
 * Nor the assembly's extras: CDK's CloudFormation template validation (its engine takes seconds to start in each
 * process; `cdk synth` and the tests validate these same templates) and tree.json (read by IDE tools, never here).
 */
const TEMPLATE_ONLY_APP_PROPS = { builtinCloudFormationValidation: false, treeMetadata: false } as const;

/**
 * Builds and synthesizes a template-only app (with `context` added) in a temporary assembly folder, removed once
 * `build` has read what it needs.
 */
function withTemplateOnlyApp<T>(context: Record<string, unknown>, build: (app: App) => T): T {
  const outdir = mkdtempSync(join(tmpdir(), 'sluice-synth-'));
  try {
    return build(
      new App({ ...TEMPLATE_ONLY_APP_PROPS, outdir, context: { ...TEMPLATE_ONLY_CONTEXT, ...context } }),
    );
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * Synthesizes the pipeline stack in-process and returns its CloudFormation template: the same construct `cdk
 * deploy` uses.
 */
export function synthPipelineTemplate(catalog: Catalog, catalogFile?: string): CfnTemplate {
  // The local git watchers publish to the Sluice bus, as in AWS only the GitHub webhook may.
  return withTemplateOnlyApp({ [LOCAL_GIT_PUSHES_CONTEXT]: true }, (app) => {
    buildApp({ app, catalog, ...(catalogFile ? { catalogFile } : {}), nag: false });
    return app.synth().getStackByName(PIPELINE_STACK_NAME).template as CfnTemplate;
  });
}

/**
 * Synthesizes each service's own stack (function, alias, deployment group, alarms) and returns their templates by
 * service name: the alarms the local CloudWatch evaluates are the ones `cdk deploy` creates.
 */
export function synthServiceTemplates(catalog: Catalog): Map<string, CfnTemplate> {
  return withTemplateOnlyApp({}, (app) => {
    const stacks = catalog.services.map(
      (service) =>
        [service.name, new SluiceServiceStack(app, serviceStackName(service.name), { service })] as const,
    );
    const assembly = app.synth();
    return new Map(
      stacks.map(([name, stack]) => [name, assembly.getStackByName(stack.stackName).template as CfnTemplate]),
    );
  });
}
