/**
 * ISO 8601 times as people type them (`2026-03-02T14:00`, `…:30.5Z`, `…+02:00`), read strictly: `Date` rolls an
 * impossible field over (30 February becomes 2 March, 24:00 the next day) where a person meant something else.
 */
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|([+-])(\d{2}):(\d{2}))?$/;

/**
 * The instant (ms since the epoch) of an ISO 8601 date and time whose every field exists on the calendar, or
 * undefined. Without a zone it is read as UTC.
 */
export function parseIsoTime(text: string): number | undefined {
  const m = ISO_TIME.exec(text);
  if (!m) return undefined;
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = [1, 2, 3, 4, 5, 6].map((i) =>
    Number(m[i] ?? 0),
  );
  const local = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(local);
  const exists =
    check.getUTCFullYear() === year &&
    check.getUTCMonth() === month - 1 &&
    check.getUTCDate() === day &&
    check.getUTCHours() === hour &&
    check.getUTCMinutes() === minute &&
    check.getUTCSeconds() === second;
  const offsetHours = Number(m[9] ?? 0);
  const offsetMinutes = Number(m[10] ?? 0);
  if (!exists || offsetHours > 23 || offsetMinutes > 59) return undefined;
  const parsed = Date.parse(m[7] ? text : `${text}Z`);
  return Number.isNaN(parsed) ? undefined : parsed;
}
