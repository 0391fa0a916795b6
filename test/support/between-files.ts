/**
 * Setup for test files that share a worker's modules (isolate: false): each file leaves the next what it
 * found. After every file: SDK clients mocked with aws-sdk-client-mock are restored (it stubs with sinon's
 * default sandbox; not every file restores its stubs), spies, fake timers, stubbed and assigned environment
 * variables are undone, and the project's own modules are evaluated afresh for the next file (a handler
 * module's `handler` keeps the ports it built on first use); node_modules stay loaded, which is the saving. The
 * file's temporary folders (test/support/test-temp-dir.ts) are removed last: setup files register their hooks
 * first, and vitest runs after-hooks in reverse order, so the file's own afterAll hooks have closed the
 * runtimes, databases and servers that use those folders by then.
 */
import { createRequire } from 'node:module';
import { afterAll, vi } from 'vitest';
import { removeTestTempDirs } from './test-temp-dir';

/** The sinon that aws-sdk-client-mock stubs clients with (its own dependency, resolved as it resolves it). */
const sinon = createRequire(require.resolve('aws-sdk-client-mock'))('sinon') as { restore(): void };

const environment = { ...process.env };

// What the worker's previous file left: vitest stops at the first after-hook that throws, so a file whose own
// afterAll fails never reaches the removal below.
removeTestTempDirs();

afterAll(() => {
  sinon.restore();
  vi.restoreAllMocks();
  vi.useRealTimers();
  vi.unstubAllEnvs();
  vi.unstubAllGlobals();
  for (const name of Object.keys(process.env)) if (!(name in environment)) delete process.env[name];
  Object.assign(process.env, environment);
  vi.resetModules();
  removeTestTempDirs();
});
