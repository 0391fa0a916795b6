import { describe, expect, it } from 'vitest';
import { isTransientAwsError, mapAwsError, truncate } from '../../../../lambdas/adapters/aws/errors';
import { TransientError } from '../../../../lambdas/core/errors';
import { awsError } from './helpers';

describe('isTransientAwsError', () => {
  it.each([
    awsError('ThrottlingException'),
    awsError('TooManyRequestsException', { status: 429 }),
    awsError('SomethingNew', { fault: 'server', status: 503 }),
    Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
  ])('retries %s', (error) => {
    expect(isTransientAwsError(error)).toBe(true);
  });

  it.each([
    awsError('AccessDeniedException', { status: 403 }),
    awsError('ValidationException'),
    'a string',
    null,
  ])('does not retry %s', (error) => {
    expect(isTransientAwsError(error)).toBe(false);
  });
});

describe('mapAwsError', () => {
  it('prefers the named mapping, then TransientError, else the original error', () => {
    const named = new Error('named');
    expect(mapAwsError(awsError('ThrottlingException'), 'x', () => named)).toBe(named);
    const transient = mapAwsError(
      awsError('ThrottlingException', { message: 'Rate exceeded' }),
      'S3 GetObject k',
    );
    expect(transient).toBeInstanceOf(TransientError);
    expect((transient as Error).message).toBe(
      'S3 GetObject k failed with ThrottlingException (Rate exceeded); retrying is safe',
    );
    const other = awsError('ValidationException');
    expect(mapAwsError(other, 'x', () => undefined)).toBe(other);
  });
});

describe('truncate', () => {
  it('leaves short text alone and never splits a surrogate pair', () => {
    expect(truncate('abc', 3)).toBe('abc');
    expect(truncate('abcd', 3)).toBe('ab…');
    const cut = truncate(`a${'😀'.repeat(5)}`, 3);
    expect(cut).toBe('a…');
  });
});
