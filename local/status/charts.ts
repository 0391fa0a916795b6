/**
 * Small inline-SVG charts for the status page: no script, no external asset, so the page works offline and
 * under a strict Content-Security-Policy.
 */
import { escapeHtml } from '../../lambdas/core/html';

export interface ChartPoint {
  /** Shown under the bar or point. */
  readonly label: string;
  /** Undefined: no data in that slice (drawn as a gap, not as zero). */
  readonly value: number | undefined;
}

export interface ChartOptions {
  readonly title: string;
  /** Formats a value for the axis and the tooltips. */
  readonly format?: (value: number) => string;
  /** @default 'bar' */
  readonly kind?: 'bar' | 'line';
  /** @default 360 */
  readonly width?: number;
  /** @default 140 */
  readonly height?: number;
  /** Fill or stroke colour. @default '#2563eb' */
  readonly color?: string;
}

/** One chart as an `<svg>` element with a title, a y-axis maximum, and a `<title>` tooltip on every datapoint. */
export function renderChart(points: readonly ChartPoint[], options: ChartOptions): string {
  const width = options.width ?? 360;
  const height = options.height ?? 140;
  const color = options.color ?? '#2563eb';
  const format = options.format ?? ((v: number) => `${Math.round(v * 100) / 100}`);
  const top = 24;
  const bottom = 22;
  const left = 44;
  const plotHeight = height - top - bottom;
  const plotWidth = width - left - 8;
  const values = points.map((p) => p.value).filter((v): v is number => v !== undefined);
  const max = Math.max(0, ...values) || 1;
  const slot = points.length > 0 ? plotWidth / points.length : plotWidth;
  const y = (v: number) => top + plotHeight - (v / max) * plotHeight;
  const parts: string[] = [
    `<text x="0" y="14" class="chart-title">${escapeHtml(options.title)}</text>`,
    `<text x="${left - 4}" y="${top + 4}" text-anchor="end" class="axis">${escapeHtml(format(max))}</text>`,
    `<text x="${left - 4}" y="${top + plotHeight}" text-anchor="end" class="axis">0</text>`,
    `<line x1="${left}" y1="${top + plotHeight}" x2="${width - 8}" y2="${top + plotHeight}" stroke="#999"/>`,
  ];
  if (values.length === 0) {
    parts.push(
      `<text x="${left + plotWidth / 2}" y="${top + plotHeight / 2}" text-anchor="middle" class="axis">no data yet</text>`,
    );
  }
  const line: string[] = [];
  points.forEach((point, i) => {
    const x = left + i * slot;
    if (i % Math.max(1, Math.ceil(points.length / 6)) === 0) {
      parts.push(
        `<text x="${x + slot / 2}" y="${height - 6}" text-anchor="middle" class="axis">${escapeHtml(point.label)}</text>`,
      );
    }
    if (point.value === undefined) return;
    const tooltip = `<title>${escapeHtml(`${point.label}: ${format(point.value)}`)}</title>`;
    if ((options.kind ?? 'bar') === 'bar') {
      const barHeight = (point.value / max) * plotHeight;
      parts.push(
        `<rect class="datapoint" x="${(x + slot * 0.15).toFixed(1)}" y="${y(point.value).toFixed(1)}" width="${(slot * 0.7).toFixed(1)}" height="${barHeight.toFixed(1)}" fill="${color}">${tooltip}</rect>`,
      );
    } else {
      const cx = x + slot / 2;
      line.push(`${cx.toFixed(1)},${y(point.value).toFixed(1)}`);
      parts.push(
        `<circle class="datapoint" cx="${cx.toFixed(1)}" cy="${y(point.value).toFixed(1)}" r="3" fill="${color}">${tooltip}</circle>`,
      );
    }
  });
  if (line.length > 1) {
    parts.splice(
      4,
      0,
      `<polyline points="${line.join(' ')}" fill="none" stroke="${color}" stroke-width="2"/>`,
    );
  }
  return `<svg class="chart" role="img" aria-label="${escapeHtml(options.title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>`;
}

/** 3725 s → "1 h 2 min"; 42 s → "42 s". */
export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86_400) {
    const h = Math.floor(seconds / 3600);
    const m = Math.round((seconds % 3600) / 60);
    return m > 0 ? `${h} h ${m} min` : `${h} h`;
  }
  return `${Math.round((seconds / 86_400) * 10) / 10} d`;
}
