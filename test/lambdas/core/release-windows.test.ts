import { describe, expect, it } from 'vitest';
import { inWindow, isValidTimeZone, nextReleaseTime } from '../../../lambdas/core/release-windows';

const berlin = {
  days: ['Mon', 'Tue', 'Wed', 'Thu'],
  start: '09:00',
  end: '16:00',
  timeZone: 'Europe/Berlin',
};

describe('release windows', () => {
  it('reads wall-clock time in the window time zone, across daylight saving', () => {
    // Winter: Berlin is UTC+1; summer: UTC+2.
    expect(inWindow(new Date('2026-03-02T08:00:00Z'), berlin)).toBe(true); // Mon 09:00 CET
    expect(inWindow(new Date('2026-03-02T07:59:00Z'), berlin)).toBe(false);
    expect(inWindow(new Date('2026-07-06T07:00:00Z'), berlin)).toBe(true); // Mon 09:00 CEST
    expect(inWindow(new Date('2026-07-06T14:00:00Z'), berlin)).toBe(false); // 16:00 CEST: end is exclusive
  });

  it('moves a Thursday-evening approval to Monday morning, saying why', () => {
    const next = nextReleaseTime(new Date('2026-03-05T17:30:00Z'), [berlin]);
    expect(next.at.toISOString()).toBe('2026-03-09T08:00:00.000Z');
    expect(next.reason).toBe('outside the release window (Mon,Tue,Wed,Thu 09:00–16:00 Europe/Berlin)');
  });

  it('keeps a time already inside the window, with no reason', () => {
    const at = new Date('2026-03-03T10:15:00Z');
    expect(nextReleaseTime(at, [berlin])).toEqual({ at });
    expect(nextReleaseTime(at)).toEqual({ at });
  });

  it('skips a freeze, then finds the window after it', () => {
    const next = nextReleaseTime(
      new Date('2026-12-21T10:00:00Z'),
      [berlin],
      [{ from: '2026-12-20T00:00:00Z', to: '2027-01-04T00:00:00Z', reason: 'year-end freeze' }],
    );
    expect(next.at.toISOString()).toBe('2027-01-04T08:00:00.000Z');
    expect(next.reason).toContain('freeze until 2027-01-04T00:00:00.000Z: year-end freeze');
    expect(next.reason).toContain('outside the release window');
  });

  it('takes the union of several windows', () => {
    const utcFriday = { days: ['Fri'], start: '06:00', end: '07:00', timeZone: 'UTC' };
    const next = nextReleaseTime(new Date('2026-03-05T17:30:00Z'), [berlin, utcFriday]);
    expect(next.at.toISOString()).toBe('2026-03-06T06:00:00.000Z');
  });

  it('names a configuration that never opens', () => {
    const never = { days: ['Mon'], start: '09:00', end: '10:00', timeZone: 'UTC' };
    expect(() =>
      nextReleaseTime(
        new Date('2026-03-01T00:00:00Z'),
        [never],
        [{ from: '2026-01-01T00:00:00Z', to: '2030-01-01T00:00:00Z', reason: 'forever' }],
      ),
    ).not.toThrow();
    expect(() => nextReleaseTime(new Date('2026-03-01T00:00:00Z'), [{ ...never, days: ['Xyz'] }])).toThrow(
      /No release window opens within 8 days/,
    );
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
  });
});
