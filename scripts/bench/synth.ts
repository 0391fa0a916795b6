/**
 * `cdk synth` of a generated catalog of N services, run as users run it (the project's CDK CLI in a child
 * process, handlers bundled), timed from start to exit. Offline: no version check, no notices, no telemetry.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { CfnTemplate } from '../../local/definition';

export const PROJECT_ROOT = resolve(__dirname, '..', '..');

/** N services alternating between deployment and delivery, like a real catalog. */
export function generatedCatalog(count: number): unknown {
  const pad = String(count).length;
  return {
    version: 1,
    services: Array.from({ length: count }, (_, i) => {
      const name = `svc-${String(i + 1).padStart(pad, '0')}`;
      return {
        name,
        mode: i % 2 === 0 ? 'deployment' : 'delivery',
        source: { repository: name, branch: 'main', path: '.' },
        runtime: { entry: 'src/handler.ts' },
        ...(i % 2 === 0 ? {} : { approval: { approvers: ['approver@example.com'] } }),
      };
    }),
  };
}

export interface SynthMeasurement {
  readonly services: number;
  readonly seconds: number;
  readonly pipelineResources: number;
  /** The cloud assembly: templates and the bundled handler assets. */
  readonly outdir: string;
  readonly pipelineTemplate: CfnTemplate;
}

function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    child.once('error', fail);
    child.once('exit', (code) =>
      code === 0 ? done() : fail(new Error(`${command} ${args.join(' ')} exited ${code}:\n${stderr}`)),
    );
  });
}

/** Synthesizes the app for `count` generated services into `<workDir>/cdk.out-<count>`. */
export async function measureSynth(count: number, workDir: string): Promise<SynthMeasurement> {
  await mkdir(workDir, { recursive: true });
  const catalogFile = join(workDir, `catalog-${count}.json`);
  const outdir = join(workDir, `cdk.out-${count}`);
  await writeFile(catalogFile, JSON.stringify(generatedCatalog(count)));
  await rm(outdir, { recursive: true, force: true });
  const started = performance.now();
  await run(
    join(PROJECT_ROOT, 'node_modules', '.bin', 'cdk'),
    ['synth', '--quiet', '-c', `catalog=${catalogFile}`, '-o', outdir],
    { ...process.env, CDK_DISABLE_VERSION_CHECK: '1', AWS_EC2_METADATA_DISABLED: 'true' },
  );
  const seconds = (performance.now() - started) / 1000;
  const pipelineTemplate = JSON.parse(
    await readFile(join(outdir, 'SluicePipeline.template.json'), 'utf8'),
  ) as CfnTemplate;
  return {
    services: count,
    seconds,
    pipelineResources: Object.keys(pipelineTemplate.Resources).length,
    outdir,
    pipelineTemplate,
  };
}
