/**
 * What `sluice retry` and `sluice cancel` share: one release named, a reason, who asks, and where it runs (the
 * running local runtime, or `--aws` against the deployed ledger and state machine).
 */

import type { RuntimeInfo } from '../approval-runtime';
import { EXIT_FAILURE, EXIT_OK, parseCommandArgs, UsageError } from './command';
import { defaultActor } from './rollback';
import { runtimeInfo } from './runtime-client';
import { DEFAULT_CATALOG_FILE } from './validate';

/** The release action as `--aws` takes it: who asks is who the credentials are, `as` only checks it. */
export interface AwsReleaseActionRequest {
  readonly releaseId: string;
  readonly reason: string;
  readonly as?: string;
}

/** Where `--aws` applies the action: the deployed stack's outputs and the catalog file. */
export interface AwsReleaseActionTarget {
  readonly tableName: string;
  readonly stateMachineArn: string;
  readonly catalogFile: string;
}

/** The release action as the local runtime takes it. */
export interface LocalReleaseActionRequest {
  readonly releaseId: string;
  readonly reason: string;
  readonly requestedBy: string;
}

export interface ReleaseActionHandlers {
  /** The command's refusal (exit 1), e.g. RetryCliError. */
  readonly refusal: new (
    message: string,
  ) => Error;
  /** Applies the action in AWS; resolves to what to print. */
  readonly onAws: (request: AwsReleaseActionRequest, target: AwsReleaseActionTarget) => Promise<string>;
  /** Applies the action through the running local runtime; resolves to what to print. */
  readonly locally: (runtime: RuntimeInfo, request: LocalReleaseActionRequest) => Promise<string>;
}

/** Parses `RELEASE --reason TEXT [--as EMAIL] [--state-dir DIR] [--aws --table NAME --state-machine-arn ARN]`. */
export async function runReleaseAction(argv: string[], handlers: ReleaseActionHandlers): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      reason: { type: 'string' },
      as: { type: 'string' },
      'state-dir': { type: 'string' },
      aws: { type: 'boolean', default: false },
      table: { type: 'string' },
      'state-machine-arn': { type: 'string' },
      config: { type: 'string', short: 'c', default: DEFAULT_CATALOG_FILE },
    },
    { allowPositionals: true },
  );
  const [releaseId] = positionals;
  if (positionals.length !== 1 || releaseId === undefined)
    throw new UsageError(`name exactly one release, received ${positionals.length}`);
  const tableName = values.table;
  const stateMachineArn = values['state-machine-arn'];
  if (values.aws && (!tableName || !stateMachineArn))
    throw new UsageError(
      '--aws needs --table NAME and --state-machine-arn ARN (the LedgerTableName and StateMachineArn stack outputs)',
    );
  try {
    // A missing reason or actor is refused like any other refusal (exit 1), by the same rules as the runtime's.
    const reason = values.reason;
    if (!reason?.trim()) throw new handlers.refusal('--reason is required: say why, it is recorded');
    let printed: string;
    if (values.aws && tableName && stateMachineArn) {
      printed = await handlers.onAws(
        { releaseId, reason, ...(values.as ? { as: values.as } : {}) },
        { tableName, stateMachineArn, catalogFile: values.config },
      );
    } else {
      const requestedBy = values.as ?? defaultActor();
      if (!requestedBy)
        throw new handlers.refusal('--as EMAIL is required: git has no user.email and $USER is not set');
      printed = await handlers.locally(runtimeInfo(values['state-dir']), { releaseId, reason, requestedBy });
    }
    process.stdout.write(`${printed}\n`);
    return EXIT_OK;
  } catch (error) {
    process.stderr.write(`✘ ${(error as Error).message}\n`);
    return EXIT_FAILURE;
  }
}
