/**
 * Business metrics as CloudWatch Embedded Metric Format lines on stdout: in Lambda, CloudWatch Logs turns
 * them into metrics (no SDK call, no extra latency); the local runtime reads them from the version's stdout.
 * The `sluice-checkout-business` alarm watches OrdersCompleted of the version being deployed: the line carries
 * the Lambda version that served the order (the catalog's `versionDimension`), so a canary that stops
 * completing orders is seen apart from the previous version that still does.
 */
export const METRICS_NAMESPACE = 'Sluice/Checkout';

export function emitOrderCompleted(now: number = Date.now()): void {
  const line = {
    _aws: {
      Timestamp: now,
      CloudWatchMetrics: [
        {
          Namespace: METRICS_NAMESPACE,
          Dimensions: [['Service', 'Version']],
          Metrics: [{ Name: 'OrdersCompleted', Unit: 'Count' }],
        },
      ],
    },
    Service: 'checkout',
    Version: process.env.AWS_LAMBDA_FUNCTION_VERSION ?? '$LATEST',
    OrdersCompleted: 1,
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}
