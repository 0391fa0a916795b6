/**
 * `sluice cancel RELEASE --reason TEXT [--as EMAIL]`: stops a running release wherever it is (at the gate, in
 * the production lock's queue, during its deployment, anywhere else), recorded as `cancelled` with who and why.
 * The rules are lambdas/core/cancel.ts; locally the running runtime applies them (POST /api/cancel).
 */
import type { CancelRequest, CancelStarted } from '../../lambdas/core/cancel';
import type { RuntimeInfo } from '../approval-runtime';
import type { Command } from './command';
import { runReleaseAction } from './release-action';
import { api, STATE_DIR_HELP } from './runtime-client';
import { DEFAULT_CATALOG_FILE } from './validate';

/** The runtime refused the cancel (or could not apply it): the message says why. */
export class CancelCliError extends Error {
  override readonly name = 'CancelCliError';
}

/** Asks the running local runtime to cancel the release; resolves once the stop has been asked for. */
export async function cancelLocally(runtime: RuntimeInfo, request: CancelRequest): Promise<CancelStarted> {
  // Imported here, not at the top: the module is the runtime's HTTP handler (and what it imports); every other
  // command line (--help, a usage error) needs none of it.
  const { CANCEL_API_PATH } = await import('../cancel-api');
  const { status, body } = await api(runtime, CANCEL_API_PATH, {
    method: 'POST',
    body: JSON.stringify({ release: request.releaseId, reason: request.reason, as: request.requestedBy }),
  });
  const reply = body as { cancel?: CancelStarted; error?: string };
  if (status !== 200 || !reply.cancel) throw new CancelCliError(reply.error ?? `HTTP ${status}`);
  return reply.cancel;
}

const WHAT_FOLLOWS: Readonly<Record<CancelStarted['action'], string>> = {
  gate: 'its approval request ended as cancelled (its links say so); the release is recorded as cancelled',
  queue: 'it left the production lock’s queue; the release is recorded as cancelled',
  deployment:
    'its deployment is stopping with rollback to the previous version; the release is recorded as cancelled once the rollback has ended',
  execution: 'its execution is stopping; the release is recorded as cancelled',
};

export function describeCancel(started: CancelStarted): string {
  return [
    `■ ${started.releaseId}: cancelling (${started.service}, execution ${started.execution})`,
    `  ${WHAT_FOLLOWS[started.action]}`,
    `  by ${started.cancellation.requestedBy}: ${started.cancellation.reason}`,
  ].join('\n');
}

export const cancelCommand: Command = {
  name: 'cancel',
  summary:
    'Stop a running release (at the gate, in the deploy queue, during its canary), recorded as cancelled',
  usage: `Usage: sluice cancel RELEASE --reason TEXT [--as EMAIL] [--state-dir DIR]
       sluice cancel RELEASE --reason TEXT [--as EMAIL] --aws --table NAME --state-machine-arn ARN [--config FILE]

Stops RELEASE (a release id, as \`sluice status\` lists them) wherever it is, and records it as cancelled with
who asked (--as) and why (--reason):
  at the approval gate   the approval request ends as cancelled; its links and Slack buttons say so and take
                         no more decisions
  queued for the lock    it leaves the production deployment queue; the holder and the rest are untouched
  deploying (canary)     CodeDeploy StopDeployment with rollback: the previous version serves all traffic
                         again, and the release is recorded as cancelled once the rollback has ended
  anywhere else          its execution is stopped (StopExecution)
Refused, with the reason and nothing changed, for an unknown release and one that has already ended (to take
a live release back, use \`sluice rollback\`). Returns once the stop has been asked for; \`sluice status\`
shows the outcome.

Options:
      --reason TEXT     why (required; recorded)
      --as EMAIL        who cancels (default: git config user.email, else $USER)
      --state-dir DIR   ${STATE_DIR_HELP}
      --aws             cancel in AWS (credentials and region from the usual AWS environment; IAM needs
                        states:StopExecution and states:SendTaskFailure on the release state machine,
                        codedeploy:GetDeployment and codedeploy:StopDeployment, and read/write access to the
                        ledger). Who cancelled is who your credentials are (STS GetCallerIdentity, mapped
                        through the catalog's approval identities when it maps to one person); --as only
                        checks it
      --table NAME      the ledger table (the SluicePipeline stack's LedgerTableName output), with --aws
      --state-machine-arn ARN  the release state machine, with --aws
  -c, --config FILE     the catalog, with --aws (default: ${DEFAULT_CATALOG_FILE})
  -h, --help            show this help

Exit status: 0 the stop was asked for, 1 refused or failed, 2 wrong command line.`,

  run: (argv) =>
    runReleaseAction(argv, {
      refusal: CancelCliError,
      onAws: async (request, target) => {
        // require, not import(): the CLI runs under tsx's CommonJS hook.
        const { cancelOnAws } = require('./cancel-aws') as typeof import('./cancel-aws');
        return describeCancel(await cancelOnAws(request, target));
      },
      locally: async (runtime, request) => describeCancel(await cancelLocally(runtime, request)),
    }),
};
