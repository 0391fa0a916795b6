import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, CloudFormationValidatePlugin, Stack, Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DISABLE_ASSET_STAGING_CONTEXT } from 'aws-cdk-lib/cx-api';
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { buildApp, main, PIPELINE_STACK_NAME, serviceStackName } from '../../lib/app';
import { SluiceServiceStack } from '../../lib/service-stack';
import {
  hasTemplateValidationPlugin,
  ShapeDedupedValidatePlugin,
  templateNamedAfter,
  templateValidationEnabled,
} from '../../lib/template-validation';
import { testOutdir, testTempDir } from '../support/test-temp-dir';
import { catalogOf, service, testApp } from './fixtures';

function catalogFile(content: unknown): string {
  const dir = testTempDir('app-');
  const file = path.join(dir, 'sluice.catalog.json');
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

afterEach(() => {
  process.exitCode = undefined;
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

/**
 * The app of four services (two shapes: catalogOf alternates the modes) with cdk-nag, synthesized once with CDK's
 * CloudFormation validation on (test/setup.ts turns it off for speed; these tests are about it), and the
 * templates the validation engine was given. Read-only: the tests below only look at it.
 */
function synthValidated() {
  const before = process.env.CDK_VALIDATION;
  process.env.CDK_VALIDATION = 'true';
  const validate = vi.spyOn(CloudFormationValidatePlugin.prototype, 'validate');
  try {
    const built = buildApp({ app: testApp(), catalog: catalogOf(4) });
    // Synthesis adds a construct of its own (the tree metadata) to the app's children.
    const childIds = built.app.node.children.map((c) => c.node.id);
    const assembly = built.app.synth();
    return { ...built, childIds, assembly, validated: templatesGiven(validate) };
  } finally {
    process.env.CDK_VALIDATION = before;
    validate.mockRestore();
  }
}
let synthesized: ReturnType<typeof synthValidated> | undefined;
const validatedApp = () => {
  synthesized ??= synthValidated();
  return synthesized;
};

/** The validated app's stacks, sorted: the pipeline and one per service. */
const STACK_NAMES = ['SluicePipeline', ...[0, 1, 2, 3].map((i) => `SluiceService-svc-${i}`)].sort();

/** For the tests that synthesize with validation: its engine compiles its WebAssembly on first use (seconds). */
const VALIDATING = 120_000;

describe('buildApp', { timeout: VALIDATING }, () => {
  it('creates the pipeline stack and one stack per service, environment-agnostic', () => {
    const { childIds, pipeline, services } = validatedApp();
    expect(pipeline.stackName).toBe(PIPELINE_STACK_NAME);
    expect([...services.keys()]).toEqual(['svc-0', 'svc-1', 'svc-2', 'svc-3']);
    expect(services.get('svc-1')?.stackName).toBe(serviceStackName('svc-1'));
    expect([...childIds].sort()).toEqual(STACK_NAMES);
    expect(pipeline.environment).toBe('aws://unknown-account/unknown-region');
  });

  it('deploys every service stack after the pipeline stack, whose provider creates their alarms, and by ARN only', () => {
    const { assembly, pipeline, services } = validatedApp();
    const providerName = (pipeline.alarmProvider.handler.function.node.defaultChild as lambda.CfnFunction)
      .functionName;
    for (const stack of services.values()) {
      expect(stack.dependencies).toEqual([pipeline]);
      const template = JSON.stringify(assembly.getStackByName(stack.stackName).template);
      // No export to import: a formatted ARN naming the provider's fixed name.
      expect(template).not.toContain('Fn::ImportValue');
      expect(template).toContain(`:function:${providerName}"`);
    }
    expect(pipeline.dependencies).toEqual([]);
  });

  it("synthesizes with cdk-nag's AwsSolutions and CDK's CloudFormation validation reporting nothing", () => {
    const { assembly } = validatedApp();
    expect(assembly.stacks.map((s) => s.stackName).sort()).toEqual(STACK_NAMES);
    const report = JSON.parse(
      fs.readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8'),
    ) as {
      pluginReports: { violations: unknown[] }[];
    };
    expect(report.pluginReports.flatMap((r) => r.violations)).toEqual([]);
  });

  it('fails the synth on an unacknowledged finding (the plugin is active)', () => {
    const { app, pipeline } = buildApp({ app: testApp(), catalog: catalogOf(1) });
    new s3.Bucket(pipeline, 'Unlogged');
    expect(() => app.synth()).toThrow(/AwsSolutions-S1/);
  });
});

describe('main (bin/app.ts)', () => {
  it('builds the app from the catalog named by context', () => {
    const file = catalogFile(catalogOf(1));
    const result = main(testApp({ catalog: file }));
    expect(result?.pipeline.catalogSource).toBe(file);
    expect([...(result?.services.keys() ?? [])]).toEqual(['svc-0']);
    expect(process.exitCode).toBeUndefined();
  });

  it('prints every catalog problem and sets exit code 1', () => {
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line));
    const bad = catalogOf(1);
    const file = catalogFile({
      ...bad,
      services: [{ ...bad.services[0], deploy: { ...bad.services[0]?.deploy, strategy: 'Canary50Percent' } }],
    });
    expect(main(testApp({ catalog: file }))).toBeUndefined();
    expect(process.exitCode).toBe(1);
    expect(errors[0]).toContain(`Invalid service catalog ${file} (1 problem)`);
    expect(errors.join('\n')).toMatch(/services\[0\]\.deploy\.strategy: received "Canary50Percent"/);
  });

  it('reports a missing catalog file', () => {
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line));
    expect(main(testApp({ catalog: '/nope/sluice.catalog.json' }))).toBeUndefined();
    expect(process.exitCode).toBe(1);
    expect(errors.join('\n')).toContain('no such file');
  });
});

