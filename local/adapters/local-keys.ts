import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SigningKeyProvider } from '../../lambdas/shared/ports';

/** A generated signing key kept in the local state folder (mode 600), never printed. */
export class LocalSigningKeys implements SigningKeyProvider {
  private key: Uint8Array | undefined;

  constructor(private readonly file: string) {}

  async signingKey(): Promise<Uint8Array> {
    if (this.key) return this.key;
    if (!existsSync(this.file)) {
      await mkdir(dirname(this.file), { recursive: true });
      await writeFile(this.file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' }).catch(
        (error) => {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        },
      );
    }
    this.key = Buffer.from((await readFile(this.file, 'utf8')).trim(), 'base64');
    return this.key;
  }
}
