/** Fixtures for the local deploy target's tests: tiny service bundles in zips, an in-memory artifact store. */
import { createHash } from 'node:crypto';
import { App } from 'aws-cdk-lib';
import { zipSync } from 'fflate';
import {
  type DeployStrategy,
  type ServiceConfig,
  serviceAlarmName,
  serviceResourceName,
} from '../../../lambdas/core/catalog/types';
import type { ArtifactStore, StoredArtifact } from '../../../lambdas/core/ports';
import { serviceStackName } from '../../../lib/app';
import { SluiceServiceStack } from '../../../lib/service-stack';
import type { MetricAlarmInput } from '../../../local/aws/cloudwatch/alarm-definition';
import type { CfnTemplate } from '../../../local/definition';
import { testOutdir } from '../../support/test-temp-dir';

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

  async find(key: string): Promise<Uint8Array | undefined> {
    return this.objects.get(key);
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
  /**
   * checkout-bad's bug (examples/overlays/checkout-bad): from the third health check on, 2 of every 5 GET /
   * throw; POST /checkout works. The first two calls (the smoke test) pass.
   */
  checkoutBad: `
    let checks = 0;
    exports.handler = async (event) => {
      if (event.rawPath === '/checkout') return { statusCode: 200, body: '{"orderId":"o-1"}' };
      checks += 1;
      if (checks > 2 && checks % 5 >= 3) throw new TypeError("Cannot set properties of undefined (setting 'at')");
      return { statusCode: 200, body: '{"status":"ok"}' };
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

/** The service's own stack as `cdk synth` renders it (function, alias, deployment group, alarms). */
export function serviceTemplate(service: ServiceConfig): CfnTemplate {
  const app = new App({ outdir: testOutdir(), context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new SluiceServiceStack(app, serviceStackName(service.name), { service });
  return app.synth().getStackByName(stack.stackName).template as CfnTemplate;
}

/**
 * The error-rate alarm the service stack defined before issue 10 (git history: lib/service-metrics.ts): Lambda's
 * Errors over Invocations of the live alias (FunctionName + Resource), which mixes the old and the new version
 * and counts thrown errors only.
 */
export function aliasErrorRateAlarm(service: ServiceConfig, name?: string): MetricAlarmInput {
  const fn = serviceResourceName(service.name);
  const metric = (id: string, metricName: string) => ({
    Id: id,
    ReturnData: false,
    MetricStat: {
      Metric: {
        Namespace: 'AWS/Lambda',
        MetricName: metricName,
        Dimensions: [
          { Name: 'FunctionName', Value: fn },
          { Name: 'Resource', Value: `${fn}:live` },
        ],
      },
      Period: 60,
      Stat: 'Sum',
    },
  });
  return {
    AlarmName: name ?? serviceAlarmName(service.name, 'error-rate'),
    ComparisonOperator: 'GreaterThanThreshold',
    EvaluationPeriods: 1,
    Threshold: service.deploy.alarms.errorRatePercent,
    TreatMissingData: 'notBreaching',
    Metrics: [
      { Id: 'expr_1', Expression: '100 * errors / invocations', Label: 'Error rate (%)', ReturnData: true },
      metric('errors', 'Errors'),
      metric('invocations', 'Invocations'),
    ],
  };
}
