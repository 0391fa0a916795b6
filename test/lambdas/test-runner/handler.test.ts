import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { handler } from '../../../lambdas/test-runner';

describe('the test-runner handler', () => {
  it('refuses to run outside its Lambda execution environment (it empties /tmp and kills strays there)', async () => {
    const context = { getRemainingTimeInMillis: () => 60_000 } as Context;
    await expect(
      handler({ checkout: '', steps: [['-e', '']], timeoutMs: 1_000 }, context),
    ).rejects.toMatchObject({ name: 'NotInLambdaError' });
  });
});
