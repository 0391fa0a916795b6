/** The `sluice` CLI. Thin on purpose: the commands live in local/cli/ (one module each, listed in registry.ts). */
import '../local/polyfills';
import { runCli } from '../local/cli/dispatch';

// Sluice supports Node 22 (README); on an older Node the SDK's notice would interleave with the CLI's own output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export function main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  return runCli(argv);
}

// Also runnable directly: `npx tsx bin/sluice.ts validate`.
if (require.main === module) {
  main().then((code) => {
    process.exitCode = code;
  });
}
