import type { Context } from 'aws-lambda';
import type { SandboxRequest, SandboxResult } from '../core/ports';
import { runSandboxed } from './sandbox-run';

/** Time kept back to kill the steps' process groups and answer before Lambda's own timeout. */
const ANSWER_MS = 15_000;

/**
 * The sandbox in AWS: a function of its own whose role may only write its own log group. Lambda puts that role's
 * credentials in this process's environment (AWS_ACCESS_KEY_ID...), and service code can read them through
 * /proc: they are worth nothing else. No Sluice variable is set on this function. The Test handler invokes it
 * with the checkout and reads the result; /tmp is emptied before and after every run.
 */
export const handler = (event: SandboxRequest, context: Context): Promise<SandboxResult> =>
  runSandboxed(event, {
    scratch: '/tmp',
    maxTimeoutMs: Math.max(1_000, context.getRemainingTimeInMillis() - ANSWER_MS),
  });
