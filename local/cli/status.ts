/**
 * `sluice status` and `sluice metrics`: each service's mode, readiness, pending approvals, recent releases and
 * DORA metrics, from a running local runtime (its `/api/status`) or, with --aws, from a deployed stack's
 * ledger table read with the caller's own AWS credentials.
 */
import { parseDuration } from '../../lambdas/core/dora';
import type { StatusReport } from '../status/status';
import { type Command, EXIT_FAILURE, EXIT_OK, parseCommandArgs, UsageError } from './command';
import { api, runtimeInfo, STATE_DIR_HELP } from './runtime-client';
import { DEFAULT_CATALOG_FILE } from './validate';

interface StatusQuery {
  readonly service?: string;
  readonly since: string;
}

/** The report of the running local runtime. */
async function localReport(stateDir: string | undefined, query: StatusQuery): Promise<StatusReport> {
  const info = runtimeInfo(stateDir);
  const params = new URLSearchParams({
    since: query.since,
    ...(query.service ? { service: query.service } : {}),
  });
  const { status, body } = await api(info, `/api/status?${params}`);
  const message = (body as { error?: string }).error ?? `HTTP ${status}`;
  // 400: the query itself (an unknown service, a period it cannot read); anything else: the runtime failed.
  if (status === 400) throw new UsageError(message);
  if (status !== 200) throw new Error(`the local runtime answered ${status}: ${message}`);
  return body as StatusReport;
}

function reportCommand(kind: 'status' | 'metrics'): Command {
  const what =
    kind === 'status'
      ? "each service's mode, readiness for continuous deployment (with its evidence), pending approvals,\nrecent releases with their shadow verdicts, mode switches, and the DORA metrics"
      : 'DORA metrics per service and per mode (delivery vs deployment): deployment frequency, lead time for\nchanges (with the approval wait apart), change failure rate and time to restore';
  return {
    name: kind,
    summary:
      kind === 'status'
        ? 'Show each service: mode, readiness, pending approvals, recent releases, DORA metrics'
        : 'Show DORA metrics per service and per mode over a period',
    usage: `Usage: sluice ${kind} [--service S] [--since 30d] [--json] [--state-dir DIR]
       sluice ${kind} [--service S] [--since 30d] [--json] --aws --table NAME [--config FILE]

Shows ${what}.
The same data as the status page of the local runtime (its URL is printed when it starts).

Options:
      --service S       only this service
      --since PERIOD    how far back: 90m, 12h, 30d, 8w (default: 30d)
      --json            print the full report as JSON
      --state-dir DIR   ${STATE_DIR_HELP}
      --aws             read a deployed stack's ledger instead (credentials and region from the usual AWS environment)
      --table NAME      the ledger table (the SluicePipeline stack's LedgerTableName output), with --aws
  -c, --config FILE     the catalog, with --aws (default: ${DEFAULT_CATALOG_FILE})
  -h, --help            show this help

Exit status: 0 shown, 1 the runtime or table could not be read, 2 wrong command line.`,
    async run(argv) {
      const { values } = parseCommandArgs(argv, {
        service: { type: 'string' },
        since: { type: 'string', default: '30d' },
        json: { type: 'boolean', default: false },
        'state-dir': { type: 'string' },
        aws: { type: 'boolean', default: false },
        table: { type: 'string' },
        config: { type: 'string', short: 'c', default: DEFAULT_CATALOG_FILE },
      });
      let periodMs: number;
      try {
        periodMs = parseDuration(values.since);
      } catch (error) {
        throw new UsageError(`--since: ${(error as Error).message}`);
      }
      const query: StatusQuery = {
        since: values.since,
        ...(values.service ? { service: values.service } : {}),
      };
      let report: StatusReport;
      try {
        if (values.aws) {
          if (!values.table)
            throw new UsageError('--aws needs --table NAME (the LedgerTableName stack output)');
          // require, not import(): the CLI runs under tsx's CommonJS hook.
          const { awsStatusReport } = require('./status-aws') as typeof import('./status-aws');
          report = await awsStatusReport({
            tableName: values.table,
            catalogFile: values.config,
            periodMs,
            ...query,
          });
        } else {
          report = await localReport(values['state-dir'], query);
        }
      } catch (error) {
        if (error instanceof UsageError) throw error;
        process.stderr.write(`✘ ${(error as Error).message}\n`);
        return EXIT_FAILURE;
      }
      if (values.json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        return EXIT_OK;
      }
      // Imported here: only a report printed as text needs the formatter (and its charts and cost model).
      const { formatMetrics, formatStatus } = await import('../status/format');
      process.stdout.write(`${kind === 'status' ? formatStatus(report) : formatMetrics(report)}\n`);
      return EXIT_OK;
    },
  };
}

export const statusCommand = reportCommand('status');
export const metricsCommand = reportCommand('metrics');
