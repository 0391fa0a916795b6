/**
 * `sluice approvals`, `sluice approve ID`, `sluice reject ID`: list and decide approval requests under the same
 * policy as the page and Slack (channel `cli`). Locally through the running runtime's token-guarded API
 * (`<state-dir>/runtime.json`); with --aws against a deployed stack, with the caller's own AWS credentials.
 * The approval id is the handle.
 */
import type { ApprovalsBackend, DecisionReply, ListedApproval } from './approvals-backend';
import { type Command, EXIT_FAILURE, EXIT_OK, parseCommandArgs, UsageError } from './command';
import { api, runtimeInfo, STATE_DIR_HELP } from './runtime-client';
import { DEFAULT_CATALOG_FILE } from './validate';

function localBackend(stateDir: string | undefined): ApprovalsBackend {
  const info = runtimeInfo(stateDir);
  return {
    async list(service) {
      const query = service ? `?service=${encodeURIComponent(service)}` : '';
      const { status, body } = await api(info, `/api/approvals${query}`);
      if (status === 404) throw new UsageError((body as { error?: string }).error ?? 'unknown service');
      if (status !== 200) throw new Error((body as { error?: string }).error ?? `status ${status}`);
      return (body as { approvals: ListedApproval[] }).approvals;
    },
    async decide(approvalId, input) {
      const { body } = await api(info, `/api/approvals/${encodeURIComponent(approvalId)}/decision`, {
        method: 'POST',
        body: JSON.stringify(input),
      });
      const result = body as { outcome?: string; message?: string; refused?: string; error?: string };
      return result.outcome
        ? { ok: true, message: result.message ?? '' }
        : { ok: false, refused: result.refused ?? 'error', message: result.message ?? result.error ?? '' };
    },
  };
}

const AWS_OPTIONS_HELP = `      --aws              use a deployed stack (credentials and region from the usual AWS environment; IAM
                         decides who may: the ledger table and states:SendTaskSuccess/Failure)
      --table NAME       the ledger table (the SluicePipeline stack's LedgerTableName output), with --aws
  -c, --config FILE      the catalog, with --aws (default: ${DEFAULT_CATALOG_FILE})`;

const BACKEND_OPTIONS = {
  'state-dir': { type: 'string' },
  aws: { type: 'boolean', default: false },
  table: { type: 'string' },
  config: { type: 'string', short: 'c', default: DEFAULT_CATALOG_FILE },
} as const;

function backendOf(values: {
  'state-dir'?: string;
  aws?: boolean;
  table?: string;
  config?: string;
}): ApprovalsBackend {
  if (!values.aws) return localBackend(values['state-dir']);
  if (!values.table) throw new UsageError('--aws needs --table NAME (the LedgerTableName stack output)');
  // require, not import(): the CLI runs under tsx's CommonJS hook.
  const { awsApprovalsBackend } = require('./approvals-aws') as typeof import('./approvals-aws');
  return awsApprovalsBackend({ tableName: values.table, catalogFile: values.config ?? DEFAULT_CATALOG_FILE });
}

export const approvalsCommand: Command = {
  name: 'approvals',
  summary: 'List approval requests, pending and past (local runtime, or a deployed stack with --aws)',
  usage: `Usage: sluice approvals [--service S] [--json] [--state-dir DIR]
       sluice approvals [--service S] [--json] --aws --table NAME [--config FILE]

Lists approval requests, newest first: id, service, release, status, votes so far, expiry.

Options:
      --service S        only this service
      --json             print the full records with their audit trail as JSON
      --state-dir DIR    ${STATE_DIR_HELP}
${AWS_OPTIONS_HELP}
  -h, --help             show this help`,
  async run(argv) {
    const { values } = parseCommandArgs(argv, {
      service: { type: 'string' },
      json: { type: 'boolean', default: false },
      ...BACKEND_OPTIONS,
    });
    let approvals: ListedApproval[];
    try {
      approvals = await backendOf(values).list(values.service);
    } catch (error) {
      if (error instanceof UsageError) throw error;
      process.stderr.write(`✘ ${(error as Error).message}\n`);
      return EXIT_FAILURE;
    }
    if (values.json) {
      process.stdout.write(`${JSON.stringify(approvals, null, 2)}\n`);
      return EXIT_OK;
    }
    if (approvals.length === 0) process.stdout.write('No approval requests.\n');
    for (const a of approvals) {
      const votes = Object.entries(a.votes ?? {})
        .map(([who, v]) => `${who} ${v.decision} (${v.channel})`)
        .join(', ');
      const state =
        a.status === 'pending'
          ? `pending, expires ${a.expiresAt}`
          : a.status === 'superseded'
            ? `superseded by ${a.supersededBy}`
            : `${a.status}${a.decidedBy && a.decidedBy !== 'sluice' ? ` by ${a.decidedBy}` : ''}`;
      process.stdout.write(
        `${a.approvalId}  ${a.service}  ${a.releaseId}  ${state}  [${Object.values(a.votes ?? {}).filter((v) => v.decision === 'approved').length}/${a.required}]${votes ? `  ${votes}` : ''}\n`,
      );
    }
    return EXIT_OK;
  },
};

