import { existsSync } from 'node:fs';
import type { Context } from 'aws-lambda';
import type { SandboxRequest, SandboxResult } from '../core/ports';
import { LAMBDA_NPM_CLI } from './npm-step';
import { runSandboxed } from './sandbox-run';
import { killStrays } from './strays';

/** The handler was invoked outside Lambda. */
export class NotInLambdaError extends Error {
  override readonly name = 'NotInLambdaError';
}

/** Time kept back to kill the steps' process groups and answer before Lambda's own timeout. */
const ANSWER_MS = 15_000;

/**
 * The sandbox in AWS: a function of its own whose role may only write its own log group. Lambda puts that role's
 * credentials in this process's environment (AWS_ACCESS_KEY_ID...), and service code can read them through
 * /proc: they are worth nothing else. No Sluice variable is set on this function. The Test handler invokes it
 * with the checkout and reads the result; /tmp is emptied before and after every run, and any process a run
 * left outside its process group (a daemon) is killed before the answer and again before the next run.
 */
export const handler = async (event: SandboxRequest, context: Context): Promise<SandboxResult> => {
  // It empties /tmp and kills this user's other processes: right in its own execution environment, never on a
  // shared machine (the local runtime runs the same core through local/sandbox/ instead).
  if (!process.env.AWS_EXECUTION_ENV?.startsWith('AWS_Lambda_') || !process.env.LAMBDA_TASK_ROOT) {
    throw new NotInLambdaError(
      'The test-runner handler runs only in its own Lambda execution environment; locally, use ProcessTestSandbox.',
    );
  }
  await killStrays();
  try {
    return await runSandboxed(event, {
      scratch: '/tmp',
      maxTimeoutMs: Math.max(1_000, context.getRemainingTimeInMillis() - ANSWER_MS),
      // From the npm layer (lib/npm-layer.ts); without it, npm steps are refused with a reason.
      npmCli: existsSync(LAMBDA_NPM_CLI) ? LAMBDA_NPM_CLI : undefined,
    });
  } finally {
    // Also before answering: the runtime then asks the Runtime API for the next invocation, which a process
    // left running could otherwise take first (and answer for another service's run).
    await killStrays();
  }
};

/** The factory every handler module exports: the sandbox takes no ports, so it is the one handler. */
export const makeHandler = (): typeof handler => handler;
