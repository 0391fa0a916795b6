/**
 * A registry on 127.0.0.1 with an audit endpoint: it answers npm's bulk advisory request
 * (`POST /-/npm/v1/security/advisories/bulk`, a gzipped `{ name: [versions] }`, answered with `{ name: [advisory] }`)
 * itself, and passes every other request to a real registry (verdaccio, which has no audit endpoint). npm sends
 * the audit to its configured registry, so a service's npmrc pointing here gets both.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** One advisory as the bulk endpoint answers it. */
export interface BulkAdvisory {
  readonly id: number;
  readonly url: string;
  readonly title: string;
  readonly severity: 'info' | 'low' | 'moderate' | 'high' | 'critical';
  readonly vulnerable_versions: string;
  readonly cwe: readonly string[];
}

export interface AdvisoryRegistry {
  /** e.g. http://127.0.0.1:41234/ */
  readonly url: string;
  /** The bodies of the bulk requests received, decompressed. */
  readonly bulkRequests: Record<string, string[]>[];
  close(): Promise<void>;
}

const BULK_PATH = '/-/npm/v1/security/advisories/bulk';

/**
 * Starts the registry. `advisories` maps package names to their advisories; only the names the request lists are
 * answered. `hang: true` leaves bulk requests unanswered (an endpoint that does not respond).
 */
export async function startAdvisoryRegistry(
  upstream: string,
  advisories: Readonly<Record<string, readonly BulkAdvisory[]>>,
  options: { hang?: boolean } = {},
): Promise<AdvisoryRegistry> {
  const target = new URL(upstream);
  const bulkRequests: Record<string, string[]>[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.method === 'POST' && req.url === BULK_PATH) {
        const text =
          req.headers['content-encoding'] === 'gzip' ? gunzipSync(body).toString() : body.toString();
        const asked = JSON.parse(text) as Record<string, string[]>;
        bulkRequests.push(asked);
        if (options.hang) return;
        const answer = Object.fromEntries(
          Object.keys(asked).flatMap((name) => (advisories[name] ? [[name, advisories[name]]] : [])),
        );
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer));
        return;
      }
      const forward = request(
        {
          host: target.hostname,
          port: target.port,
          path: req.url,
          method: req.method,
          headers: { ...req.headers, host: target.host },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => res.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    bulkRequests,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
