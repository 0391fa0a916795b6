import type { Clock } from '../../lambdas/core/ports';

/** Real time until a test pins it: then every `now()` answers the pinned moment, however slow the machine. */
export class PinnableClock implements Clock {
  private pinned: Date | undefined;

  now(): Date {
    return new Date(this.pinned ?? Date.now());
  }

  /** Pins the clock at `at` (default: now, to the whole second) and returns that moment. */
  pin(at = new Date(Math.floor(Date.now() / 1000) * 1000)): Date {
    this.pinned = new Date(at);
    return new Date(at);
  }

  /** Back to real time. */
  unpin(): void {
    this.pinned = undefined;
  }
}
