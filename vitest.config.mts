import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    // Hooks start shared services (DynamoDB Local, a synth) that a busy machine makes slow; this only bounds a hang.
    hookTimeout: 120_000,
    // End-to-end files start DynamoDB Local and child processes; two cores, so keep files few at once.
    maxWorkers: 2,
    setupFiles: ['test/setup.ts'],
    // One DynamoDB Local and one pipeline synth for the run, and the check for processes left behind.
    globalSetup: ['test/global-setup.ts'],
  },
});
