/** `sluice local`: the local runtime, watching the catalog's git repositories; a commit starts a release. */
import { type Command, EXIT_OK, parseCommandArgs, UsageError } from './command';
import { DEFAULT_CATALOG_FILE } from './validate';

export const localCommand: Command = {
  name: 'local',
  summary: 'Run the local runtime and release every commit pushed to a tracked branch of a local repository',
  usage: `Usage: sluice local [--config FILE] [--state-dir DIR] [--repos-dir DIR] [--fresh] [--time-scale N] [--port N] [--interval-ms N]

Starts the local runtime (the state machine CDK renders, the same handlers, DynamoDB Local, the local deploy
target) and watches the git repository of every service in the catalog: source.localPath, or
<repos-dir>/<repository>. When a tracked branch's head moves, the push goes to the same router handler that
runs in AWS, which starts one release per affected service (path globs apply). Runs until Ctrl-C.

Options:
  -c, --config FILE     the catalog (default: ${DEFAULT_CATALOG_FILE})
      --state-dir DIR   where the runtime keeps the ledger, metrics, artifacts, the outbox and scratch space
                        (default: .sluice/local)
      --repos-dir DIR   where <repository> folders live for services without source.localPath (default: <state-dir>/repos)
      --fresh           start clean: remove the ledger, metrics, outbox and artifacts of earlier runs
      --time-scale N    compress canary time N times (default: 60)
      --port N          port of the approval/status pages on 127.0.0.1 (default: any free port)
      --interval-ms N   how often each tracked branch is checked (default: 1000)
  -h, --help            show this help

The ledger (DynamoDB Local's database in <state-dir>/ledger) and the release metrics span runs, so history and
DORA metrics accumulate; releases a stopped runtime left running are recorded as failed at the next start.
Exit status: 0 after Ctrl-C (SIGINT) or SIGTERM, 2 wrong command line.`,

  async run(argv) {
    const { values } = parseCommandArgs(argv, {
      config: { type: 'string', short: 'c', default: DEFAULT_CATALOG_FILE },
      'state-dir': { type: 'string', default: '.sluice/local' },
      'repos-dir': { type: 'string' },
      fresh: { type: 'boolean', default: false },
      'time-scale': { type: 'string', default: '60' },
      port: { type: 'string', default: '0' },
      'interval-ms': { type: 'string', default: '1000' },
    });
    const timeScale = Number(values['time-scale']);
    if (!Number.isFinite(timeScale) || timeScale < 1 || timeScale > 600) {
      throw new UsageError(
        `--time-scale must be a number from 1 to 600, received ${JSON.stringify(values['time-scale'])}`,
      );
    }
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new UsageError(`--port must be 0-65535, received ${JSON.stringify(values.port)}`);
    }
    const intervalMs = Number(values['interval-ms']);
    if (!Number.isInteger(intervalMs) || intervalMs < 50 || intervalMs > 60_000) {
      throw new UsageError(
        `--interval-ms must be a whole number from 50 to 60000, received ${JSON.stringify(values['interval-ms'])}`,
      );
    }
    // require, not import(): the CLI runs under tsx's CommonJS hook, which import() bypasses.
    const { LocalSluice } = require('../runtime') as typeof import('../runtime');
    const { LocalGitWatcher } = require('../git-watcher') as typeof import('../git-watcher');
    const out = (line: string) => process.stdout.write(`${line}\n`);
    const sluice = await LocalSluice.start({
      catalogFile: values.config,
      stateDir: values['state-dir'],
      ...(values['repos-dir'] ? { reposDir: values['repos-dir'] } : {}),
      fresh: values.fresh,
      timeScale,
      port,
      log: (line) => out(`  · ${line}`),
    });
    sluice.outbox.onNotify((n, file) =>
      out(`  ✉  approval request for ${n.approver} (${file}):\n     ${n.link}`),
    );
    sluice.onRelease((run, request) => {
      out(
        `▶ ${run.releaseId} started (${request.trigger.source}${request.trigger.actor ? `, ${request.trigger.actor}` : ''})`,
      );
      run.done.then(
        (report) =>
          out(
            `■ ${report.releaseId} ${report.status} at ${report.endedAt}${report.reason ? `: ${report.reason}` : ''}`,
          ),
        (error: unknown) =>
          out(`■ ${run.releaseId} failed: ${error instanceof Error ? error.message : String(error)}`),
      );
    });
    let watcher: import('../git-watcher').LocalGitWatcher | undefined;
    try {
      watcher = await LocalGitWatcher.start({
        catalog: sluice.catalog,
        source: sluice.source,
        bus: sluice.bus,
        intervalMs,
        log: (line) => out(`  · ${line}`),
        onRouted: (_push, outcome) => {
          for (const r of outcome.releases)
            if (r.status === 'duplicate') out(`  · ${r.releaseId} already started`);
        },
      });
      for (const b of watcher.branches) out(`watching ${b.dir} (${b.branch})`);
      out(
        `Sluice local is running; approval and status pages on ${sluice.web.url}. Commit to a tracked branch to release; Ctrl-C stops.`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      out('stopping…');
    } finally {
      await watcher?.close();
      await sluice.close();
    }
    return EXIT_OK;
  },
};