function decisionCommand(decision: 'approve' | 'reject'): Command {
  return {
    name: decision,
    summary: `${decision === 'approve' ? 'Approve' : 'Reject'} an approval request as an approver (same policy as the page)`,
    usage: `Usage: sluice ${decision} ID --as EMAIL [--comment TEXT]${decision === 'approve' ? ' [--release-at TIME]' : ''} [--state-dir DIR]
       sluice ${decision} ID [--as EMAIL] [--comment TEXT]${decision === 'approve' ? ' [--release-at TIME]' : ''} --aws --table NAME [--config FILE]

${decision === 'approve' ? 'Approves' : 'Rejects'} approval request ID (from \`sluice approvals\`) as EMAIL, one of the service's approvers.
The catalog's policy applies as on the page and in Slack: allow-list, no self-approval, one vote per approver,
quorum, expiry. The vote is recorded with channel cli.

Options:
      --as EMAIL         the approver deciding; with --aws a check only: the approver is who your AWS
                         credentials are (STS GetCallerIdentity, mapped through the catalog's
                         approval.identities.<approver>.iamPrincipals), and --as must match it
      --comment TEXT     recorded with the vote${decision === 'approve' ? '\n      --release-at TIME  deploy no earlier than TIME (ISO 8601, e.g. 2026-03-02T14:00Z)' : ''}
      --state-dir DIR    ${STATE_DIR_HELP}
${AWS_OPTIONS_HELP}
  -h, --help             show this help

Exit status: 0 recorded, 1 refused, 2 wrong command line.`,
    async run(argv) {
      const { values, positionals } = parseCommandArgs(
        argv,
        {
          as: { type: 'string' },
          comment: { type: 'string' },
          ...BACKEND_OPTIONS,
          ...(decision === 'approve' ? { 'release-at': { type: 'string' as const } } : {}),
        },
        { allowPositionals: true },
      );
      const [approvalId] = positionals;
      if (positionals.length !== 1 || approvalId === undefined)
        throw new UsageError('give exactly one approval ID (see sluice approvals)');
      if (!values.as && !values.aws) throw new UsageError('--as EMAIL is required: who is deciding');
      const releaseAt = (values as { 'release-at'?: string })['release-at'];
      let reply: DecisionReply;
      try {
        reply = await backendOf(values).decide(approvalId, {
          ...(values.as ? { as: values.as } : {}),
          decision,
          ...(values.comment ? { comment: values.comment } : {}),
          ...(releaseAt ? { releaseAt } : {}),
        });
      } catch (error) {
        if (error instanceof UsageError) throw error;
        process.stderr.write(`✘ ${(error as Error).message}\n`);
        return EXIT_FAILURE;
      }
      if (reply.ok) {
        process.stdout.write(`✔ ${reply.message}\n`);
        return EXIT_OK;
      }
      process.stderr.write(`✘ refused (${reply.refused}): ${reply.message}\n`);
      return EXIT_FAILURE;
    },
  };
}

export const approveCommand = decisionCommand('approve');
export const rejectCommand = decisionCommand('reject');
