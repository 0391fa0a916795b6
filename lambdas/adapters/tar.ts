/**
 * A streaming reader of gzipped tar archives (ustar, pax and GNU long names), enough to unpack a GitHub
 * tarball without a `tar` binary (the Lambda Node.js runtime image does not promise one). Only regular files
 * are written; symlinks, hard links and devices are skipped. Files the caller does not select are never held in
 * memory.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { defined } from '../core/defined';

const BLOCK = 512;
/**
 * The largest pax or GNU long-name header read: such a header is held whole in memory, and a path needs a few
 * KiB at most (Linux's PATH_MAX is 4 KiB), while its declared size is whatever the archive says.
 */
export const MAX_EXTENDED_HEADER_BYTES = 1024 * 1024;

/** The archive is cut short, corrupt, or not a gzipped tar at all. */
export class MalformedArchiveError extends Error {
  override readonly name = 'MalformedArchiveError';
}

export interface ExtractOptions {
  /** Where the selected files go (it exists). */
  readonly intoDir: string;
  /**
   * Maps an archive path to the path to write it at, relative to `intoDir`, or undefined to skip it.
   */
  readonly select: (archivePath: string) => string | undefined;
  /** Stop with an error when the selected files add up to more bytes than this. @default 256 MiB */
  readonly maxBytes?: number;
}

export interface ExtractResult {
  readonly files: number;
  readonly bytes: number;
}

interface Header {
  readonly path: string;
  readonly type: string;
  readonly mode: number;
  readonly size: number;
}

/** Gunzips `gzipped` and writes the selected regular files below `intoDir`. */
export async function extractTarGz(
  gzipped: AsyncIterable<Uint8Array>,
  options: ExtractOptions,
): Promise<ExtractResult> {
  const root = resolve(options.intoDir);
  const maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
  // pipeline (not pipe) so a download that fails midway fails the read instead of leaving it waiting.
  const gunzip = createGunzip();
  pipeline(Readable.from(gzipped), gunzip, () => {});
  const reader = new BlockReader(gunzip);
  let files = 0;
  let bytes = 0;
  // Overrides from a preceding pax ('x') or GNU long-name ('L') entry.
  let nextPath: string | undefined;
  try {
    for (;;) {
      const block = await reader.read(BLOCK);
      if (!block) throw new MalformedArchiveError('the archive ends without its end-of-archive marker');
      if (block.every((b) => b === 0)) break;
      const header = parseHeader(block);
      const padded = Math.ceil(header.size / BLOCK) * BLOCK;
      const path = nextPath ?? header.path;
      nextPath = undefined;

      if (header.type === 'x' || header.type === 'L') {
        // Checked before reading: a declared size is only a number until the bytes are held.
        if (header.size > MAX_EXTENDED_HEADER_BYTES) {
          throw new MalformedArchiveError(
            `a ${header.type === 'x' ? 'pax' : 'GNU long-name'} header declares ${header.size} bytes; at most ${MAX_EXTENDED_HEADER_BYTES} are read`,
          );
        }
        const data = await reader.readExactly(padded, header.size);
        nextPath =
          header.type === 'x' ? (paxPath(data) ?? undefined) : data.toString('utf8').replace(/\0.*$/s, '');
        continue;
      }
      const target =
        header.type === '0' || header.type === '\0' || header.type === '7' ? options.select(path) : undefined;
      if (target === undefined || target === '') {
        await reader.skip(padded);
        continue;
      }
      const file = resolve(root, target);
      if (!file.startsWith(root + sep)) {
        throw new MalformedArchiveError(
          `refusing to write ${JSON.stringify(path)}: it resolves outside the checkout folder`,
        );
      }
      bytes += header.size;
      if (bytes > maxBytes) {
        throw new MalformedArchiveError(
          `the selected files exceed ${maxBytes} bytes; keep large files out of the service folder`,
        );
      }
      const data = await reader.readExactly(padded, header.size);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, data, { mode: header.mode & 0o111 ? 0o755 : 0o644 });
      files++;
    }
  } finally {
    reader.close();
  }
  return { files, bytes };
}

