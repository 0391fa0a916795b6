/**
 * Overlays: the changes the demo commits to a service's working copy (examples/overlays/<name>/).
 * An overlay folder mirrors the service's layout; its files replace the service's. Control files:
 *   COMMIT_MESSAGE  the commit message (required)
 *   SERVICE         the service it applies to (optional)
 *   DELETE          paths to delete, one relative path per line (optional; # starts a comment)
 */
import { copyFile, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

export const EXAMPLES_DIR = resolve(__dirname, '..', '..', 'examples');
export const OVERLAYS_DIR = join(EXAMPLES_DIR, 'overlays');
export const OVERLAY_CONTROL_FILES = ['COMMIT_MESSAGE', 'SERVICE', 'DELETE'] as const;

export interface Overlay {
  readonly name: string;
  readonly dir: string;
  /** The service it is meant for, from SERVICE. */
  readonly service?: string;
  readonly commitMessage: string;
  /** Files to copy, relative to the overlay folder, with `/` separators. */
  readonly files: readonly string[];
  /** Paths to delete from the working copy, relative, with `/` separators. */
  readonly deletes: readonly string[];
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** A path inside the working copy, or an error: an overlay must never write or delete outside it. */
function insidePath(root: string, path: string, what: string): string {
  const target = resolve(root, path);
  if (isAbsolute(path) || (target !== root && !target.startsWith(root + sep))) {
    throw new Error(`${what} ${JSON.stringify(path)} leaves the working copy; use a relative path inside it`);
  }
  return target;
}

export async function readOverlay(dir: string): Promise<Overlay> {
  const name = dir.split(/[/\\]/).filter(Boolean).pop() ?? dir;
  const message = await readOptional(join(dir, 'COMMIT_MESSAGE'));
  if (message === undefined || message.trim() === '') {
    throw new Error(`Overlay ${name} has no COMMIT_MESSAGE; add one with the commit message`);
  }
  const service = (await readOptional(join(dir, 'SERVICE')))?.trim() || undefined;
  const deletes = ((await readOptional(join(dir, 'DELETE'))) ?? '')
    .split(/\r?\n/)
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line !== '');
  for (const path of deletes) insidePath(dir, path, `DELETE entry in ${name}:`);
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  const files = entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'))
    .filter((file) => !(OVERLAY_CONTROL_FILES as readonly string[]).includes(file))
    .sort();
  return {
    name,
    dir,
    ...(service !== undefined ? { service } : {}),
    commitMessage: message.trim(),
    files,
    deletes,
  };
}

/** Every overlay under `root` (one folder each), by name. */
export async function listOverlays(root: string = OVERLAYS_DIR): Promise<Overlay[]> {
  const entries = await readdir(root, { withFileTypes: true });
  const dirs = entries.filter((e) => e.isDirectory()).map((e) => join(root, e.name));
  return (await Promise.all(dirs.map(readOverlay))).sort((a, b) => a.name.localeCompare(b.name));
}

/** Copies the overlay's files over `workDir` and deletes its DELETE paths; returns what changed. */
export async function applyOverlay(
  overlay: Overlay | string,
  workDir: string,
): Promise<{ overlay: Overlay; written: string[]; deleted: string[] }> {
  const o = typeof overlay === 'string' ? await readOverlay(overlay) : overlay;
  const root = resolve(workDir);
  for (const file of o.files) {
    const target = insidePath(root, file, 'Overlay file');
    await mkdir(dirname(target), { recursive: true });
    await copyFile(join(o.dir, file), target);
  }
  for (const path of o.deletes)
    await rm(insidePath(root, path, 'DELETE entry'), { recursive: true, force: true });
  return { overlay: o, written: [...o.files], deleted: [...o.deletes] };
}
