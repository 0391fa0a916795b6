/**
 * `sluice rollback SERVICE [--to RELEASE] --reason "..."`: redeploys the last known-good version (or the named
 * release's) through the same deployment path as a release, recorded in the ledger with who and why.
 * Locally it asks the running runtime (`npx sluice start --stay`); with --aws it talks to AWS itself.
 */
import { execFileSync } from 'node:child_process';
import type { RollbackRequest } from '../../lambdas/core/rollback';
import type { ReleaseRecord } from '../../lambdas/ledger/ledger';
import type { RuntimeInfo } from '../approval-runtime';
import { type Command, EXIT_FAILURE, EXIT_OK, parseCommandArgs, UsageError } from './command';
import { api, runtimeInfo, STATE_DIR_HELP } from './runtime-client';
import { DEFAULT_CATALOG_FILE } from './validate';

/** Who is asking: --as, else git's user.email, else $USER. */
export function defaultActor(env: NodeJS.ProcessEnv = process.env): string {
  try {
    const email = execFileSync('git', ['config', 'user.email'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    if (email) return email;
  } catch {
    // no git, or no user.email configured
  }
  return env.USER ?? env.USERNAME ?? '';
}

export class RollbackCliError extends Error {
  override readonly name = 'RollbackCliError';
}

/** Asks the running local runtime to roll back; resolves with the rollback's ledger record when it has ended. */
export async function rollbackLocally(
  runtime: RuntimeInfo,
  request: RollbackRequest,
): Promise<ReleaseRecord> {
  // Imported here, not at the top: the module is the runtime's HTTP handler (and what it imports); every other
  // command line (--help, a usage error) needs none of it.
  const { ROLLBACK_API_PATH } = await import('../rollback-api');
  const { status, body } = await api(runtime, ROLLBACK_API_PATH, {
    method: 'POST',
    body: JSON.stringify({
      service: request.service,
      ...(request.toReleaseId ? { to: request.toReleaseId } : {}),
      reason: request.reason,
      as: request.requestedBy,
    }),
  });
  const reply = body as { release?: ReleaseRecord; error?: string };
  if (status !== 200 || !reply.release) throw new RollbackCliError(reply.error ?? `HTTP ${status}`);
  return reply.release;
}

export function describeRollback(record: ReleaseRecord): string {
  const r = record.rollback;
  const lines = [
    `${record.status === 'succeeded' ? '✔' : '✘'} ${record.releaseId}: ${record.service} ${r?.fromVersion ? `v${r.fromVersion} → ` : ''}v${r?.toVersion} (release ${r?.toReleaseId})`,
    `  by ${r?.requestedBy}: ${r?.reason}`,
    `  outcome: ${record.outcome?.status ?? record.status}${record.outcome?.reason ? ` — ${record.outcome.reason}` : ''}`,
  ];
  return lines.join('\n');
}

export const rollbackCommand: Command = {
  name: 'rollback',
  summary:
    'Redeploy the last known-good version of a service (or a named release), recorded with who and why',
  usage: `Usage: sluice rollback SERVICE --reason TEXT [--to RELEASE] [--as EMAIL] [--state-dir DIR]
       sluice rollback SERVICE --reason TEXT [--to RELEASE] [--as EMAIL] --aws --table NAME [--config FILE]

Redeploys the version of the newest release that reached production before the live one (or of
--to RELEASE) through the same path as a release: the service's production lock, the deploy target, the
deployment's end event. Traffic moves all at once. The rollback is a release of its own in the ledger,
with who asked (--as) and why (--reason). Refused, with nothing changed, for an unknown service, a
release that never reached production, or while another deployment of the service is in progress.

Options:
      --reason TEXT     why (required; recorded)
      --to RELEASE      the release id to go back to (default: the last known-good before the live one)
      --as EMAIL        who asks (default: git config user.email, else $USER)
      --state-dir DIR   ${STATE_DIR_HELP}
      --aws             roll back in AWS (credentials and region from the usual AWS environment)
      --table NAME      the ledger table (the SluicePipeline stack's LedgerTableName output), with --aws
  -c, --config FILE     the catalog, with --aws (default: ${DEFAULT_CATALOG_FILE})
      --wait MINUTES    with --aws: how long to wait for the deployment to end (default: 15; 0 = do not wait)
  -h, --help            show this help

Exit status: 0 rolled back, 1 refused or failed, 2 wrong command line.`,

  async run(argv) {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        reason: { type: 'string' },
        to: { type: 'string' },
        as: { type: 'string' },
        'state-dir': { type: 'string' },
        aws: { type: 'boolean', default: false },
        table: { type: 'string' },
        config: { type: 'string', short: 'c', default: DEFAULT_CATALOG_FILE },
        wait: { type: 'string', default: '15' },
      },
      { allowPositionals: true },
    );
    const [service] = positionals;
    if (positionals.length !== 1 || service === undefined)
      throw new UsageError(`name exactly one service, received ${positionals.length}`);
    if (!values.reason?.trim()) throw new UsageError('--reason is required: say why, it is recorded');
    const requestedBy = values.as ?? defaultActor();
    if (!requestedBy)
      throw new UsageError('--as EMAIL is required: git has no user.email and $USER is not set');
    const request: RollbackRequest = {
      service,
      ...(values.to ? { toReleaseId: values.to } : {}),
      reason: values.reason,
      requestedBy,
    };
    try {
      let record: ReleaseRecord;
      if (values.aws) {
        if (!values.table)
          throw new UsageError('--aws needs --table NAME (the LedgerTableName stack output)');
        const waitMinutes = Number(values.wait);
        if (!Number.isFinite(waitMinutes) || waitMinutes < 0)
          throw new UsageError('--wait must be 0 or more minutes');
        // require, not import(): the CLI runs under tsx's CommonJS hook.
        const { rollbackOnAws } = require('./rollback-aws') as typeof import('./rollback-aws');
        record = await rollbackOnAws(request, {
          tableName: values.table,
          catalogFile: values.config,
          waitMs: waitMinutes * 60_000,
          log: (line) => process.stdout.write(`  · ${line}\n`),
        });
      } else {
        record = await rollbackLocally(runtimeInfo(values['state-dir']), request);
      }
      process.stdout.write(`${describeRollback(record)}\n`);
      return record.status === 'succeeded' || record.status === 'running' ? EXIT_OK : EXIT_FAILURE;
    } catch (error) {
      if (error instanceof UsageError) throw error;
      process.stderr.write(`✘ ${(error as Error).message}\n`);
      return EXIT_FAILURE;
    }
  },
};
