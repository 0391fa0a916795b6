/** The `sluice` CLI. Thin on purpose: the commands live in local/cli/ (one module each, listed in registry.ts). */
import '../local/polyfills';
import { runCli } from '../local/cli/dispatch';

export function main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  return runCli(argv);
}

// Also runnable directly: `npx tsx bin/sluice.ts validate`.
if (require.main === module) {
  main().then((code) => {
    process.exitCode = code;
  });
}
