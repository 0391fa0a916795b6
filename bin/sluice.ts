/** The `sluice` CLI. Thin on purpose: the commands live in local/cli/ (one module each, listed in registry.ts). */
import '../local/polyfills';
import { runCli } from '../local/cli/dispatch';

// This machine may run Node 20 while Lambda runs Node 22; the SDK's notice about it is noise in a CLI.
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
