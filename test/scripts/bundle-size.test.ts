import { describe, expect, it } from 'vitest';
import { HANDLER_NAMES } from '../../lambdas/runtime/env';
import { DEFAULT_BUDGET_KB, measureBundles } from '../../scripts/bundle-size';

describe('handler bundles', () => {
  it(`stay under ${DEFAULT_BUDGET_KB} KB each, bundled as the stack bundles them`, async () => {
    const sizes = await measureBundles();
    expect(sizes.map((s) => s.handler)).toEqual([...HANDLER_NAMES]);
    for (const { handler, bytes } of sizes) {
      expect(bytes / 1024, handler).toBeLessThan(DEFAULT_BUDGET_KB);
    }
  }, 60_000);
});
