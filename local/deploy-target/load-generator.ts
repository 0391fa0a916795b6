/**
 * Real traffic for a deployment: HTTP requests to the service's router at a steady rate, so the new version's
 * alarms judge real answers. Bounded in rate, concurrency, count and time; it stops by itself.
 */
import { Agent } from 'node:http';
import { httpCall } from '../aws/lambda/http-call';

export interface LoadGeneratorOptions {
  readonly port: number;
  /** Sent in turn, ten of each at a time. */
  readonly requests: readonly { readonly method: string; readonly path: string; readonly body?: string }[];
  readonly perSecond: number;
  /** Stops after this long even if nobody calls stop(). */
  readonly maxDurationMs: number;
  /** @default 100 — requests waiting for an answer; beyond it a tick's requests are skipped, not queued. */
  readonly maxInFlight?: number;
  /** @default 10 000 */
  readonly requestTimeoutMs?: number;
}

export interface LoadFigures {
  readonly sent: number;
  readonly answered: number;
  /** Due while `maxInFlight` requests were still waiting. */
  readonly skipped: number;
}

const TICK_MS = 20;

export class LoadGenerator {
  private sent = 0;
  private answered = 0;
  private skipped = 0;
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt = Date.now();
  private readonly maxRequests: number;
  private readonly drained: Array<() => void> = [];
  /**
   * Connections to the router kept between requests (the router is the deploy target's own server, open while it
   * sends): a connection per request cost both ends a socket set up and torn down, ~0.1 ms of CPU each time.
   * Closed once it has stopped and every request has its answer.
   */
  private readonly agent = new Agent({ keepAlive: true });

  constructor(private readonly options: LoadGeneratorOptions) {
    this.maxRequests = Math.ceil((options.perSecond * options.maxDurationMs) / 1000);
    if (options.perSecond > 0) this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  get figures(): LoadFigures {
    return { sent: this.sent, answered: this.answered, skipped: this.skipped };
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  private tick(): void {
    const elapsed = Date.now() - this.startedAt;
    if (elapsed >= this.options.maxDurationMs || this.sent + this.skipped >= this.maxRequests) {
      this.stop();
      return;
    }
    // Requests due by now at the configured rate, so a late timer catches up instead of drifting.
    const due =
      Math.min(Math.floor((elapsed * this.options.perSecond) / 1000), this.maxRequests) -
      this.sent -
      this.skipped;
    for (let i = 0; i < due; i++) {
      if (this.inFlight >= (this.options.maxInFlight ?? 100)) {
        this.skipped++;
        continue;
      }
      this.send();
    }
  }

  private send(): void {
    // Changes every 10 requests, not every one: the router sends every 10th request to a 10% canary, so a
    // plain rotation would give the canary the same kind of request every time.
    const requests = this.options.requests;
    const request = requests[Math.floor(this.sent / 10) % requests.length];
    if (!request) return; // an empty traffic list: nothing to send
    this.sent++;
    this.inFlight++;
    httpCall({
      port: this.options.port,
      method: request.method,
      path: request.path,
      ...(request.body !== undefined
        ? { body: request.body, headers: { 'content-type': 'application/json' } }
        : {}),
      timeoutMs: this.options.requestTimeoutMs ?? 10_000,
      agent: this.agent,
    })
      .then(
        () => {
          this.answered++;
        },
        () => undefined, // the router records every outcome; a refused connection here means it closed
      )
      .finally(() => {
        this.inFlight--;
        if (this.inFlight === 0) {
          if (!this.running) this.agent.destroy();
          for (const resolve of this.drained.splice(0)) resolve();
        }
      });
  }

  /** Stops sending; requests already sent still complete. Idempotent. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.inFlight === 0) this.agent.destroy();
  }

  /** Resolves when no request is waiting for an answer. */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }
}
