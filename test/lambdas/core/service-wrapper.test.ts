import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { SERVICE_METRICS } from '../../../lambdas/core/service-alarms';
import { serviceWrapperSource } from '../../../lambdas/core/service-wrapper';
import { testTempDir } from '../../support/test-temp-dir';
import { loadBundle, wrappedBundle } from '../../support/wrapped-bundle';

type Handler = (event: unknown, context?: unknown) => Promise<unknown>;

/**
 * A service whose answer depends on the path: 200, 503, a thrown error, a plain value, or an SQS-style partial
 * batch response.
 */
const SERVICE = `
export async function main(event: { rawPath: string }) {
  if (event.rawPath === '/batch-2-failed')
    return { batchItemFailures: [{ itemIdentifier: 'm-1' }, { itemIdentifier: 'm-3' }] };
  if (event.rawPath === '/batch-ok') return { batchItemFailures: [] };
  if (event.rawPath === '/fail') return { statusCode: 503, body: 'down' };
  if (event.rawPath === '/bad-request') return { statusCode: 400, body: 'no' };
  if (event.rawPath === '/throw') throw new TypeError('boom');
  if (event.rawPath === '/plain') return 'hello';
  return { statusCode: 200, body: 'ok' };
}
`;

let handler: Handler;

/** Bundles the wrapper around the service exactly as Build does, and loads the result as Lambda would. */
beforeAll(async () => {
  const dir = testTempDir('wrapper-');
  const text = await wrappedBundle({
    dir,
    file: 'src/handler.ts',
    source: SERVICE,
    handler: 'main',
    service: 'shop',
  });
  handler = loadBundle<Handler>(text).main as Handler;
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

/** Runs one invocation and returns what it returned or threw, and the EMF documents it wrote. */
async function invoke(
  rawPath: string,
): Promise<{ result?: unknown; error?: unknown; lines: Record<string, unknown>[] }> {
  const written: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  let outcome: { result?: unknown; error?: unknown };
  try {
    outcome = { result: await handler({ rawPath }) };
  } catch (error) {
    outcome = { error };
  }
  vi.restoreAllMocks();
  const lines = written.flatMap((w) => w.split('\n').filter(Boolean)).map((l) => JSON.parse(l));
  return { ...outcome, lines };
}

describe('the service wrapper Build adds', () => {
  it('exports the handler under its own name and passes answers through unchanged', async () => {
    vi.stubEnv('AWS_LAMBDA_FUNCTION_VERSION', '7');
    expect(typeof handler).toBe('function');
    await expect(invoke('/')).resolves.toMatchObject({ result: { statusCode: 200, body: 'ok' } });
    await expect(invoke('/plain')).resolves.toMatchObject({ result: 'hello' });
  });

  it('writes one EMF line per invocation: Requests, ServerErrors, FailedBatches, BatchItemFailures and Latency by Service and Version', async () => {
    vi.stubEnv('AWS_LAMBDA_FUNCTION_VERSION', '7');
    const { lines } = await invoke('/');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toEqual({
      _aws: {
        Timestamp: expect.any(Number),
        CloudWatchMetrics: [
          {
            Namespace: SERVICE_METRICS.namespace,
            Dimensions: [['Service', 'Version']],
            Metrics: [
              { Name: 'Requests', Unit: 'Count' },
              { Name: 'ServerErrors', Unit: 'Count' },
              { Name: 'FailedBatches', Unit: 'Count' },
              { Name: 'BatchItemFailures', Unit: 'Count' },
              { Name: 'Latency', Unit: 'Milliseconds' },
            ],
          },
        ],
      },
      Service: 'shop',
      Version: '7',
      Requests: 1,
      ServerErrors: 0,
      FailedBatches: 0,
      BatchItemFailures: 0,
      Latency: expect.any(Number),
    });
  });

  it('counts a partial batch response with failed items as a failed invocation (Lambda does not: it returned)', async () => {
    vi.stubEnv('AWS_LAMBDA_FUNCTION_VERSION', '9');
    const partial = await invoke('/batch-2-failed');
    // Passed through unchanged: the event source mapping reads it to return those items to the queue.
    expect(partial.result).toEqual({
      batchItemFailures: [{ itemIdentifier: 'm-1' }, { itemIdentifier: 'm-3' }],
    });
    expect(partial.lines).toEqual([
      expect.objectContaining({
        Version: '9',
        Requests: 1,
        ServerErrors: 0,
        FailedBatches: 1,
        BatchItemFailures: 2,
      }),
    ]);
    // An empty list is a batch that fully succeeded.
    expect((await invoke('/batch-ok')).lines[0]).toMatchObject({ FailedBatches: 0, BatchItemFailures: 0 });
  });

  it('counts a 5xx answer as a server error (Lambda does not: the handler did not throw)', async () => {
    vi.stubEnv('AWS_LAMBDA_FUNCTION_VERSION', '8');
    const failing = await invoke('/fail');
    expect(failing.result).toEqual({ statusCode: 503, body: 'down' });
    expect(failing.lines[0]).toMatchObject({ Version: '8', Requests: 1, ServerErrors: 1 });
    // A 4xx is the caller's mistake, not the version's.
    expect((await invoke('/bad-request')).lines[0]).toMatchObject({ ServerErrors: 0 });
  });

  it("rethrows a thrown error and leaves it to Lambda's Errors, so it is never counted twice", async () => {
    const thrown = await invoke('/throw');
    expect(thrown.error).toBeInstanceOf(Error);
    expect((thrown.error as Error).message).toBe('boom');
    expect(thrown.lines).toEqual([
      expect.objectContaining({ Requests: 1, ServerErrors: 0, FailedBatches: 0 }),
    ]);
  });

  it('refuses a handler name that is not an identifier', () => {
    expect(() => serviceWrapperSource({ entry: './x.ts', handler: 'a-b', service: 's' })).toThrow(
      /identifier/,
    );
  });
});
