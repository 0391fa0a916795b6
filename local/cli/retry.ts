/**
 * `sluice retry RELEASE --reason TEXT [--as EMAIL]`: runs a release that ended for a reason outside its commit
 * (failed, expired, blocked, timed out, aborted, cancelled) again as its next attempt, recorded with who and why. The
 * rules are lambdas/core/retry.ts; locally the running runtime applies them (POST /api/retry).
 */
import type { RetryRequest } from '../../lambdas/core/retry';
import type { RuntimeInfo } from '../approval-runtime';
import type { RetryStarted } from '../retry-api';
import type { Command } from './command';
import { runReleaseAction } from './release-action';
import { api, STATE_DIR_HELP } from './runtime-client';
import { DEFAULT_CATALOG_FILE } from './validate';

/** The runtime refused the retry (or could not start it): the message says why. */
export class RetryCliError extends Error {
  override readonly name = 'RetryCliError';
}

/** Asks the running local runtime to start the release's next attempt; resolves once it has started. */
export async function retryLocally(runtime: RuntimeInfo, request: RetryRequest): Promise<RetryStarted> {
  // Imported here, not at the top: the module is the runtime's HTTP handler (and what it imports); every other
  // command line (--help, a usage error) needs none of it.
  const { RETRY_API_PATH } = await import('../retry-api');
  const { status, body } = await api(runtime, RETRY_API_PATH, {
    method: 'POST',
    body: JSON.stringify({ release: request.releaseId, reason: request.reason, as: request.requestedBy }),
  });
  const reply = body as { retry?: RetryStarted; error?: string };
  if (status !== 200 || !reply.retry) throw new RetryCliError(reply.error ?? `HTTP ${status}`);
  return reply.retry;
}

export function describeRetry(started: RetryStarted, request: RetryRequest): string {
  return [
    `↻ ${started.releaseId}: attempt ${started.attempt} started (${started.service})`,
    `  execution: ${started.execution}`,
    `  by ${request.requestedBy}: ${request.reason}`,
  ].join('\n');
}

export const retryCommand: Command = {
  name: 'retry',
  summary:
    'Run a failed, expired, blocked, timed-out, aborted or cancelled release again as its next attempt',
  usage: `Usage: sluice retry RELEASE --reason TEXT [--as EMAIL] [--state-dir DIR]
       sluice retry RELEASE --reason TEXT [--as EMAIL] --aws --table NAME --state-machine-arn ARN [--config FILE]

Starts the next attempt of RELEASE (a release id, as \`sluice status\` lists them): the same service and
commit, one more execution, named <release>-a02, -a03, .... The ledger keeps the earlier attempts, and records
who asked (--as) and why (--reason). Allowed for failed, expired, blocked, timed-out, aborted and cancelled releases.
Refused, with the reason and nothing started, for an unknown release, one still running, one that
succeeded or was superseded, and one a person rejected or an alarm rolled back (the fix is a new commit).
Prints the new attempt's execution name and returns once it has started; \`sluice status\` follows it.

Options:
      --reason TEXT     why (required; recorded)
      --as EMAIL        who asks (default: git config user.email, else $USER)
      --state-dir DIR   ${STATE_DIR_HELP}
      --aws             retry in AWS (credentials and region from the usual AWS environment; IAM needs
                        states:StartExecution on the release state machine and read access to the ledger).
                        Who retried is who your credentials are (STS GetCallerIdentity, mapped through the
                        catalog's approval identities when it maps to one person); --as only checks it
      --table NAME      the ledger table (the SluicePipeline stack's LedgerTableName output), with --aws
      --state-machine-arn ARN  the release state machine, with --aws
  -c, --config FILE     the catalog, with --aws (default: ${DEFAULT_CATALOG_FILE})
  -h, --help            show this help

Exit status: 0 the next attempt started, 1 refused or failed, 2 wrong command line.`,

  run: (argv) =>
    runReleaseAction(argv, {
      refusal: RetryCliError,
      onAws: async (request, target) => {
        // require, not import(): the CLI runs under tsx's CommonJS hook.
        const { retryOnAws } = require('./retry-aws') as typeof import('./retry-aws');
        const started = await retryOnAws(request, target);
        return describeRetry(started, { ...request, requestedBy: started.requestedBy });
      },
      locally: async (runtime, request) => describeRetry(await retryLocally(runtime, request), request),
    }),
};
