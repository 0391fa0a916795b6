/**
 * Who an approver is, as the catalog says (their approver email plus `approval.identities`), and who made a
 * release's changes (authors, committers, pushers). No-self-approval compares the two; `sluice approve --aws`
 * maps the caller's AWS principal to an approver with them. Pure: no SDK.
 */
import type { ApprovalPolicy } from './catalog/types';

/** Identities compare without case: emails, logins and IAM names are case-insensitive where it matters. */
export const identityKey = (identity: string) => identity.trim().toLowerCase();

/** Every identity of each approver (lowercase), their approver email first. */
export function approverIdentities(
  policy: Pick<ApprovalPolicy, 'approvers' | 'identities'>,
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const approver of policy.approvers) {
    const entry = Object.entries(policy.identities ?? {}).find(
      ([email]) => identityKey(email) === identityKey(approver),
    )?.[1];
    const all = [
      approver,
      ...(entry?.gitEmails ?? []),
      ...(entry?.githubLogins ?? []),
      ...(entry?.iamPrincipals ?? []),
    ];
    out[approver] = [...new Set(all.map(identityKey))];
  }
  return out;
}

/**
 * The identity a change and an approver share, if any: then the approver made part of the change. A role ARN
 * of the approver also matches a pusher's session of that role (CodeCommit names the session as caller).
 */
export function sharedIdentity(
  approverIds: readonly string[],
  changeIds: readonly string[],
): string | undefined {
  return approverIds.find((mine) => changeIds.some((theirs) => principalMatches(mine, theirs)));
}

const ASSUMED_ROLE = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/(.+)$/;
const ROLE = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(?:.+\/)?([^/]+)$/;

/**
 * Does the catalog identity `listed` name the caller `principal` (an ARN as STS GetCallerIdentity returns it)?
 * A role ARN names every session of that role; a user or session ARN names only itself.
 */
export function principalMatches(listed: string, principal: string): boolean {
  if (identityKey(listed) === identityKey(principal)) return true;
  const session = ASSUMED_ROLE.exec(principal);
  const role = ROLE.exec(listed);
  return !!session && !!role && session[1] === role[1] && session[2] === role[2] && session[3] === role[3];
}

/** The approvers whose `iamPrincipals` name `principal`: the catalog's validation lets an ARN name at most one. */
export function approversOfPrincipal(
  policy: Pick<ApprovalPolicy, 'approvers' | 'identities'>,
  principal: string,
): string[] {
  return policy.approvers.filter((approver) => {
    const entry = Object.entries(policy.identities ?? {}).find(
      ([email]) => identityKey(email) === identityKey(approver),
    )?.[1];
    return (entry?.iamPrincipals ?? []).some((listed) => principalMatches(listed, principal));
  });
}
