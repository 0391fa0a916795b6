/**
 * How CLI commands reach a running local runtime: `<state-dir>/runtime.json` (written by LocalSluice, mode
 * 600) holds its URL on 127.0.0.1 and a bearer token for its `/api/*`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RuntimeInfo } from '../approval-runtime';

/** No local runtime answers for that state folder: the command cannot run (exit 1), the command line is fine. */
export class RuntimeNotRunningError extends Error {
  override readonly name = 'RuntimeNotRunningError';
}

/** Where `sluice local` and `sluice start` keep their state; the CLI looks for a running runtime in this order. */
export const DEFAULT_STATE_DIRS = ['.sluice/local', '.sluice/demo'] as const;
export const STATE_DIR_HELP = `the running runtime's state folder (default: the first of ${DEFAULT_STATE_DIRS.join(', ')} with a running runtime)`;

/** The running runtime of `stateDir`, or of the first default state folder that has one running. */
export function runtimeInfo(stateDir?: string): RuntimeInfo {
  if (stateDir === undefined) {
    for (const dir of DEFAULT_STATE_DIRS) {
      try {
        return runtimeInfo(dir);
      } catch (error) {
        if (!(error instanceof RuntimeNotRunningError)) throw error;
      }
    }
    throw new RuntimeNotRunningError(
      `no running local runtime in ${DEFAULT_STATE_DIRS.join(' or ')}. Start one (npx sluice local, or npx sluice start --stay) or pass --state-dir of a running one.`,
    );
  }
  const file = join(stateDir, 'runtime.json');
  let info: RuntimeInfo;
  try {
    info = JSON.parse(readFileSync(file, 'utf8')) as RuntimeInfo;
  } catch {
    throw new RuntimeNotRunningError(
      `no running local runtime: ${file} is missing. Start one (npx sluice local, or npx sluice start --stay) or pass --state-dir of a running one.`,
    );
  }
  try {
    process.kill(info.pid, 0);
  } catch {
    throw new RuntimeNotRunningError(
      `the local runtime that wrote ${file} (pid ${info.pid}) is no longer running; start it again (npx sluice local).`,
    );
  }
  return info;
}

/** Calls the runtime's API with its token; refuses anything but 127.0.0.1. */
export async function api(
  info: RuntimeInfo,
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; body: unknown }> {
  const url = new URL(path, info.url);
  if (url.hostname !== '127.0.0.1')
    throw new Error(`runtime.json points at ${url.origin}; expected 127.0.0.1`);
  let response: Response;
  try {
    response = await fetch(url, {
      ...init,
      headers: {
        authorization: `Bearer ${info.token}`,
        'content-type': 'application/json',
        'user-agent': 'sluice-cli',
      },
    });
  } catch (error) {
    throw new Error(
      `the local runtime at ${info.url} does not answer (${(error as Error).message}); is it still running?`,
    );
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = { error: text };
  }
  return { status: response.status, body };
}
