/** Fixtures for the local deploy target's tests: tiny service bundles in zips, an in-memory artifact store. */
import { createHash } from 'node:crypto';
import { zipSync } from 'fflate';
import type { DeployStrategy, ServiceConfig } from '../../../lambdas/core/catalog/types';
import type { ArtifactStore, StoredArtifact } from '../../../lambdas/core/ports';

export class MemoryArtifactStore implements ArtifactStore {
  readonly objects = new Map<string, Uint8Array>();

  async put(key: string, body: Uint8Array): Promise<StoredArtifact> {
    this.objects.set(key, body);
    return { key, sha256: createHash('sha256').update(body).digest('hex'), bytes: body.byteLength };
  }

  async get(key: string): Promise<Uint8Array> {
    const body = this.objects.get(key);
    if (!body) throw new Error(`no artifact ${key}`);
    return body;
  }
}

/** A zip shaped like Build's artifact: `index.js`, a CommonJS module. */
export function artifactOf(indexJs: string): Uint8Array {
  return zipSync({ 'index.js': new TextEncoder().encode(indexJs) });
}

export function serviceConfig(
  name: string,
  strategy: DeployStrategy = 'Canary10Percent5Minutes',
  alarms: Partial<ServiceConfig['deploy']['alarms']> = {},
): ServiceConfig {
  return {
    name,
    mode: 'deployment',
    source: { repository: name, provider: 'codecommit', branch: 'main', path: '.' },
    runtime: { entry: 'src/handler.ts', handler: 'handler', tests: 'test' },
    smoke: { path: '/', method: 'GET', expectStatus: 200 },
    deploy: { strategy, alarms: { errorRatePercent: 5, p99LatencyMs: 1000, ...alarms } },
  };
}

/** Handler sources (what esbuild would emit for a service, minus the bundling). */
export const HANDLERS = {
  /** Answers with its label and echoes the event it was given. */
  ok: (label: string) => `
    exports.handler = async (event, context) => ({
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ label: ${JSON.stringify(label)}, event, functionVersion: context.functionVersion }),
    });`,
  /** The first two calls work (the smoke test passes); then every second call throws. */
  flaky: `
    let calls = 0;
    exports.handler = async () => {
      calls += 1;
      if (calls > 2 && calls % 2 === 0) throw new Error('inventory service unreachable');
      return { statusCode: 200, body: 'ok' };
    };`,
  /** Answers correctly, but slowly. */
  slow: (ms: number) => `
    exports.handler = async () => {
      await new Promise((resolve) => setTimeout(resolve, ${ms}));
      return 'slow but fine';
    };`,
  /** Exports the handler under another name. */
  misnamed: `exports.main = async () => 'hello';`,
  /** Throws while loading. */
  throwsOnLoad: `throw new Error('cannot read the config store');`,
  /** Routes: a string body, a thrown error, a 503. */
  routes: `
    exports.handler = async (event) => {
      if (event.rawPath === '/text') return 'plain';
      if (event.rawPath === '/throw') throw new TypeError('bad order');
      if (event.rawPath === '/unavailable') return { statusCode: 503, body: 'down' };
      return { statusCode: 200, body: JSON.stringify(event) };
    };`,
} as const;
