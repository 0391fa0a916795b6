/**
 * A real npm registry on 127.0.0.1 (verdaccio, in this process) with no uplink: packages come only from what is
 * published to it, so an install against it never reaches the public registry. Used by the tests (and usable by
 * a demo) to run the real `npm ci` offline.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
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
      auth: { htpasswd: { file: join(props.dir, 'htpasswd'), max_users: 1 } },
      log: { type: 'stdout', format: 'pretty', level: 'fatal' },
      web: { enable: false },
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
    const response = await fetch(`${url}-/user/org.couchdb.user:${USER.name}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(USER),
    });
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
