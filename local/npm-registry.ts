/**
 * A real npm registry on 127.0.0.1 (verdaccio, in this process) with no uplink: packages come only from what is
 * published to it, so an install against it never reaches the public registry. Used by the tests (and usable by
 * a demo) to run the real `npm ci` offline.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { constants, gunzipSync } from 'node:zlib';
import { runServer } from 'verdaccio';
import { projectNpmCli } from './sandbox/process-test-sandbox';

const run = promisify(execFile);

export interface LocalNpmRegistryProps {
  /** Folder of the registry's storage and user file (created when missing). */
  readonly dir: string;
  /** @default 0 (any free port) */
  readonly port?: number;
}

/** The one user the registry has: publishing needs a login, installs do not. */
const USER = { name: 'sluice', password: 'sluice-local-registry' };

export class LocalNpmRegistry {
  private constructor(
    private readonly server: Server,
    private readonly dir: string,
    /** e.g. http://127.0.0.1:41234/ */
    readonly url: string,
    private readonly token: string,
  ) {}

  static async start(props: LocalNpmRegistryProps): Promise<LocalNpmRegistry> {
    await mkdir(props.dir, { recursive: true });
    const app = await runServer({
      self_path: join(props.dir, 'config.yaml'),
      storage: join(props.dir, 'storage'),
      uplinks: {},
      packages: { '**': { access: '$all', publish: '$authenticated', unpublish: '$authenticated' } },
      // bcrypt's lowest cost: the one user's password is written in this file, so a costlier hash guards nothing,
      // and the default (10) costs a tenth of a second of CPU at every start.
      auth: { htpasswd: { file: join(props.dir, 'htpasswd'), max_users: 1, rounds: 4 } },
      // Signed tokens (HMAC): verdaccio's legacy tokens carry the password, checked with bcrypt on every request
      // (about 100 ms of CPU each), which made a publish of a few dozen packages take seconds.
      security: { api: { legacy: false, jwt: { sign: { expiresIn: '1d' } } } },
      // JSON lines, not 'pretty': outside production verdaccio prettifies in a worker thread (pino's
      // transport), ~0.2 s of CPU at the first start in a process, and nothing below fatal is logged anyway.
      log: { type: 'stdout', format: 'json', level: 'fatal' },
      web: { enable: false },
      // Tarballs are published base64 in JSON: room for native binaries (tens of MB).
      max_body_size: '200mb',
    } as unknown as Parameters<typeof runServer>[0]);
    const server: Server = await new Promise((resolve, reject) => {
      const s = (app as unknown as { listen: (p: number, h: string, cb: () => void) => Server }).listen(
        props.port ?? 0,
        '127.0.0.1',
        () => resolve(s),
      );
      s.on('error', reject);
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const token = await LocalNpmRegistry.login(url).catch(async (error: unknown) => {
      await new Promise((resolve) => server.close(resolve));
      throw error;
    });
    return new LocalNpmRegistry(server, props.dir, url, token);
  }

  /** Creates the user (or logs in again, when the storage is kept) and returns its token. */
  private static async login(url: string): Promise<string> {
    const put = (headers: Record<string, string>) =>
      fetch(`${url}-/user/org.couchdb.user:${USER.name}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(USER),
      });
    let response = await put({});
    // The user exists (storage kept from an earlier run): log in as it, which verdaccio does for a request
    // already authenticated as that user.
    if (response.status === 409) {
      const basic = Buffer.from(`${USER.name}:${USER.password}`).toString('base64');
      response = await put({ authorization: `Basic ${basic}` });
    }
    const body = (await response.json()) as { token?: string; error?: string };
    if (!response.ok || !body.token) {
      throw new Error(`The local npm registry refused its login (${response.status}): ${body.error ?? ''}`);
    }
    return body.token;
  }

  /** An .npmrc that installs from this registry only; with the token, it may publish too. */
  npmrc(options: { withToken?: boolean } = {}): string {
    const host = this.url.replace(/^http:/, '');
    return `registry=${this.url}\n${options.withToken ? `${host}:_authToken=${this.token}\n` : ''}`;
  }

  /** Publishes a package folder (or packed tarball) with the project's own npm CLI. */
  async publish(packagePath: string): Promise<void> {
    const home = await mkdtemp(join(tmpdir(), 'sluice-npm-publish-'));
    try {
      await writeFile(join(home, '.npmrc'), this.npmrc({ withToken: true }), { mode: 0o600 });
      await run(process.execPath, [projectNpmCli(), 'publish', packagePath, '--ignore-scripts'], {
        cwd: home,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: home,
          npm_config_userconfig: join(home, '.npmrc'),
          npm_config_cache: join(home, 'cache'),
          npm_config_update_notifier: 'false',
          npm_config_audit: 'false',
          npm_config_fund: 'false',
        },
      });
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  }

  /** Whether the registry serves `name@version`. */
  async has(name: string, version: string): Promise<boolean> {
    const response = await fetch(`${this.url}${name.replace('/', '%2f')}`, {
      headers: { accept: 'application/json' },
    });
    if (response.status === 404) return false;
    if (!response.ok) throw new Error(`The local npm registry answered ${response.status} for ${name}`);
    const packument = (await response.json()) as { versions?: Record<string, unknown> };
    return packument.versions?.[version] !== undefined;
  }

  /**
   * Publishes a packed package (.tgz) as it is, over the registry's publish API (what `npm publish` sends): the
   * bytes served are the bytes given, so a lockfile's `integrity` for the original tarball holds.
   */
  async publishTarball(tarball: Buffer): Promise<void> {
    const manifest = packageJsonOf(tarball);
    const { name, version } = manifest;
    const file = `${name.split('/').pop()}-${version}.tgz`;
    const integrity = `sha512-${createHash('sha512').update(tarball).digest('base64')}`;
    const response = await fetch(`${this.url}${name.replace('/', '%2f')}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
      body: JSON.stringify({
        _id: name,
        name,
        'dist-tags': { latest: version },
        versions: {
          [version]: {
            ...manifest,
            _id: `${name}@${version}`,
            dist: {
              integrity,
              shasum: createHash('sha1').update(tarball).digest('hex'),
              tarball: `${this.url}${name}/-/${file}`,
            },
          },
        },
        _attachments: {
          [file]: {
            content_type: 'application/octet-stream',
            data: tarball.toString('base64'),
            length: tarball.length,
          },
        },
      }),
    });
    if (!response.ok) {
      throw new Error(
        `The local npm registry refused ${name}@${version} (${response.status}): ${(await response.text()).slice(0, 300)}`,
      );
    }
  }

  async close(): Promise<void> {
    await new Promise((resolve) => {
      this.server.close(resolve);
      this.server.closeAllConnections();
    });
  }

  /** The registry's storage folder (kept after close, unless the caller removes it). */
  get storageDir(): string {
    return join(this.dir, 'storage');
  }
}

/**
 * The package.json at the top of a packed package (`package/package.json` in npm's tarballs). Inflates only as far
 * as that file: npm's tarballs usually hold it near the front, before large files such as native binaries (a
 * registry fill inflated ~30 MB of them for nothing), so a growing prefix is inflated until the file is whole.
 */
export function packageJsonOf(tarball: Buffer): { name: string; version: string } & Record<string, unknown> {
  for (let length = 64 * 1024; ; length *= 4) {
    const whole = length >= tarball.length;
    const tar = whole
      ? gunzipSync(tarball)
      : gunzipSync(tarball.subarray(0, length), { finishFlush: constants.Z_SYNC_FLUSH });
    const manifest = manifestIn(tar);
    if (manifest) return manifest;
    if (whole || manifest === null) {
      throw new Error('The tarball has no package.json with a name and version at its top');
    }
  }
}

/**
 * The top package.json in (the start of) a tar archive: null when the archive ends without one, undefined when
 * `tar` stops (a prefix of the archive) before it is found.
 */
function manifestIn(
  tar: Buffer,
): ({ name: string; version: string } & Record<string, unknown>) | null | undefined {
  const text = (from: number, length: number) =>
    tar
      .subarray(from, from + length)
      .toString('utf8')
      .replace(/\0.*$/s, '');
  for (let at = 0; at + 512 <= tar.length; ) {
    const name = text(at, 100);
    if (!name) return null;
    const size = Number.parseInt(text(at + 124, 12).trim() || '0', 8);
    const path = [text(at + 345, 155), name].filter(Boolean).join('/');
    if (/^[^/]+\/package\.json$/.test(path) && ['0', ''].includes(text(at + 156, 1))) {
      if (at + 512 + size > tar.length) return undefined;
      const manifest = JSON.parse(tar.subarray(at + 512, at + 512 + size).toString('utf8'));
      if (typeof manifest.name === 'string' && typeof manifest.version === 'string') return manifest;
    }
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return undefined;
}