interface Report {
  pluginReports: {
    pluginName: string;
    violations: {
      ruleName: string;
      description: string;
      violatingConstructs: {
        constructPath: string;
        cloudFormationResource?: { templatePath: string; logicalId: string };
      }[];
    }[];
  }[];
}

function synthReport(app: App): Report {
  const assembly = app.synth();
  return JSON.parse(
    fs.readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8'),
  ) as Report;
}

/** A stack holding one Lambda function named after `name`, with `memorySize` (below 128 is a schema error). */
function functionStack(app: App, name: string, memorySize: number, named = true): Stack {
  const stack = new Stack(app, `Stack-${name}`);
  new lambda.CfnFunction(stack, 'Fn', {
    functionName: `fn-${name}`,
    code: { zipFile: 'exports.handler = async () => 1;' },
    role: 'arn:aws:iam::123456789012:role/fn',
    runtime: 'nodejs22.x',
    handler: 'index.handler',
    memorySize,
  });
  if (named) templateNamedAfter(stack, name);
  return stack;
}

/** The templates CDK's validation engine was given, by file name, across every call `validate` records. */
function templatesGiven(validate: MockInstance<CloudFormationValidatePlugin['validate']>): string[] {
  return validate.mock.calls.flatMap(([context]) =>
    context.stackTemplates.map((t) => path.basename(t.templatePath)),
  );
}

/** The templates CDK's validation engine was given, by file name, across every call. */
function validatedTemplates(): () => string[] {
  const spy = vi.spyOn(CloudFormationValidatePlugin.prototype, 'validate');
  return () => templatesGiven(spy);
}

