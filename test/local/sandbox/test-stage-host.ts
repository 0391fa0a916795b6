/**
 * A Test handler in a process of its own (not a test file): runs the Test stage's core (testRelease) on a
 * service folder with the local sandbox, and prints `{ result }` or `{ error }` as JSON. The test starts it with
 * credentials in its environment, as the Test Lambda has its role's.
 */
import { cp, writeFile } from 'node:fs/promises';
import type { ServiceConfig } from '../../../lambdas/core/catalog/types';
import type { ReleaseDocument } from '../../../lambdas/core/model';
import { systemClock } from '../../../lambdas/core/ports';
import type { Ledger } from '../../../lambdas/ledger/ledger';
import { type TestPorts, testRelease } from '../../../lambdas/run-tests/run-tests';
import { ProcessTestSandbox } from '../../../local/sandbox/process-test-sandbox';

export interface TestStageHostInput {
  readonly config: ServiceConfig;
  /** The service's files: the checkout copies them. */
  readonly serviceDir: string;
  readonly workDir: string;
  readonly timeoutMs: number;
  /** Where to write the test report the stage records on the release (JSON). @default - not written */
  readonly reportFile?: string;
}

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2] ?? '{}') as TestStageHostInput;
  const unused = () => Promise.reject(new Error('not used by the Test stage'));
  const ports: TestPorts = {
    source: {
      checkout: (_source, _sha, intoDir) => cp(input.serviceDir, intoDir, { recursive: true }),
      resolveCommit: unused,
      listCommits: unused,
      changedPaths: unused,
    },
    // The stage record is not what these tests are about; the test report is, when they ask for it.
    ledger: {
      recordStage: async () => undefined,
      updateRelease: async (_releaseId: string, fields: { tests?: unknown }) => {
        if (input.reportFile && fields.tests) await writeFile(input.reportFile, JSON.stringify(fields.tests));
      },
    } as unknown as Ledger,
    clock: systemClock,
    workDir: input.workDir,
    testSandbox: new ProcessTestSandbox({ workDir: input.workDir }),
  };
  const doc = {
    config: input.config,
    release: { releaseId: 'r-1', commit: { sha: 'a'.repeat(40) } },
  } as unknown as ReleaseDocument;
  try {
    const result = await testRelease(doc, ports, { timeoutMs: input.timeoutMs });
    process.stdout.write(`${JSON.stringify({ result })}\n`);
  } catch (error) {
    const { name, message } = error as Error;
    process.stdout.write(`${JSON.stringify({ error: { name, message } })}\n`);
  }
}

void main();
