/** What the parent and a version host process tell each other. Node built-ins only: the host is bundled alone. */

/** argv[2] of the host, as JSON. */
export interface VersionHostConfig {
  /** Folder holding the unpacked artifact (index.js). */
  readonly dir: string;
  /** Name of the exported handler function. */
  readonly handler: string;
  readonly service: string;
  readonly version: string;
}

export type VersionHostMessage =
  | { readonly type: 'ready'; readonly port: number }
  | { readonly type: 'failed'; readonly message: string };

/** Response header naming the version that answered (the router passes it through). */
export const VERSION_HEADER = 'x-sluice-version';
/** Response header set when the handler threw or rejected (a Lambda invocation error), URI-encoded. */
export const INVOCATION_ERROR_HEADER = 'x-sluice-invocation-error';
/** Response header with the handler's own run time in ms (Lambda's Duration metric). */
export const DURATION_HEADER = 'x-sluice-duration-ms';

/**
 * Lambda's Invoke API path (`POST /2015-03-31/functions/<name>/invocations`): on a version's port, a POST here
 * runs the handler with the body as its event, as an event source or `aws lambda invoke` would, instead of
 * wrapping the request in a function URL event. Event-driven services are smoke-tested and loaded this way.
 */
export const INVOKE_PATH = /^\/2015-03-31\/functions\/[^/?]+\/invocations$/;

export function invokePath(functionName: string): string {
  return `/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`;
}

/** Invoke's response header when the handler failed ("Unhandled"), as Lambda sets it. */
export const FUNCTION_ERROR_HEADER = 'x-amz-function-error';
