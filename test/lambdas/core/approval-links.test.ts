import { describe, expect, it } from 'vitest';
import {
  approvalLink,
  checkFormToken,
  checkLink,
  formToken,
  signLink,
} from '../../../lambdas/core/approval-links';

const key = Buffer.from('k'.repeat(32));
const otherKey = Buffer.from('x'.repeat(32));
const now = new Date('2026-01-01T00:00:00Z');
const claims = { approvalId: 'abcdefghijklmnop', approverIndex: 1, expiresAt: now.getTime() / 1000 + 3600 };

describe('approval links', () => {
  it('puts no address or token in the URL, only the approver index, expiry and signature', () => {
    const link = new URL(approvalLink('https://example.test/', key, claims));
    expect(link.pathname).toBe('/approvals/abcdefghijklmnop');
    expect([...link.searchParams.keys()]).toEqual(['a', 'exp', 'sig']);
    expect(link.searchParams.get('a')).toBe('1');
    expect(checkLink(key, claims, link.searchParams.get('sig') ?? undefined, now)).toBe('valid');
  });

  it('refuses a tampered, foreign, missing or malformed signature', () => {
    const sig = signLink(key, claims);
    expect(checkLink(key, { ...claims, approverIndex: 0 }, sig, now)).toBe('bad-signature');
    expect(checkLink(key, { ...claims, expiresAt: claims.expiresAt + 1 }, sig, now)).toBe('bad-signature');
    expect(checkLink(key, { ...claims, approvalId: 'abcdefghijklmnoq' }, sig, now)).toBe('bad-signature');
    expect(checkLink(otherKey, claims, sig, now)).toBe('bad-signature');
    expect(checkLink(key, claims, undefined, now)).toBe('bad-signature');
    expect(checkLink(key, claims, `${sig}A`, now)).toBe('bad-signature');
    expect(
      checkLink(
        key,
        claims,
        sig.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')),
        now,
      ),
    ).toBe('bad-signature');
  });

  it('says expired only for a genuine link past its expiry', () => {
    const sig = signLink(key, claims);
    expect(checkLink(key, claims, sig, new Date(claims.expiresAt * 1000))).toBe('expired');
    expect(checkLink(key, claims, sig, new Date(claims.expiresAt * 1000 - 1))).toBe('valid');
  });

  it('keeps the form token apart from the link signature', () => {
    const token = formToken(key, claims);
    expect(checkFormToken(key, claims, token)).toBe(true);
    expect(checkFormToken(key, claims, signLink(key, claims))).toBe(false);
    expect(checkFormToken(key, { ...claims, approverIndex: 0 }, token)).toBe(false);
    expect(checkFormToken(key, claims, undefined)).toBe(false);
  });
});