describe('ShapeDedupedValidatePlugin', () => {
  // test/setup.ts turns CloudFormation validation off for speed; these tests are about it.
  beforeEach(() => vi.stubEnv('CDK_VALIDATION', 'true'));

  it('reports a finding of one template for every stack with that template, under their own paths', () => {
    const app = testApp();
    for (const name of ['alpha', 'bravo', 'delta']) functionStack(app, name, 64);
    functionStack(app, 'other', 256);
    Validations.of(app).addPlugins(new ShapeDedupedValidatePlugin());

    const findings = synthReport(app)
      .pluginReports.filter((r) => r.pluginName === CloudFormationValidatePlugin.PLUGIN_NAME)
      .flatMap((r) => r.violations);

    expect(findings.map((f) => f.description)).toEqual(['MemorySize: 64 is less than the minimum of 128']);
    expect(
      findings[0]?.violatingConstructs.map((c) => [c.constructPath, c.cloudFormationResource?.templatePath]),
    ).toEqual([
      ['Stack-alpha/Fn', 'Stack-alpha.template.json'],
      ['Stack-bravo/Fn', 'Stack-bravo.template.json'],
      ['Stack-delta/Fn', 'Stack-delta.template.json'],
    ]);
  });

  it('validates one template per shape, and every stack not named after a service on its own', () => {
    const app = testApp();
    for (const name of ['alpha', 'bravo', 'delta']) functionStack(app, name, 256);
    functionStack(app, 'bigger', 512);
    functionStack(app, 'longername', 256);
    functionStack(app, 'plain1', 256, false);
    functionStack(app, 'plain2', 256, false);
    Validations.of(app).addPlugins(new ShapeDedupedValidatePlugin());
    const validated = validatedTemplates();

    app.synth();

    expect(validated().sort()).toEqual(
      [
        'Stack-alpha.template.json',
        'Stack-bigger.template.json',
        'Stack-longername.template.json',
        'Stack-plain1.template.json',
        'Stack-plain2.template.json',
      ].sort(),
    );
  });

  it('sees service stacks that differ only in name as one template', () => {
    const app = testApp();
    for (const name of ['svc-a', 'svc-b', 'svc-c']) {
      new SluiceServiceStack(app, `SluiceService-${name}`, { service: service(name) });
    }
    new SluiceServiceStack(app, 'SluiceService-svc-d', {
      service: service('svc-d', { deploy: { alarms: { p99LatencyMs: 250 } } }),
    });
    Validations.of(app).addPlugins(new ShapeDedupedValidatePlugin());
    const validated = validatedTemplates();

    app.synth();

    expect(validated().sort()).toEqual([
      'SluiceService-svc-a.template.json',
      'SluiceService-svc-d.template.json',
    ]);
  });

  it('is off where CDK’s own validation is off (CDK_VALIDATION=false, cdk synth --no-validation)', () => {
    vi.stubEnv('CDK_VALIDATION', 'false');
    const app = testApp();
    functionStack(app, 'alpha', 64);
    Validations.of(app).addPlugins(new ShapeDedupedValidatePlugin());
    const validated = validatedTemplates();

    const report = synthReport(app);

    expect(validated()).toEqual([]);
    expect(report.pluginReports.flatMap((r) => r.violations)).toEqual([]);
    expect(templateValidationEnabled(app)).toBe(false);
    vi.stubEnv('CDK_VALIDATION', 'true');
    expect(
      templateValidationEnabled(new App({ outdir: testOutdir(), builtinCloudFormationValidation: false })),
    ).toBe(false);
    expect(templateValidationEnabled(testApp())).toBe(true);
  });
});

describe('buildApp template validation', { timeout: VALIDATING }, () => {
  beforeEach(() => vi.stubEnv('CDK_VALIDATION', 'true'));

  it('validates templates with the deduplicating plugin in place of the default', () => {
    const { app, validated } = validatedApp();
    expect(hasTemplateValidationPlugin(app)).toBe(true);
    expect([...validated].sort()).toEqual(
      [
        'SluicePipeline.template.json',
        'SluiceService-svc-0.template.json',
        'SluiceService-svc-1.template.json',
      ].sort(),
    );
  });

  it('keeps an app’s own CloudFormationValidatePlugin (CDK allows one)', () => {
    const app = testApp();
    // CDK's own instance: a new one would start a second validation engine (seconds) for this test alone.
    Validations.of(app).addPlugins(CloudFormationValidatePlugin._singletonInstance());
    buildApp({ app, catalog: catalogOf(2), nag: false });
    expect(() => app.synth()).not.toThrow();
  });

  it('adds no template validation where it is turned off', () => {
    const app = new App({
      outdir: testOutdir(),
      builtinCloudFormationValidation: false,
      context: { 'aws:cdk:bundling-stacks': [], [DISABLE_ASSET_STAGING_CONTEXT]: true },
    });
    buildApp({ app, catalog: catalogOf(1), nag: false });
    expect(hasTemplateValidationPlugin(app)).toBe(false);
  });
});
