/** Shared fixtures for the AWS adapter tests (not a test file itself). */
import type { ServiceConfig } from '../../../../lambdas/core/catalog/types';

/** An SDK-shaped service exception: what the adapters read is name, $fault and $metadata. */
export function awsError(
  name: string,
  options: { message?: string; fault?: 'client' | 'server'; status?: number } = {},
): Error {
  const fault = options.fault ?? ((options.status ?? 400) >= 500 ? 'server' : 'client');
  return Object.assign(new Error(options.message ?? `${name} (test)`), {
    name,
    $fault: fault,
    $metadata: { httpStatusCode: options.status ?? (fault === 'server' ? 500 : 400) },
  });
}

/** A GetObject body: the SDK's stream mixin methods the adapters call. */
export function sdkBody(content: Uint8Array | string) {
  const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
  return {
    transformToByteArray: async () => bytes,
    transformToString: async () => new TextDecoder().decode(bytes),
    transformToWebStream: () => {
      throw new Error('not used');
    },
  };
}

/** An Invoke response payload (the SDK's Uint8ArrayBlobAdapter is a Uint8Array with transformToString). */
export function blobPayload(text: string) {
  return Object.assign(new TextEncoder().encode(text), {
    transformToString: () => text,
  });
}

export const service: ServiceConfig = {
  name: 'orders',
  mode: 'deployment',
  source: { repository: 'orders-repo', provider: 'codecommit', branch: 'main', path: 'services/orders' },
  runtime: { entry: 'src/handler.ts', handler: 'handler', tests: 'test' },
  smoke: { path: '/health', method: 'GET', expectStatus: 200 },
  deploy: { strategy: 'Canary10Percent5Minutes', alarms: { errorRatePercent: 5, p99LatencyMs: 1000 } },
};
