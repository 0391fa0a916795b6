/** processWide: one value per process, even for a copy of the asking module loaded afresh. */
import { describe, expect, it, vi } from 'vitest';

describe('processWide', () => {
  it('makes the value once and gives it to a module loaded afresh in the same process', async () => {
    const create = vi.fn(() => new Set<string>());
    const first = (await import('../../local/process-wide')).processWide('test.processWide', create);
    vi.resetModules();
    const again = (await import('../../local/process-wide')).processWide('test.processWide', create);
    expect(again).toBe(first);
    expect(create).toHaveBeenCalledTimes(1);
  });
});
