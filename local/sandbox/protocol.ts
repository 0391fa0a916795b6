import type { SandboxRequest, SandboxResult } from '../../lambdas/core/ports';

/** What the local sandbox writes to its runner host's stdin. */
export interface RunnerHostInput {
  readonly request: SandboxRequest;
  /** The folder the run owns (created and removed by the parent; emptied by the host before and after). */
  readonly scratch: string;
  /** The npm CLI npm steps run with (the project's own `npm` package). */
  readonly npmCli?: string;
}

/** Lines on the runner's stdout: the launcher's `pid` first, then the host's result or error. */
export type RunnerHostMessage =
  | { readonly pid: number }
  | { readonly result: SandboxResult }
  | { readonly error: string };
