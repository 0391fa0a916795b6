import { readFileSync } from 'node:fs';
import {
  type App,
  CloudFormationValidatePlugin,
  type IPolicyValidationContext,
  type PolicyValidationPluginReport,
  type PolicyValidationStack,
  type Stack,
} from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { defined } from '../lambdas/core/defined';

/** The name each service stack's template is written around, by stack. */
const templateNames = new WeakMap<IConstruct, string>();

/**
 * Declares that `stack`'s template is written around `name` (a service's): template validation compares it
 * with its siblings with the name masked, and validates only the first of each distinct template.
 */
export function templateNamedAfter(stack: Stack, name: string): void {
  if (name === '') throw new Error('templateNamedAfter: the name must not be empty.');
  templateNames.set(stack, name);
}

/**
 * CDK's built-in CloudFormation template validation (the same engine, rules and severities; registered on an
 * app, it stands in for the default), run once per distinct template instead of once per stack. A stack
 * marked with `templateNamedAfter` is compared with the others after masking its name and renaming its
 * resources' logical IDs in template order (they hold content hashes, such as a function version's). A
 * template equal to one already validated, up to that renaming, shares that one's findings, reported against
 * its own template and logical IDs. The key keeps the name's length, so length limits on names are judged per
 * length; every service name matches the catalog's name rule, so the characters are alike. Every other stack
 * (the pipeline) is validated on its own. For 1,000 services of a few shapes this is a few validations
 * instead of 1,000, which were most of `cdk synth`'s time per service.
 */
export class ShapeDedupedValidatePlugin extends CloudFormationValidatePlugin {
  override validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    if (!templateValidationEnabled(context.appConstruct)) return { success: true, violations: [] };
    const groups = new Map<string, ShapedStack[]>();
    for (const stack of context.stackTemplates) {
      const construct = findByPath(context.appConstruct, stack.stackConstructPath);
      const name = construct && templateNames.get(construct);
      const shaped =
        name === undefined
          ? { stack, key: `stack:${stack.stackConstructPath}`, logicalIds: [] }
          : shapeOf(stack, name);
      const group = groups.get(shaped.key);
      if (group) group.push(shaped);
      else groups.set(shaped.key, [shaped]);
    }
    const representatives = [...groups.values()].map((group) => defined(group[0], 'a group member').stack);
    // CDK's own process-wide instance does the validating: starting its engine takes seconds, and every app
    // built in one process (tests, the local runtime) shares it, with or without this plugin.
    const report = CloudFormationValidatePlugin._singletonInstance().validate({
      appConstruct: context.appConstruct,
      stackTemplates: representatives,
      templatePaths: representatives.map((stack) => stack.templatePath),
    });
    // Each finding on a representative holds for the rest of its group, under their own names.
    const groupOf = new Map(
      [...groups.values()].map((group) => [defined(group[0], 'a group member').stack.templatePath, group]),
    );
    const violations = report.violations.map((violation) => ({
      ...violation,
      violatingResources: violation.violatingResources.flatMap((resource) => {
        const [first, ...rest] = (resource.templatePath && groupOf.get(resource.templatePath)) || [];
        if (!first) return [resource];
        const index = resource.resourceLogicalId ? first.logicalIds.indexOf(resource.resourceLogicalId) : -1;
        return [
          resource,
          ...rest.map((member) => ({
            ...resource,
            templatePath: member.stack.templatePath,
            ...(index >= 0 ? { resourceLogicalId: member.logicalIds[index] } : {}),
            ...(resource.constructPath === first.stack.stackConstructPath
              ? { constructPath: member.stack.stackConstructPath }
              : {}),
          })),
        ];
      }),
    }));
    return { ...report, violations };
  }
}

interface ShapedStack {
  readonly stack: PolicyValidationStack;
  /** Equal for templates equal up to the stack's name and its resources' logical IDs. */
  readonly key: string;
  /** The template's resource logical IDs, in template order. */
  readonly logicalIds: readonly string[];
}

/** A NUL never occurs in JSON text, so the masks cannot be confused with what they replace. */
function shapeOf(stack: PolicyValidationStack, name: string): ShapedStack {
  const text = readFileSync(stack.templatePath, 'utf8');
  const logicalIds = Object.keys((JSON.parse(text) as { Resources?: object }).Resources ?? {});
  let masked = text;
  // Longest first, so no logical ID is masked inside a longer one; then the name (outside the masks).
  const longestFirst = logicalIds
    .map((id, index) => ({ id, index }))
    .sort((a, b) => b.id.length - a.id.length);
  for (const { id, index } of longestFirst)
    masked = masked.split(id).join(`\0${String.fromCharCode(0x100 + index)}`);
  masked = masked.split(name).join('\0\0');
  return {
    stack,
    key: `shape:${name.length}:${stack.accountId}:${stack.region}:${masked}`,
    logicalIds,
  };
}

/**
 * Whether CDK would run its built-in template validation for `app`: not turned off by the App's
 * `builtinCloudFormationValidation: false`, `cdk synth --no-validation` or `CDK_VALIDATION=false`.
 */
export function templateValidationEnabled(app: IConstruct): boolean {
  const builtin = (app as Partial<App>)._builtinCloudFormationValidation;
  return builtin !== false && process.env.CDK_VALIDATION !== 'false';
}

/** Whether `app` already has a CloudFormationValidatePlugin of its own (CDK allows one per app). */
export function hasTemplateValidationPlugin(app: App): boolean {
  return app._validationPlugins.some((plugin) => plugin instanceof CloudFormationValidatePlugin);
}

function findByPath(root: IConstruct, path: string): IConstruct | undefined {
  let node: IConstruct | undefined = root;
  for (const id of path.split('/')) node = node?.node.tryFindChild(id);
  return node;
}
