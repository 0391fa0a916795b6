/**
 * The approval gate's local pieces: expiry timers (EventBridge Scheduler's part), the Slack channel pointed at
 * a webhook on 127.0.0.1, and the small JSON API the `sluice approvals|approve|reject` commands use.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { WebhookSlackChannel } from '../lambdas/adapters/slack-webhook-channel';
import { decide } from '../lambdas/core/approval-decision';
import type { Catalog } from '../lambdas/core/catalog/types';
import { defined } from '../lambdas/core/defined';
import type { ExpiryScheduler, Ports } from '../lambdas/core/ports';
import type { Ledger } from '../lambdas/ledger/ledger';
import { LocalSigningKeys } from './adapters/local-keys';
import { sendJson } from './api-response';
import type { HandlerInvoker } from './handlers';
import { approvalView } from './status/views';

/** A timer per approval request that invokes the same approval-expiry handler the schedule invokes in AWS. */
export class LocalExpiryTimers implements ExpiryScheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Settles when the expiry handler ran; tests await it. */
  readonly fired: Promise<unknown>[] = [];

  /** `invoke` runs the runtime's approval-expiry handler. */
  constructor(private readonly invoke: HandlerInvoker) {}

  async schedule(approvalId: string, at: Date): Promise<void> {
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        this.fired.push(this.invoke('approval-expiry', { approvalId }, 30_000).catch(() => undefined));
      },
      Math.max(0, at.getTime() - Date.now()),
    );
    timer.unref();
    this.timers.add(timer);
  }

  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

/** Slack locally: posts go to `webhookUrl` (a receiver on 127.0.0.1); the signing secret is generated. */
export function localSlack(stateDir: string, webhookUrl: string | undefined): WebhookSlackChannel {
  if (webhookUrl !== undefined) {
    const host = new URL(webhookUrl).hostname;
    if (host !== '127.0.0.1' && host !== 'localhost') {
      throw new Error(
        `slackWebhookUrl must be on 127.0.0.1 (the local runtime talks to no outside host); received ${webhookUrl}`,
      );
    }
  }
  const keys = new LocalSigningKeys(join(stateDir, 'slack-signing.key'));
  return new WebhookSlackChannel({
    webhookUrl: async () => webhookUrl,
    signingSecret: () => keys.signingKey(),
    allowedUrlPrefixes: ['http://127.0.0.1:', 'http://localhost:'],
  });
}

/** What `<state-dir>/runtime.json` holds: where the CLI finds the running local runtime. */
export interface RuntimeInfo {
  readonly url: string;
  /** Bearer token for /api/*: only who can read the state folder (mode 600) can decide through the CLI. */
  readonly token: string;
  readonly pid: number;
}

export const newApiToken = () => randomBytes(24).toString('base64url');

/** The CLI's bearer token: `Bearer <token>` exactly, compared in constant time. */
export function authorizedApiCall(req: IncomingMessage, token: string): boolean {
  const given = Buffer.from(req.headers.authorization ?? '');
  const expected = Buffer.from(`Bearer ${token}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Writes `<stateDir>/runtime.json` readable by its owner only: chmod as well, since `mode` applies only when
 * the file is created and a runtime.json left by an earlier run keeps its mode.
 */
export async function writeRuntimeInfo(stateDir: string, info: RuntimeInfo): Promise<void> {
  const file = join(stateDir, 'runtime.json');
  await writeFile(file, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
}

/**
 * Approval requests of every service (or only `service`), newest first, with their audit trails and without
 * their task tokens; undefined for a service the catalog does not know. The local API and `--aws` share it.
 */
export async function listApprovalsWithAudit(ledger: Ledger, catalog: Catalog, service?: string) {
  const services = catalog.services.map((s) => s.name).filter((s) => !service || s === service);
  if (service && services.length === 0) return undefined;
  const listed = (await Promise.all(services.map((name) => ledger.listApprovals(name)))).flat();
  const approvals = await Promise.all(
    listed.map(async (record) => ({
      ...approvalView(record),
      audit: await ledger.listAudit(record.approvalId),
    })),
  );
  return approvals.sort((a, b) => b.requestedAt.localeCompare(a.requestedAt));
}

/**
 * GET /api/approvals[?service=S] lists approvals (pending and past, newest first) with their votes and audit
 * trail; POST /api/approvals/<id>/decision {as, decision, comment?, releaseAt?} decides under the same policy
 * as the page and Slack, channel `cli`. The web server has checked the bearer token before calling it.
 */
export async function handleApprovalsApi(
  req: IncomingMessage,
  res: ServerResponse,
  body: string,
  deps: { ledger: Ledger; catalog: Catalog; ports: () => Pick<Ports, 'tasks' | 'clock'> },
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (url.pathname === '/api/approvals' && req.method === 'GET') {
    const only = url.searchParams.get('service');
    const approvals = await listApprovalsWithAudit(deps.ledger, deps.catalog, only ?? undefined);
    if (!approvals) return sendJson(res, 404, { error: `unknown service ${only}` });
    return sendJson(res, 200, { approvals });
  }
  const match = /^\/api\/approvals\/([A-Za-z0-9_-]{10,64})\/decision$/.exec(url.pathname);
  if (match && req.method === 'POST') {
    let input: { as?: unknown; decision?: unknown; comment?: unknown; releaseAt?: unknown };
    try {
      input = JSON.parse(body) as typeof input;
    } catch {
      return sendJson(res, 400, { error: 'body must be JSON {as, decision, comment?, releaseAt?}' });
    }
    if (typeof input.as !== 'string' || (input.decision !== 'approve' && input.decision !== 'reject')) {
      return sendJson(res, 400, {
        error: 'need "as" (an approver email) and "decision": "approve" | "reject"',
      });
    }
    const outcome = await decide(
      {
        approvalId: defined(match[1], 'the approval id in the path'),
        approver: input.as,
        decision: input.decision,
        channel: 'cli',
        ...(typeof input.comment === 'string' ? { comment: input.comment } : {}),
        ...(typeof input.releaseAt === 'string' ? { releaseAt: input.releaseAt } : {}),
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: req.headers['user-agent'] ?? 'sluice-cli',
      },
      { ledger: deps.ledger, ...deps.ports() },
    );
    return outcome.ok
      ? sendJson(res, 200, { outcome: outcome.outcome, message: outcome.message })
      : sendJson(res, outcome.code === 'unknown' ? 404 : 409, {
          refused: outcome.code,
          message: outcome.message,
        });
  }
  return sendJson(res, 404, { error: 'no such API' });
}
