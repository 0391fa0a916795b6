import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SigningKeyProvider } from '../../lambdas/core/ports';

/**
 * A generated key kept in the local state folder (mode 600), never printed. `base64`: random bytes, stored
 * base64. `text`: a random hex string whose UTF-8 bytes are the key, the way GitHub uses a webhook secret.
 */
export class LocalSigningKeys implements SigningKeyProvider {
  private key: Uint8Array | undefined;

  constructor(
    private readonly file: string,
    private readonly format: 'base64' | 'text' = 'base64',
  ) {}

  async signingKey(): Promise<Uint8Array> {
    if (this.key) return this.key;
    if (!existsSync(this.file)) {
      await mkdir(dirname(this.file), { recursive: true });
      const secret = randomBytes(32).toString(this.format === 'text' ? 'hex' : 'base64');
      await writeFile(this.file, secret, { mode: 0o600, flag: 'wx' }).catch((error) => {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      });
    }
    const stored = (await readFile(this.file, 'utf8')).trim();
    this.key = this.format === 'text' ? new TextEncoder().encode(stored) : Buffer.from(stored, 'base64');
    return this.key;
  }
}
