/** `sluice validate`: checks the catalog and lists every problem, so one run tells the author everything to fix. */
import { loadCatalogFile } from '../../lambdas/core/catalog/load';
import { formatProblems } from '../../lambdas/core/catalog/validate';
import { type Command, EXIT_FAILURE, EXIT_OK, parseCommandArgs } from './command';

export const DEFAULT_CATALOG_FILE = 'sluice.catalog.json';

export const validateCommand: Command = {
  name: 'validate',
  summary: 'Check the service catalog and report every problem',
  usage: `Usage: sluice validate [--config FILE] [--print]

Checks the service catalog. Each problem names the exact path, the value received and how to fix it.

Options:
  -c, --config FILE  the catalog file (default: ${DEFAULT_CATALOG_FILE} in the current folder)
      --print        print the catalog with every default filled in, as JSON
  -h, --help         show this help

Exit status: 0 valid, 1 invalid, 2 wrong command line.`,

  async run(argv) {
    const { values } = parseCommandArgs(argv, {
      config: { type: 'string', short: 'c', default: DEFAULT_CATALOG_FILE },
      print: { type: 'boolean', default: false },
    });
    const file = values.config;
    const result = loadCatalogFile(file);
    if (!result.ok) {
      const count = result.problems.length;
      const lines = formatProblems(result.problems).map((line) => `  ${line}`);
      process.stderr.write(`✖ ${file}: ${count} problem${count === 1 ? '' : 's'}\n${lines.join('\n')}\n`);
      return EXIT_FAILURE;
    }
    const names = result.catalog.services.map((s) => s.name);
    const summary = `${names.length} service${names.length === 1 ? '' : 's'} valid (${names.join(', ')})`;
    if (values.print) {
      process.stdout.write(`${JSON.stringify(result.catalog, null, 2)}\n`);
      process.stderr.write(`✔ ${file}: ${summary}\n`);
    } else {
      process.stdout.write(`✔ ${file}: ${summary}\n`);
    }
    return EXIT_OK;
  },
};
