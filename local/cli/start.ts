/** `sluice start`: the local demo — real releases of the example services, both models, on this machine. */
import { type Command, EXIT_USAGE, parseCommandArgs, UsageError } from './command';
import { DEFAULT_CATALOG_FILE } from './validate';

export const startCommand: Command = {
  name: 'start',
  summary: 'Run the local demo: delivery and deployment releases end to end, no AWS account',
  usage: `Usage: sluice start [--config FILE] [--state-dir DIR] [--time-scale N] [--port N]

Runs real releases of the example services on this machine: a delivery release approved through the
approval page, a green canary, a bad commit rolled back by its alarm, and a commit whose tests fail.
Prints progress, then a summary per release (outcome, stage reached, state transitions, time per stage).

Options:
  -c, --config FILE     the catalog (default: ${DEFAULT_CATALOG_FILE})
      --state-dir DIR   where the demo keeps its repositories, ledger outbox and artifacts (default: .sluice/demo)
      --time-scale N    compress canary time N times (default: 60, so a 5-minute canary bakes 5 s)
      --port N          port of the approval/status pages on 127.0.0.1 (default: any free port)
      --stay            keep the runtime up after the demo (until Ctrl-C), for \`sluice rollback\`
  -h, --help            show this help

With a terminal, you approve from the printed link (or press Enter to approve through the page).
Without one (CI=true or piped output), the demo approves through the same page and says so.
Exit status: 0 when every release ended as expected, 1 otherwise.`,

  async run(argv) {
    const { values } = parseCommandArgs(argv, {
      config: { type: 'string', short: 'c', default: DEFAULT_CATALOG_FILE },
      'state-dir': { type: 'string', default: '.sluice/demo' },
      'time-scale': { type: 'string', default: '60' },
      port: { type: 'string', default: '0' },
      stay: { type: 'boolean', default: false },
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
    const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY) && !process.env.CI;
    // Loaded on demand so that `sluice validate` does not pay for the runtime's start-up; require, not
    // import(): the CLI runs under tsx's CommonJS hook, which import() bypasses.
    const { runDemo } = require('../demo/demo') as typeof import('../demo/demo');
    return runDemo({
      catalogFile: values.config,
      stateDir: values['state-dir'],
      timeScale,
      port,
      interactive,
      ...(values.stay
        ? {
            stayUntil: () =>
              new Promise<void>((done) => {
                process.once('SIGINT', () => done());
                process.once('SIGTERM', () => done());
              }),
          }
        : {}),
    }).catch((error: Error) => {
      process.stderr.write(`✘ ${error.message}\n`);
      return error.name === 'UsageError' ? EXIT_USAGE : 1;
    });
  },
};
