/**
 * `sluice approvals`, `sluice approve ID`, `sluice reject ID`: list and decide approval requests of a running
 * local runtime, under the same policy as the page and Slack (channel `cli`). The runtime is found through
 * `<state-dir>/runtime.json` (its URL and a bearer token, mode 600); the approval id is the handle.
 */
import { type Command, EXIT_FAILURE, EXIT_OK, parseCommandArgs, UsageError } from './command';
import { api, runtimeInfo, STATE_DIR_HELP } from './runtime-client';

interface ListedApproval {
  approvalId: string;
  service: string;
  releaseId: string;
  status: string;
  required: number;
  requestedAt: string;
  expiresAt: string;
  decidedBy?: string;
  supersededBy?: string;
  votes?: Record<string, { decision: string; channel: string }>;
}

export const approvalsCommand: Command = {
  name: 'approvals',
  summary: 'List approval requests of the running local runtime, pending and past',
  usage: `Usage: sluice approvals [--service S] [--state-dir DIR] [--json]

Lists approval requests, newest first: id, service, release, status, votes so far, expiry.

Options:
      --service S      only this service
      --state-dir DIR  ${STATE_DIR_HELP}
      --json           print the full records with their audit trail as JSON
  -h, --help           show this help`,
  async run(argv) {
    const { values } = parseCommandArgs(argv, {
      service: { type: 'string' },
      'state-dir': { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    const info = runtimeInfo(values['state-dir']);
    const query = values.service ? `?service=${encodeURIComponent(values.service)}` : '';
    const { status, body } = await api(info, `/api/approvals${query}`);
    if (status !== 200) {
      process.stderr.write(`✘ ${(body as { error?: string }).error ?? `status ${status}`}\n`);
      return EXIT_FAILURE;
    }
    const approvals = (body as { approvals: ListedApproval[] }).approvals;
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

${decision === 'approve' ? 'Approves' : 'Rejects'} approval request ID (from \`sluice approvals\`) as EMAIL, one of the service's approvers.
The catalog's policy applies as on the page and in Slack: allow-list, no self-approval, one vote per approver,
quorum, expiry. The vote is recorded with channel cli.

Options:
      --as EMAIL         the approver deciding
      --comment TEXT     recorded with the vote${decision === 'approve' ? '\n      --release-at TIME  deploy no earlier than TIME (ISO 8601, e.g. 2026-03-02T14:00Z)' : ''}
      --state-dir DIR    ${STATE_DIR_HELP}
  -h, --help             show this help

Exit status: 0 recorded, 1 refused, 2 wrong command line.`,
    async run(argv) {
      const { values, positionals } = parseCommandArgs(
        argv,
        {
          as: { type: 'string' },
          comment: { type: 'string' },
          'state-dir': { type: 'string' },
          ...(decision === 'approve' ? { 'release-at': { type: 'string' as const } } : {}),
        },
        { allowPositionals: true },
      );
      if (positionals.length !== 1)
        throw new UsageError('give exactly one approval ID (see sluice approvals)');
      if (!values.as) throw new UsageError('--as EMAIL is required: who is deciding');
      const info = runtimeInfo(values['state-dir']);
      const releaseAt = (values as { 'release-at'?: string })['release-at'];
      const { body } = await api(info, `/api/approvals/${encodeURIComponent(positionals[0])}/decision`, {
        method: 'POST',
        body: JSON.stringify({
          as: values.as,
          decision,
          ...(values.comment ? { comment: values.comment } : {}),
          ...(releaseAt ? { releaseAt } : {}),
        }),
      });
      const result = body as { outcome?: string; message?: string; refused?: string; error?: string };
      if (result.outcome) {
        process.stdout.write(`✔ ${result.message}\n`);
        return EXIT_OK;
      }
      process.stderr.write(`✘ refused (${result.refused ?? 'error'}): ${result.message ?? result.error}\n`);
      return EXIT_FAILURE;
    },
  };
}

export const approveCommand = decisionCommand('approve');
export const rejectCommand = decisionCommand('reject');
