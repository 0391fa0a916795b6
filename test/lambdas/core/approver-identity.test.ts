import { describe, expect, it } from 'vitest';
import {
  approverIdentities,
  approversOfPrincipal,
  principalMatches,
  sharedIdentity,
} from '../../../lambdas/core/approver-identity';

const policy = {
  approvers: ['alice@example.com', 'bob@example.com'],
  identities: {
    'Alice@example.com': {
      iamPrincipals: ['arn:aws:iam::111122223333:role/teams/release-approver'],
      githubLogins: ['Alice-GH'],
    },
    'bob@example.com': { iamPrincipals: ['arn:aws:iam::111122223333:user/bob'] },
  },
};

describe('approver identities', () => {
  it('lists every identity of each approver in lowercase, the approver email first', () => {
    expect(approverIdentities(policy)).toEqual({
      'alice@example.com': [
        'alice@example.com',
        'alice-gh',
        'arn:aws:iam::111122223333:role/teams/release-approver',
      ],
      'bob@example.com': ['bob@example.com', 'arn:aws:iam::111122223333:user/bob'],
    });
  });

  it('maps a role to every session of it, and a user or a session only to itself', () => {
    const role = 'arn:aws:iam::111122223333:role/teams/release-approver';
    expect(principalMatches(role, 'arn:aws:sts::111122223333:assumed-role/release-approver/alice')).toBe(
      true,
    );
    expect(principalMatches(role, 'arn:aws:sts::444455556666:assumed-role/release-approver/alice')).toBe(
      false,
    );
    expect(principalMatches(role, 'arn:aws:sts::111122223333:assumed-role/release-approver-2/alice')).toBe(
      false,
    );
    expect(
      principalMatches('arn:aws:iam::111122223333:user/bob', 'arn:aws:iam::111122223333:user/bobby'),
    ).toBe(false);
    const session = 'arn:aws:sts::111122223333:assumed-role/ops/carol';
    expect(principalMatches(session, session)).toBe(true);
    expect(principalMatches(session, 'arn:aws:sts::111122223333:assumed-role/ops/mallory')).toBe(false);
  });

  it('finds the approver a caller is, or none', () => {
    expect(
      approversOfPrincipal(policy, 'arn:aws:sts::111122223333:assumed-role/release-approver/s1'),
    ).toEqual(['alice@example.com']);
    expect(approversOfPrincipal(policy, 'arn:aws:iam::111122223333:user/bob')).toEqual(['bob@example.com']);
    expect(approversOfPrincipal(policy, 'arn:aws:iam::111122223333:user/mallory')).toEqual([]);
    expect(approversOfPrincipal({ approvers: ['a@x.io'] }, 'arn:aws:iam::111122223333:user/a')).toEqual([]);
  });
});

describe('sharedIdentity', () => {
  it('matches equal identities without case, and a listed role with a pusher session of it', () => {
    expect(sharedIdentity(['alice@example.com'], ['ALICE@example.com'])).toBe('alice@example.com');
    const role = 'arn:aws:iam::111122223333:role/dev';
    expect(sharedIdentity([role], ['arn:aws:sts::111122223333:assumed-role/dev/alice'])).toBe(role);
    expect(sharedIdentity([role], ['arn:aws:sts::111122223333:assumed-role/ops/alice'])).toBeUndefined();
    expect(sharedIdentity(['bob@example.com'], ['alice@example.com', 'octocat'])).toBeUndefined();
  });
});
