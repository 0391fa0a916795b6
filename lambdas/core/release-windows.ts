/**
 * Release windows and freezes: when a deploy may start. Pure (Intl only), so the approval core, the catalog
 * validator and the tests share it.
 */
export const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Deploys may start on `days` between `start` (inclusive) and `end` (exclusive), wall clock in `timeZone`. */
export interface ReleaseWindow {
  readonly days: readonly string[];
  /** HH:MM, 24 h */
  readonly start: string;
  /** HH:MM, 24 h, after `start` */
  readonly end: string;
  /** IANA time zone, e.g. Europe/Berlin */
  readonly timeZone: string;
}

/** No deploy starts between `from` and `to` (ISO 8601). */
export interface FreezePeriod {
  readonly from: string;
  readonly to: string;
  readonly reason: string;
}

export interface ReleaseTime {
  readonly at: Date;
  /** Why `at` is later than asked, when it is. */
  readonly reason?: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Throws a RangeError for an unknown time zone. */
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

export const minutesOf = (hhmm: string): number => {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(hhmm);
  return m ? Number(m[1]) * 60 + Number(m[2]) : Number.NaN;
};

/** Whether `at` falls inside the window (wall clock in the window's time zone). */
export function inWindow(at: Date, window: ReleaseWindow): boolean {
  const parts = Object.fromEntries(
    formatter(window.timeZone)
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  const minute = Number(parts.hour) * 60 + Number(parts.minute);
  return (
    window.days.includes(parts.weekday ?? '') &&
    minute >= minutesOf(window.start) &&
    minute < minutesOf(window.end)
  );
}

export function describeWindow(w: ReleaseWindow): string {
  return `${w.days.join(',')} ${w.start}–${w.end} ${w.timeZone}`;
}

const MINUTE = 60_000;
/**
 * Minute steps outside freezes: a weekly window opens within a week (8 days leave room for daylight-saving
 * shifts), so more steps mean a configuration that never opens.
 */
const MAX_STEPS = 8 * 24 * 60;

/**
 * The earliest time at or after `from` inside some window (any time when there are none) and outside every
 * freeze, with the reason it is later than `from`.
 */
export function nextReleaseTime(
  from: Date,
  windows: readonly ReleaseWindow[] = [],
  freezes: readonly FreezePeriod[] = [],
): ReleaseTime {
  let t = from.getTime();
  const reasons: string[] = [];
  for (let step = 0; step < MAX_STEPS; step++) {
    const freeze = freezes.find((f) => Date.parse(f.from) <= t && t < Date.parse(f.to));
    if (freeze) {
      const why = `freeze until ${new Date(Date.parse(freeze.to)).toISOString()}: ${freeze.reason}`;
      if (!reasons.includes(why)) reasons.push(why);
      t = Date.parse(freeze.to);
      continue;
    }
    const at = new Date(t);
    if (windows.length === 0 || windows.some((w) => inWindow(at, w))) {
      return t === from.getTime() ? { at } : { at, reason: reasons.join('; ') };
    }
    const why = `outside the release window (${windows.map(describeWindow).join(' or ')})`;
    if (!reasons.includes(why)) reasons.push(why);
    t = (Math.floor(t / MINUTE) + 1) * MINUTE;
  }
  throw new RangeError(
    `No release window opens within 8 days of ${new Date(t).toISOString()}; check the catalog's approval.windows and approval.freezes`,
  );
}
