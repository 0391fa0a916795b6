import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The handler's logger writes JSON lines to stdout; the tests read its results, not its logs.
  test: { env: { POWERTOOLS_LOG_LEVEL: 'SILENT' } },
});
