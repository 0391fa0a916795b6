/**
 * Approval links: bound to one approver (by index, so no address appears in the URL), expiring, and signed
 * with HMAC-SHA256. The task token never leaves the ledger.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface LinkClaims {
  readonly approvalId: string;
  /** Index into the approval's approvers. */
  readonly approverIndex: number;
  /** Epoch seconds. */
  readonly expiresAt: number;
}

export type LinkCheck = 'valid' | 'bad-signature' | 'expired';

function mac(key: Uint8Array, purpose: string, claims: LinkClaims): Buffer {
  return createHmac('sha256', key)
    .update(`${purpose}\n${claims.approvalId}\n${claims.approverIndex}\n${claims.expiresAt}`)
    .digest();
}

/** Compares a presented base64url MAC with the expected one in constant time. */
function sameMac(expected: Buffer, presented: string | undefined): boolean {
  if (typeof presented !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(presented)) return false;
  const given = Buffer.from(presented, 'base64url');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function signLink(key: Uint8Array, claims: LinkClaims): string {
  return mac(key, 'link', claims).toString('base64url');
}

/** Token for the page's form: a POST must come from the page the link rendered. */
export function formToken(key: Uint8Array, claims: LinkClaims): string {
  return mac(key, 'form', claims).toString('base64url');
}

export function approvalLink(baseUrl: string, key: Uint8Array, claims: LinkClaims): string {
  const query = new URLSearchParams({
    a: String(claims.approverIndex),
    exp: String(claims.expiresAt),
    sig: signLink(key, claims),
  });
  return `${baseUrl.replace(/\/+$/, '')}/approvals/${encodeURIComponent(claims.approvalId)}?${query}`;
}

export function checkLink(
  key: Uint8Array,
  claims: LinkClaims,
  signature: string | undefined,
  now: Date,
): LinkCheck {
  // Verify before looking at expiry, so an attacker learns nothing from a forged link.
  if (!sameMac(mac(key, 'link', claims), signature)) return 'bad-signature';
  return claims.expiresAt * 1000 <= now.getTime() ? 'expired' : 'valid';
}

export function checkFormToken(key: Uint8Array, claims: LinkClaims, token: string | undefined): boolean {
  return sameMac(mac(key, 'form', claims), token);
}
