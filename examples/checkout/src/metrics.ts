/**
 * Business metrics as CloudWatch Embedded Metric Format lines on stdout: in Lambda, CloudWatch Logs turns
 * them into metrics (no SDK call, no extra latency); the local runtime reads them from the version's stdout.
 * The `sluice-checkout-business` alarm watches OrdersCompleted.
 */
export const METRICS_NAMESPACE = 'Sluice/Checkout';

export function emitOrderCompleted(now: number = Date.now()): void {
  const line = {
    _aws: {
      Timestamp: now,
      CloudWatchMetrics: [
        {
          Namespace: METRICS_NAMESPACE,
          Dimensions: [['Service']],
          Metrics: [{ Name: 'OrdersCompleted', Unit: 'Count' }],
        },
      ],
    },
    Service: 'checkout',
    OrdersCompleted: 1,
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}
