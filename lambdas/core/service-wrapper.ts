/**
 * The wrapper Build puts around a service's handler, so that a failing answer counts as a failure in AWS as it
 * does locally: Lambda's `Errors` counts only invocations that threw (or timed out), not a handler that answered
 * 5xx nor one that returned a partial batch response (`batchItemFailures`, SQS/Kinesis/DynamoDB streams). Per
 * invocation it writes one CloudWatch Embedded Metric Format line to stdout (CloudWatch Logs turns it into
 * metrics; no SDK, no permission, no added latency): namespace `Sluice/Service`, dimensions Service and Version
 * (Lambda's AWS_LAMBDA_FUNCTION_VERSION), metrics Requests, ServerErrors (1 for a 5xx answer), FailedBatches (1
 * when the answer lists failed batch items), BatchItemFailures (how many) and Latency. A thrown error is left to
 * Lambda's Errors, so it is never counted twice. Dependency-free plain JavaScript, bundled by esbuild with the
 * service as the entry point.
 */
import { SERVICE_METRICS } from './service-alarms';

/**
 * The module esbuild bundles as the artifact's index.js: it imports the service's entry and exports its handler,
 * wrapped, under the same name (Lambda's handler setting stays `index.<handler>`).
 */
export function serviceWrapperSource(options: {
  /** Import path of the service's entry, relative to the wrapper's folder (`./src/handler.ts`). */
  readonly entry: string;
  /** The exported handler function (catalog `runtime.handler`), also the name the wrapper exports. */
  readonly handler: string;
  readonly service: string;
}): string {
  const { entry, handler, service } = options;
  if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(handler)) {
    throw new Error(`runtime.handler must be an identifier; received ${JSON.stringify(handler)}`);
  }
  const directive = {
    Namespace: SERVICE_METRICS.namespace,
    Dimensions: [[SERVICE_METRICS.service, SERVICE_METRICS.version]],
    Metrics: [
      { Name: SERVICE_METRICS.requests, Unit: 'Count' },
      { Name: SERVICE_METRICS.serverErrors, Unit: 'Count' },
      { Name: SERVICE_METRICS.failedBatches, Unit: 'Count' },
      { Name: SERVICE_METRICS.batchItemFailures, Unit: 'Count' },
      { Name: SERVICE_METRICS.latency, Unit: 'Milliseconds' },
    ],
  };
  return `import * as service from ${JSON.stringify(entry)};
const inner = service[${JSON.stringify(handler)}];
const directive = ${JSON.stringify(directive)};
function statusOf(result) {
  if (result !== null && typeof result === "object" && "statusCode" in result) return Number(result.statusCode);
  return 200;
}
function failedItemsOf(result) {
  if (result === null || typeof result !== "object" || !Array.isArray(result.batchItemFailures)) return 0;
  return result.batchItemFailures.length;
}
function emit(started, status, failedItems) {
  const line = {
    _aws: { Timestamp: Date.now(), CloudWatchMetrics: [directive] },
    ${SERVICE_METRICS.service}: ${JSON.stringify(service)},
    ${SERVICE_METRICS.version}: process.env.AWS_LAMBDA_FUNCTION_VERSION || "$LATEST",
    ${SERVICE_METRICS.requests}: 1,
    ${SERVICE_METRICS.serverErrors}: status >= 500 ? 1 : 0,
    ${SERVICE_METRICS.failedBatches}: failedItems > 0 ? 1 : 0,
    ${SERVICE_METRICS.batchItemFailures}: failedItems,
    ${SERVICE_METRICS.latency}: Math.round((performance.now() - started) * 100) / 100,
  };
  process.stdout.write(JSON.stringify(line) + "\\n");
}
export async function ${handler}(event, context) {
  if (typeof inner !== "function") {
    throw new TypeError(${JSON.stringify(`${entry} does not export a function named ${handler}`)});
  }
  const started = performance.now();
  let status = 0;
  let failedItems = 0;
  try {
    const result = await inner(event, context);
    status = statusOf(result);
    failedItems = failedItemsOf(result);
    return result;
  } finally {
    emit(started, status, failedItems);
  }
}
`;
}
