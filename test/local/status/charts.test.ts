import { describe, expect, it } from 'vitest';
import { formatSeconds, renderChart } from '../../../local/status/charts';

describe('renderChart', () => {
  it('draws one bar per datapoint, scaled to the largest, with a tooltip each', () => {
    const svg = renderChart(
      [
        { label: 'Mon', value: 2 },
        { label: 'Tue', value: 4 },
        { label: 'Wed', value: undefined },
      ],
      { title: 'Deployments', height: 140 },
    );
    const bars = [...svg.matchAll(/<rect class="datapoint"[^>]* height="([\d.]+)"/g)].map((m) =>
      Number(m[1]),
    );
    // plot height 140 - 24 - 22 = 94: the 4 is full height, the 2 half; the gap draws nothing.
    expect(bars).toEqual([47, 94]);
    expect(svg).toContain('<title>Tue: 4</title>');
    expect(svg).toContain('aria-label="Deployments"');
  });

  it('draws a line through the points that have data', () => {
    const svg = renderChart(
      [
        { label: 'a', value: 1 },
        { label: 'b', value: 3 },
      ],
      { title: 'Lead time', kind: 'line', format: formatSeconds },
    );
    expect(svg.match(/<circle class="datapoint"/g)).toHaveLength(2);
    expect(svg).toMatch(/<polyline points="[\d.]+,[\d.]+ [\d.]+,[\d.]+"/);
    expect(svg).toContain('<title>b: 3 s</title>');
  });

  it('says there is no data rather than drawing an empty axis silently, and escapes labels', () => {
    const svg = renderChart([{ label: '<x>', value: undefined }], { title: 'A & B' });
    expect(svg).toContain('no data yet');
    expect(svg).toContain('A &amp; B');
    expect(svg).toContain('&lt;x&gt;');
    expect(svg).not.toContain('<x>');
  });
});

describe('formatSeconds', () => {
  it('picks a unit a person reads at a glance', () => {
    expect(formatSeconds(42)).toBe('42 s');
    expect(formatSeconds(600)).toBe('10 min');
    expect(formatSeconds(3725)).toBe('1 h 2 min');
    expect(formatSeconds(7200)).toBe('2 h');
    expect(formatSeconds(3 * 86_400)).toBe('3 d');
  });
});
