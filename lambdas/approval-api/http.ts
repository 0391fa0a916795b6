/** The approval API's request, response and ports, shared by the page routes and the Slack route. */
import type { Ports } from '../core/ports';

export type ApprovalApiPorts = Pick<Ports, 'ledger' | 'tasks' | 'signingKeys' | 'clock' | 'slack'>;

export interface ApprovalHttpRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: string;
  /** Lowercase names. */
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly sourceIp?: string;
  readonly userAgent?: string;
}

export interface ApprovalHttpResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}
