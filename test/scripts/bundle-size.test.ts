import { describe, expect, it } from 'vitest';
import { HANDLER_NAMES } from '../../lambdas/runtime/env';
import { DEFAULT_BUDGET_KB, isProvided, measureBundles } from '../../scripts/bundle-size';

describe('handler bundles', () => {
  it(`stay under ${DEFAULT_BUDGET_KB} KB each and require only what the runtime and layers provide`, async () => {
    const sizes = await measureBundles();
    expect(sizes.map((s) => s.handler)).toEqual([...HANDLER_NAMES]);
    for (const { handler, bytes, externals } of sizes) {
      expect(bytes / 1024, handler).toBeLessThan(DEFAULT_BUDGET_KB);
      expect(
        externals.filter((m) => !isProvided(m)),
        handler,
      ).toEqual([]);
      // The SDK comes from the runtime, so no handler carries a copy of it; the test runner (the sandbox for
      // service code) makes no AWS call at all.
      expect(
        externals.some((m) => m.startsWith('@aws-sdk/')),
        handler,
      ).toBe(handler !== 'test-runner');
    }
  }, 60_000);

  it('tells a runtime-provided or layer module from one nothing provides', () => {
    expect(isProvided('node:crypto')).toBe(true);
    expect(isProvided('fs/promises')).toBe(true);
    expect(isProvided('@aws-sdk/client-s3')).toBe(true);
    expect(isProvided('@aws-sdk/lib-dynamodb')).toBe(true);
    expect(isProvided('esbuild')).toBe(true);
    expect(isProvided('@aws-lambda-powertools/logger')).toBe(false);
    expect(isProvided('picomatch')).toBe(false);
  });
});
