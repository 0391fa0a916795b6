import { describe, expect, it } from 'vitest';
import { SERVICE_NAME_PATTERN } from '../../../lambdas/core/catalog/constants';
import {
  executionNameOf,
  InvalidAttemptError,
  MAX_ATTEMPTS,
  MAX_EXECUTION_NAME_LENGTH,
  releaseIdOf,
} from '../../../lambdas/core/push-routing';

const SHA = 'abcdef0123456789abcdef0123456789abcdef01';

describe('executionNameOf: one execution per attempt of a release', () => {
  it('names attempt 1 by the release id, so every delivery of a push names the same execution', () => {
    expect(executionNameOf(releaseIdOf('checkout', SHA))).toBe('checkout-abcdef012345');
    expect(executionNameOf('checkout-abcdef012345', 1)).toBe('checkout-abcdef012345');
  });

  it('names attempt n >= 2 <releaseId>-a<nn>, and the names sort by attempt', () => {
    expect(executionNameOf('checkout-abcdef012345', 2)).toBe('checkout-abcdef012345-a02');
    expect(executionNameOf('checkout-abcdef012345', 10)).toBe('checkout-abcdef012345-a10');
    const names = Array.from({ length: MAX_ATTEMPTS }, (_, i) =>
      executionNameOf('checkout-abcdef012345', i + 1),
    );
    expect([...names].sort()).toEqual(names);
    expect(new Set(names).size).toBe(MAX_ATTEMPTS);
  });

  it("stays within Step Functions' 80 characters of letters, digits and '-' for the longest service name", () => {
    // Step Functions: names of 1-80 characters; with CloudWatch Logs on, only 0-9, A-Z, a-z, - and _.
    const longest = 'a'.repeat(39) + 'z';
    expect(SERVICE_NAME_PATTERN.test(longest)).toBe(true);
    expect(SERVICE_NAME_PATTERN.test(`${longest}z`)).toBe(false);
    const name = executionNameOf(releaseIdOf(longest, SHA), MAX_ATTEMPTS);
    expect(name).toHaveLength(57);
    expect(name.length).toBeLessThanOrEqual(MAX_EXECUTION_NAME_LENGTH);
    expect(name).toMatch(/^[A-Za-z0-9-]+$/);
  });

  it('refuses an attempt outside 1-99, and a name Step Functions would refuse', () => {
    for (const attempt of [0, -1, 1.5, MAX_ATTEMPTS + 1, Number.NaN]) {
      expect(() => executionNameOf('checkout-abcdef012345', attempt)).toThrow(InvalidAttemptError);
    }
    expect(() => executionNameOf('x'.repeat(81))).toThrow(/not 1-80 letters, digits/);
    expect(() => executionNameOf('checkout:abc')).toThrow(InvalidAttemptError);
  });
});
