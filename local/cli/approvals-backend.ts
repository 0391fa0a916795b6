/** What `sluice approvals|approve|reject` needs from where approvals live: the local runtime or a deployed stack. */

export interface ListedApproval {
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

export interface DecisionInput {
  /**
   * Locally: who decides. With `--aws`: a check only, it must be the approver the caller's AWS principal maps
   * to. @default - with --aws, the mapped approver
   */
  readonly as?: string;
  readonly decision: 'approve' | 'reject';
  readonly comment?: string;
  readonly releaseAt?: string;
}

export type DecisionReply =
  | { readonly ok: true; readonly message: string }
  | { readonly ok: false; readonly refused: string; readonly message: string };

/** Where approvals live: the running local runtime, or a deployed stack. */
export interface ApprovalsBackend {
  /** Newest first; throws UsageError for an unknown service. */
  list(service?: string): Promise<ListedApproval[]>;
  decide(approvalId: string, input: DecisionInput): Promise<DecisionReply>;
}
