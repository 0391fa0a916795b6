/**
 * The child side of the local test sandbox: the same runSandboxed the test-runner Lambda runs, in a process of
 * its own. It reads `{ request, scratch }` as JSON on stdin and writes one line `{ "result": ... }` or
 * `{ "error": ... }` on stdout. Bundled and run with plain node (see process-test-sandbox.ts).
 */
import { runSandboxed } from '../../lambdas/test-runner/sandbox-run';
import type { RunnerHostInput, RunnerHostMessage } from './protocol';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function main(): Promise<void> {
  let message: RunnerHostMessage;
  try {
    const input = JSON.parse(await readStdin()) as RunnerHostInput;
    message = { result: await runSandboxed(input.request, { scratch: input.scratch, npmCli: input.npmCli }) };
  } catch (error) {
    message = { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

void main();
