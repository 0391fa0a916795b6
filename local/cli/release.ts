/** `sluice release SERVICE`: one release of a catalog service in the local runtime, start to finish. */
import { type Command, EXIT_FAILURE, EXIT_OK, parseCommandArgs, UsageError } from './command';
import { DEFAULT_CATALOG_FILE } from './validate';

export const releaseCommand: Command = {
  name: 'release',
  summary: 'Release one service locally (your own git repository too) and report the outcome',
  usage: `Usage: sluice release SERVICE [--commit SHA] [--config FILE] [--state-dir DIR] [--fresh] [--time-scale N]
       sluice release SERVICE --state-machine-arn ARN [--commit SHA] [--region REGION] [--config FILE]

Runs one release of SERVICE through the local runtime: the state machine CDK renders, the same handlers,
DynamoDB Local, the local deploy target. The source is the service's source.localPath in the catalog, or
<state-dir>/repos/<repository>. A delivery release prints its approval link and waits for a decision.

Options:
      --commit SHA      the commit to release (default: the head of the tracked branch)
  -c, --config FILE     the catalog (default: ${DEFAULT_CATALOG_FILE})
      --state-dir DIR   where the runtime keeps the ledger, metrics, artifacts, the outbox and scratch space
                        (default: .sluice/local, as sluice local)
      --fresh           start clean: remove the ledger, metrics, outbox and artifacts of earlier runs
      --time-scale N    compress canary time N times (default: 60)
      --state-machine-arn ARN
                        start the release on a deployed Sluice stack instead (StartExecution with your AWS
                        credentials; the StateMachineArn output). Prints the execution ARN and returns.
      --region REGION   the stack's region (default: the one in the ARN)
  -h, --help            show this help

The execution is named <service>-<sha12>, as the router names a push of the same commit: starting a commit
that is already released or releasing does nothing new.

The ledger and metrics in the state folder span runs. Deployed versions do not: the first release of a
service in a run deploys all at once.
Exit status: 0 when the release reached production, 1 when it did not, 2 wrong command line.`,

  async run(argv) {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        commit: { type: 'string' },
        config: { type: 'string', short: 'c', default: DEFAULT_CATALOG_FILE },
        'state-dir': { type: 'string', default: '.sluice/local' },
        fresh: { type: 'boolean', default: false },
        'time-scale': { type: 'string', default: '60' },
        'state-machine-arn': { type: 'string' },
        region: { type: 'string' },
      },
      { allowPositionals: true },
    );
    const [service] = positionals;
    if (positionals.length !== 1 || service === undefined)
      throw new UsageError(`name exactly one service, received ${positionals.length}`);
    if (values['state-machine-arn'] !== undefined) {
      // Loaded only here: its SDK clients are half of every other command's start-up.
      const { startRemoteRelease } = await import('./remote-release');
      const started = await startRemoteRelease({
        catalogFile: values.config,
        service,
        stateMachineArn: values['state-machine-arn'],
        ...(values.commit ? { commit: values.commit } : {}),
        ...(values.region ? { region: values.region } : {}),
        actor: process.env.USER ?? 'cli',
      });
      process.stdout.write(
        started.status === 'started'
          ? `▶ ${started.releaseId} started: ${started.executionArn ?? ''}\n`
          : `▶ ${started.releaseId} was already started (a release of this commit exists); nothing new started\n`,
      );
      return EXIT_OK;
    }
    if (values.region !== undefined) throw new UsageError('--region goes with --state-machine-arn');
    const timeScale = Number(values['time-scale']);
    if (!Number.isFinite(timeScale) || timeScale < 1 || timeScale > 600) {
      throw new UsageError(
        `--time-scale must be a number from 1 to 600, received ${JSON.stringify(values['time-scale'])}`,
      );
    }
    // Loaded on demand so that other commands do not pay for the runtime's start-up.
    // require, not import(): the CLI runs under tsx's CommonJS hook, which import() bypasses.
    const { LocalSluice } = require('../runtime') as typeof import('../runtime');
    const { formatSummary } = require('../demo/summary') as typeof import('../demo/summary');
    const sluice = await LocalSluice.start({
      catalogFile: values.config,
      stateDir: values['state-dir'],
      fresh: values.fresh,
      timeScale,
      log: (line) => process.stdout.write(`  · ${line}\n`),
    });
    try {
      const run = await sluice.release({
        service,
        ...(values.commit ? { commit: values.commit } : {}),
        trigger: { source: 'manual', actor: process.env.USER ?? 'local' },
      });
      process.stdout.write(
        run.duplicate
          ? `▶ ${run.releaseId} was released before (the ledger in the state folder has it); nothing new started\n`
          : `▶ ${run.releaseId} started; approval and status pages on ${sluice.web.url}\n`,
      );
      sluice.outbox.onNotify((n, file) => {
        process.stdout.write(`  ✉  approval request for ${n.approver} (${file}):\n     ${n.link}\n`);
      });
      const report = await run.done;
      const ok = report.status === 'succeeded';
      process.stdout.write(
        `\n${formatSummary([{ title: 'release', report, expected: 'succeeded at Deploy', ok }])}\n`,
      );
      return ok ? EXIT_OK : EXIT_FAILURE;
    } finally {
      await sluice.close();
    }
  },
};
