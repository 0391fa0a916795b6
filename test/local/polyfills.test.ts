import { afterEach, describe, expect, it, vi } from 'vitest';

const nodeMajor = Number(process.versions.node.split('.')[0]);
const P = Promise as unknown as { withResolvers?: unknown };
const original = P.withResolvers;

describe('the Promise.withResolvers polyfill', () => {
  afterEach(() => {
    P.withResolvers = original;
  });

  it.runIf(nodeMajor >= 22)('leaves Node 22’s native implementation in place', async () => {
    vi.resetModules();
    await import('../../local/polyfills');
    expect(Promise.withResolvers).toBe(original);
    expect(Function.prototype.toString.call(Promise.withResolvers)).toContain('[native code]');
  });

  it('supplies one that resolves and rejects where the runtime has none', async () => {
    delete P.withResolvers;
    vi.resetModules();
    await import('../../local/polyfills');
    expect(Promise.withResolvers).toBeTypeOf('function');

    const ok = Promise.withResolvers<number>();
    ok.resolve(42);
    await expect(ok.promise).resolves.toBe(42);
    const failed = Promise.withResolvers<number>();
    failed.reject(new Error('no'));
    await expect(failed.promise).rejects.toThrow('no');
  });
});
