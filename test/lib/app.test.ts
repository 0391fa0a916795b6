import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildApp, main, PIPELINE_STACK_NAME, serviceStackName } from '../../lib/app';
import { catalogOf, testApp } from './fixtures';

function catalogFile(content: unknown): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-app-'));
  const file = path.join(dir, 'sluice.catalog.json');
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

afterEach(() => {
  process.exitCode = undefined;
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('buildApp', () => {
  it('creates the pipeline stack and one stack per service, environment-agnostic', () => {
    const { app, pipeline, services } = buildApp({ app: testApp(), catalog: catalogOf(2) });
    expect(pipeline.stackName).toBe(PIPELINE_STACK_NAME);
    expect([...services.keys()]).toEqual(['svc-0', 'svc-1']);
    expect(services.get('svc-1')?.stackName).toBe(serviceStackName('svc-1'));
    expect(app.node.children.map((c) => c.node.id).sort()).toEqual(
      ['SluicePipeline', 'SluiceService-svc-0', 'SluiceService-svc-1'].sort(),
    );
    expect(pipeline.environment).toBe('aws://unknown-account/unknown-region');
  });

  it("synthesizes with cdk-nag's AwsSolutions and CDK's CloudFormation validation reporting nothing", () => {
    // test/setup.ts turns CloudFormation validation off for speed; this is the test that runs it.
    vi.stubEnv('CDK_VALIDATION', 'true');
    const { app } = buildApp({ app: testApp(), catalog: catalogOf(2) });
    const assembly = app.synth();
    expect(assembly.stacks.map((s) => s.stackName).sort()).toEqual(
      ['SluicePipeline', 'SluiceService-svc-0', 'SluiceService-svc-1'].sort(),
    );
    const report = JSON.parse(
      fs.readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8'),
    ) as {
      pluginReports: { violations: unknown[] }[];
    };
    expect(report.pluginReports.flatMap((r) => r.violations)).toEqual([]);
    // The validator compiles its WebAssembly on first use: seconds on an idle machine, more on a busy one.
  }, 120_000);

  it('fails the synth on an unacknowledged finding (the plugin is active)', () => {
    const { app, pipeline } = buildApp({ app: testApp(), catalog: catalogOf(1) });
    new s3.Bucket(pipeline, 'Unlogged');
    expect(() => app.synth()).toThrow(/AwsSolutions-S1/);
  });
});

describe('main (bin/app.ts)', () => {
  it('builds the app from the catalog named by context', () => {
    const file = catalogFile(catalogOf(1));
    const result = main(new App({ context: { catalog: file, 'aws:cdk:bundling-stacks': [] } }));
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
      services: [{ ...bad.services[0], deploy: { ...bad.services[0].deploy, strategy: 'Canary50Percent' } }],
    });
    expect(main(new App({ context: { catalog: file } }))).toBeUndefined();
    expect(process.exitCode).toBe(1);
    expect(errors[0]).toContain(`Invalid service catalog ${file} (1 problem)`);
    expect(errors.join('\n')).toMatch(/services\[0\]\.deploy\.strategy: received "Canary50Percent"/);
  });

  it('reports a missing catalog file', () => {
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line));
    expect(main(new App({ context: { catalog: '/nope/sluice.catalog.json' } }))).toBeUndefined();
    expect(process.exitCode).toBe(1);
    expect(errors.join('\n')).toContain('no such file');
  });
});
