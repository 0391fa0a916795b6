import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';
import type { ArtifactStore, StoredArtifact } from '../../lambdas/core/ports';

/** Artifacts in a local folder, by key. */
export class FolderArtifactStore implements ArtifactStore {
  constructor(private readonly root: string) {}

  private pathOf(key: string): string {
    const relative = normalize(key);
    if (relative.startsWith('..') || relative.startsWith('/'))
      throw new Error(`Artifact key ${key} leaves the artifact folder`);
    return join(this.root, relative);
  }

  async put(key: string, body: Uint8Array): Promise<StoredArtifact> {
    const file = this.pathOf(key);
    await mkdir(dirname(file), { recursive: true });
    // Written aside and renamed: a reader (a cache lookup) never sees half an object.
    const partial = `${file}.${process.pid}.partial`;
    await writeFile(partial, body);
    await rename(partial, file);
    return { key, sha256: createHash('sha256').update(body).digest('hex'), bytes: body.byteLength };
  }

  async get(key: string): Promise<Uint8Array> {
    try {
      return await readFile(this.pathOf(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        throw new Error(`Artifact ${key} is not in ${this.root}`);
      throw error;
    }
  }

  async find(key: string): Promise<Uint8Array | undefined> {
    try {
      return await readFile(this.pathOf(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }
}
