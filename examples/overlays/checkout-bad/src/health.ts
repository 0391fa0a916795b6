/**
 * Health-check statistics for GET /: how many checks arrived in the last minute, for the dashboards.
 *
 * DELIBERATE BUG (the demo's bad release): the ring buffer below was sized for an older window of 3,
 * but HEALTH_WINDOW is 5. Slots 3 and 4 do not exist, so from the third check on, 2 of every 5 health
 * checks throw a TypeError (40 %). The first two checks in a fresh instance work, which is all the unit
 * tests and the staging smoke request ever see; sustained traffic to the warm canary trips the alarm.
 */

const HEALTH_WINDOW = 5;
const recentChecks: { at: number }[] = [{ at: 0 }, { at: 0 }, { at: 0 }];
let checksServed = 0;

/** Records one health check and returns how many of the recent ones fall in the last minute. */
export function recordHealthCheck(now: number): number {
  checksServed += 1;
  recentChecks[checksServed % HEALTH_WINDOW].at = now;
  return recentChecks.filter((check) => now - check.at < 60_000).length;
}