function parseHeader(block: Buffer): Header {
  const stored = octal(block.subarray(148, 156));
  let sum = 0;
  // The checksum field itself counts as spaces.
  for (const [i, byte] of block.subarray(0, BLOCK).entries()) sum += i >= 148 && i < 156 ? 0x20 : byte;
  if (stored !== sum) throw new MalformedArchiveError('a tar header has a bad checksum (corrupt archive)');
  const name = cString(block.subarray(0, 100));
  const magic = block.subarray(257, 262).toString('latin1');
  const prefix = magic === 'ustar' ? cString(block.subarray(345, 500)) : '';
  const sizeField = block.subarray(124, 136);
  if ((sizeField[0] ?? 0) & 0x80) {
    throw new MalformedArchiveError(`${name} is too large for this reader (base-256 size)`);
  }
  return {
    path: prefix ? `${prefix}/${name}` : name,
    type: String.fromCharCode(block[156] ?? 0),
    mode: octal(block.subarray(100, 108)),
    size: octal(sizeField),
  };
}

function cString(field: Buffer): string {
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? field.length : end).toString('utf8');
}

function octal(field: Buffer): number {
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new MalformedArchiveError('a tar header has a non-octal number field');
  return Number.parseInt(text, 8);
}

/** The `path` record of pax extended headers (`<length> path=<value>\n`). */
function paxPath(data: Buffer): string | undefined {
  let offset = 0;
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset);
    if (space === -1) break;
    const length = Number.parseInt(data.subarray(offset, space).toString('latin1'), 10);
    if (!Number.isInteger(length) || length <= 0) break;
    const record = data.subarray(space + 1, offset + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (record.slice(0, eq) === 'path') return record.slice(eq + 1);
    offset += length;
  }
  return undefined;
}

/** Pulls exact byte counts out of a stream of chunks. */
class BlockReader {
  private readonly iterator: AsyncIterator<Buffer>;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private done = false;

  constructor(private readonly stream: Readable) {
    this.iterator = stream[Symbol.asyncIterator]();
  }

  private async fill(n: number): Promise<boolean> {
    while (this.buffered < n && !this.done) {
      let next: IteratorResult<Buffer>;
      try {
        next = await this.iterator.next();
      } catch (error) {
        const reason = (error as NodeJS.ErrnoException).code?.startsWith('Z_')
          ? 'the archive is not valid gzip'
          : 'the download failed';
        throw new MalformedArchiveError(`${reason} (${(error as Error).message})`, {
          cause: error,
        });
      }
      if (next.done) this.done = true;
      else {
        this.chunks.push(next.value);
        this.buffered += next.value.length;
      }
    }
    return this.buffered >= n;
  }

  /** `n` bytes, or undefined at a clean end of stream. */
  async read(n: number): Promise<Buffer | undefined> {
    if (!(await this.fill(n))) {
      if (this.buffered === 0) return undefined;
      throw new MalformedArchiveError('the archive is cut short');
    }
    const all = Buffer.concat(this.chunks);
    this.chunks = all.length > n ? [all.subarray(n)] : [];
    this.buffered -= n;
    return all.subarray(0, n);
  }

  /** Reads `padded` bytes and returns the first `size`. */
  async readExactly(padded: number, size: number): Promise<Buffer> {
    if (padded === 0) return Buffer.alloc(0);
    const data = await this.read(padded);
    if (!data) throw new MalformedArchiveError('the archive is cut short');
    return data.subarray(0, size);
  }

  /** Drops `n` bytes without holding more than one chunk. */
  async skip(n: number): Promise<void> {
    let left = n;
    while (left > 0) {
      if (this.buffered === 0 && !(await this.fill(1))) {
        throw new MalformedArchiveError('the archive is cut short');
      }
      const head = defined(this.chunks[0], 'the first buffered chunk');
      if (head.length <= left) {
        this.chunks.shift();
        this.buffered -= head.length;
        left -= head.length;
      } else {
        this.chunks[0] = head.subarray(left);
        this.buffered -= left;
        left = 0;
      }
    }
  }

  close(): void {
    this.stream.destroy();
  }
}
