import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { unzipSync, zipSync } from 'fflate';

/**
 * The largest archive sent or answered inline by the sandbox: a synchronous Lambda invocation carries at most
 * 6 MB of JSON each way, and base64 adds a third.
 */
export const MAX_INLINE_ARCHIVE_BYTES = 4 * 1024 * 1024;

/** A path inside the archive that would land outside the folder it is unpacked into. */
export class UnsafeArchivePathError extends Error {
  override readonly name = 'UnsafeArchivePathError';
}

/**
 * Packs the regular files under `dir` (relative paths, `.git` left out) into a zip. Symbolic links and other
 * special files are left out: the sandbox gets file contents only.
 */
export async function packDirectory(dir: string): Promise<Uint8Array> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  const files: Record<string, Uint8Array> = {};
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const name = relative(dir, path).split(sep).join('/');
    if (name === '.git' || name.startsWith('.git/')) continue;
    files[name] = await readFile(path);
  }
  return zipSync(files, { level: 6 });
}

/** Writes the files of a zip made by packDirectory into `dir`, refusing any entry that would leave it. */
export async function unpackInto(zip: Uint8Array, dir: string): Promise<number> {
  const root = resolve(dir);
  const files = unzipSync(zip);
  let count = 0;
  for (const [name, body] of Object.entries(files)) {
    if (name.endsWith('/')) continue; // a folder entry
    const target = resolve(root, name);
    if (!target.startsWith(`${root}${sep}`)) {
      throw new UnsafeArchivePathError(`Archive entry ${JSON.stringify(name)} points outside ${root}`);
    }
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, body);
    count += 1;
  }
  return count;
}
