/** The local `live` alias on real HTTP (127.0.0.1): which version each request goes to during a deployment. */
import { afterEach, describe, expect, it } from 'vitest';
import { LocalAlias } from '../../../../local/aws/lambda/alias';

const aliases: LocalAlias[] = [];
afterEach(async () => {
  await Promise.all(aliases.splice(0).map((r) => r.close()));
});

/** An alias whose versions are not running: every request is answered 502, but routed and counted first. */
async function alias(): Promise<LocalAlias> {
  const started = await LocalAlias.start({ service: 'orders', portOf: () => undefined });
  aliases.push(started);
  return started;
}

/** `count` requests one after another, so the order the alias sees them in is known. */
async function send(r: LocalAlias, count: number): Promise<string[]> {
  const versions: string[] = [];
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${r.url}/`);
    await response.arrayBuffer();
    versions.push(response.headers.get('x-sluice-version') ?? '');
  }
  return versions;
}

describe('LocalAlias', () => {
  it('sends exactly the canary percentage to the new version, evenly spread', async () => {
    const r = await alias();
    r.route({ live: '1', target: { version: '2', percent: 10 } });
    const versions = await send(r, 100);
    expect(versions.filter((v) => v === '2')).toHaveLength(10);
    // Every tenth request, not ten in a row.
    expect(versions.flatMap((v, i) => (v === '2' ? [i % 10] : []))).toEqual(Array(10).fill(9));
    expect(r.countsOf('1')).toEqual({ requests: 90, failed: 90 });
    expect(r.countsOf('2')).toEqual({ requests: 10, failed: 10 });
  });

  it('moves everything at 100%, back to the live version when the target is dropped, and 503 with nothing live', async () => {
    const r = await alias();
    expect((await fetch(`${r.url}/`)).status).toBe(503);
    r.route({ live: '1', target: { version: '2', percent: 100 } });
    expect(await send(r, 5)).toEqual(Array(5).fill('2'));
    r.route({ live: '1' });
    expect(await send(r, 5)).toEqual(Array(5).fill('1'));
  });
});
