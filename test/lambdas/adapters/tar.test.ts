import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createGzip, gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  extractTarGz,
  MAX_EXTENDED_HEADER_BYTES,
  MalformedArchiveError,
} from '../../../lambdas/adapters/tar';

let work: string;
let out: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'sluice-tar-'));
  out = join(work, 'out');
  await mkdir(out);
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

async function* chunks(bytes: Uint8Array, size = 7) {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** `tar czf` of `files` below a `top/` folder, read back as bytes. */
async function archive(files: Record<string, string>, links: Record<string, string> = {}): Promise<Buffer> {
  const src = join(work, 'src');
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(src, 'top', path, '..'), { recursive: true });
    await writeFile(join(src, 'top', path), content);
  }
  for (const [path, target] of Object.entries(links)) await symlink(target, join(src, 'top', path));
  execFileSync('tar', ['--format=pax', '-czf', join(work, 'a.tgz'), '-C', src, 'top']);
  return readFile(join(work, 'a.tgz'));
}

describe('extractTarGz', () => {
  it('writes the selected regular files from a stream cut into small chunks, skipping symlinks', async () => {
    const bytes = await archive({ 'a.txt': 'A', 'b/c.txt': 'C'.repeat(5000) }, { 'link.txt': '/etc/passwd' });
    const result = await extractTarGz(chunks(bytes), {
      intoDir: out,
      select: (path) => (path.startsWith('top/') ? path.slice(4) : undefined),
    });
    expect(result).toEqual({ files: 2, bytes: 5001 });
    expect((await readdir(out, { recursive: true })).sort()).toEqual(['a.txt', 'b', 'b/c.txt']);
    expect(await readFile(join(out, 'b/c.txt'), 'utf8')).toBe('C'.repeat(5000));
  });

  it('refuses to write outside the target folder', async () => {
    const bytes = await archive({ 'a.txt': 'A' });
    await expect(
      extractTarGz(chunks(bytes), { intoDir: out, select: () => '../escaped.txt' }),
    ).rejects.toThrow(/outside the checkout folder/);
    expect(await readdir(work)).not.toContain('escaped.txt');
  });

  it('stops when the selected files exceed maxBytes', async () => {
    const bytes = await archive({ 'big.txt': 'x'.repeat(2000) });
    await expect(
      extractTarGz(chunks(bytes), { intoDir: out, select: (p) => p, maxBytes: 1000 }),
    ).rejects.toThrow(/exceed 1000 bytes/);
  });

  it('rejects a corrupt header, a missing end marker and bytes that are not gzip', async () => {
    const tar = Buffer.alloc(1024);
    tar.write('top/a.txt', 0);
    await expect(extractTarGz(chunks(gzipSync(tar)), { intoDir: out, select: (p) => p })).rejects.toThrow(
      new MalformedArchiveError('a tar header has a bad checksum (corrupt archive)'),
    );
    await expect(
      extractTarGz(chunks(gzipSync(Buffer.alloc(0))), { intoDir: out, select: (p) => p }),
    ).rejects.toThrow(/without its end-of-archive marker/);
    await expect(
      extractTarGz(chunks(Buffer.from('plain text')), { intoDir: out, select: (p) => p }),
    ).rejects.toThrow(/not valid gzip/);
  });

  it.each([
    ['x', 'pax'],
    ['L', 'GNU long-name'],
  ])('fails fast on a %s header that declares 512 MiB, reading almost none of it', async (type, what) => {
    const declared = 512 * 1024 * 1024;
    const header = Buffer.alloc(512);
    header.write('././@LongLink', 0);
    header.write('0000644\0', 100);
    header.write(`${declared.toString(8).padStart(11, '0')}\0`, 124);
    header.write(type, 156);
    header.write('ustar\0', 257);
    header.write('        ', 148);
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    // The declared bytes exist (zeros, gzipped as they are read), so only the bound can stop the read early.
    let produced = 0;
    const body = Readable.from(
      (function* () {
        yield header;
        for (let i = 0; i < declared / (1024 * 1024); i++) {
          produced += 1024 * 1024;
          yield Buffer.alloc(1024 * 1024);
        }
      })(),
    ).pipe(createGzip({ level: 1 }));
    await expect(extractTarGz(body, { intoDir: out, select: (p) => p })).rejects.toThrow(
      new MalformedArchiveError(
        `a ${what} header declares ${declared} bytes; at most ${MAX_EXTENDED_HEADER_BYTES} are read`,
      ),
    );
    expect(produced).toBeLessThan(64 * 1024 * 1024);
  });
});
