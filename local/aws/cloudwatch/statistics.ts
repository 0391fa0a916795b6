/**
 * CloudWatch statistics over the values published in one period: the five standard statistics and percentiles
 * (`p99`, `p99.9`). A period in which nothing was published has no datapoint at all, whatever the statistic:
 * that is what alarms call missing data.
 */

export const STANDARD_STATISTICS = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'] as const;
export type StandardStatistic = (typeof STANDARD_STATISTICS)[number];

/** A statistic CloudWatch has but the local CloudWatch does not compute (trimmed means, PR(), …). */
export class UnsupportedStatisticError extends Error {
  override readonly name = 'UnsupportedStatisticError';
}

const PERCENTILE = /^p(\d{1,2}(?:\.\d{1,10})?|100)$/;

/** The percentile a `pNN` statistic names, as a fraction (p99 → 0.99); undefined for any other statistic. */
export function percentileOf(statistic: string): number | undefined {
  const match = PERCENTILE.exec(statistic);
  return match ? Number(match[1]) / 100 : undefined;
}

/** Throws UnsupportedStatisticError unless `statistic` is one the local CloudWatch computes. */
export function assertSupportedStatistic(statistic: string): void {
  if ((STANDARD_STATISTICS as readonly string[]).includes(statistic)) return;
  if (percentileOf(statistic) !== undefined) return;
  throw new UnsupportedStatisticError(
    `The local CloudWatch does not compute the statistic ${JSON.stringify(statistic)}; ` +
      `it computes ${STANDARD_STATISTICS.join(', ')} and percentiles (p0-p100)`,
  );
}

/**
 * Nearest-rank percentile: the smallest value at or above which the given fraction of the values lies. For few
 * values it is the largest of them (p99 of 3 values is the maximum), as CloudWatch reports it.
 */
export function nearestRank(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil(fraction * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/** The statistic of one period's values; undefined when the period has none (a missing datapoint). */
export function statisticOf(values: readonly number[], statistic: string): number | undefined {
  if (values.length === 0) return undefined;
  switch (statistic) {
    case 'SampleCount':
      return values.length;
    case 'Sum':
      return values.reduce((a, b) => a + b, 0);
    case 'Average':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'Minimum':
      return Math.min(...values);
    case 'Maximum':
      return Math.max(...values);
  }
  const fraction = percentileOf(statistic);
  if (fraction === undefined) {
    assertSupportedStatistic(statistic);
    return undefined;
  }
  return nearestRank(values, fraction);
}

/**
 * Fewer samples than this make a percentile "low sample count" (EvaluateLowSampleCountPercentile): 10/(1-p) for
 * p ≥ 0.5, 10/p below (1000 for p99).
 */
export function lowSampleCountFor(fraction: number): number {
  // p0 and p100 are the minimum and maximum: any sample count is enough.
  if (fraction >= 1 || fraction <= 0) return 0;
  return fraction >= 0.5 ? 10 / (1 - fraction) : 10 / fraction;
}
