import { defineConfig } from 'vitest/config';

const shared = {
  environment: 'node' as const,
  testTimeout: 30_000,
  // Hooks start shared services (DynamoDB Local, a synth) that a busy machine makes slow; this only bounds a hang.
  hookTimeout: 120_000,
  setupFiles: ['test/setup.ts'],
};

export default defineConfig({
  test: {
    // End-to-end files mostly wait (canary bakes, approval expiry, child processes): on two cores, four files at
    // once overlap those waits (the local project: 177 s wall with 2, 130 s with 4, all passing).
    maxWorkers: 4,
    // One DynamoDB Local and one pipeline synth for the run, and the check for processes left behind.
    globalSetup: ['test/global-setup.ts'],
    projects: [
      {
        test: {
          ...shared,
          name: 'cdk',
          include: ['test/lib/**/*.test.ts', 'test/scripts/**/*.test.ts'],
          // These files share no mocks or globals: one module cache per worker saves importing aws-cdk-lib
          // for every file (most of their time).
          isolate: false,
        },
      },
      {
        test: {
          ...shared,
          name: 'local',
          include: ['test/local/**/*.test.ts'],
          // Each file starts and stops what it uses (runtimes, servers, processes); between-files undoes what it
          // stubs. One module cache per worker saves importing the SDK, the interpreter and the rest of
          // node_modules for every file (~2 s each).
          isolate: false,
          setupFiles: [...shared.setupFiles, 'test/support/between-files.ts'],
        },
      },
      // Everything else (handlers and their cores, the architecture checks). They mock SDK clients, stub the
      // environment and keep built handlers in module state: between-files undoes that after each file, so they
      // too share one worker's node_modules (most of each file's import time) instead of loading them per file.
      {
        test: {
          ...shared,
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/lib/**', 'test/scripts/**', 'test/local/**'],
          isolate: false,
          setupFiles: [...shared.setupFiles, 'test/support/between-files.ts'],
        },
      },
    ],
  },
});
