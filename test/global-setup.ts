/**
 * Once per `vitest run`, in the main process:
 * - shared services, started on first request: one DynamoDB Local for every test file (each file makes its own
 *   tables), one synthesized pipeline template for every local runtime, and each catalog's service stacks
 *   synthesized once (aws-cdk-lib imported once, here, instead of in every worker that starts a runtime). Test
 *   files ask for them over HTTP on 127.0.0.1 (test/support/shared.ts), so a run that needs none starts none.
 * - after the run, a check that no test left a process behind (test/support/processes.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import type { TestProject } from 'vitest/node';
import { type DynamoDbLocal, startDynamoDbLocal } from '../local/dynamodb-local';
import { leftoverProcesses, RUN_MARKER } from './support/processes';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL of the shared services (see test/support/shared.ts). */
    sharedServicesUrl: string;
  }
}

const answers = (db: DynamoDbLocal) =>
  db.client.send(new ListTablesCommand({ Limit: 1 })).then(
    () => true,
    () => false,
  );

export default async function setup(project: TestProject) {
  // Every process this run starts inherits the marker, even once its parent has gone.
  process.env[RUN_MARKER] = randomBytes(8).toString('hex');
  // As test/setup.ts does in the workers: DynamoDB Local's client and the synth run in this process.
  process.env.CDK_VALIDATION = 'false';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

  let dynamo: Promise<DynamoDbLocal> | undefined;
  let checking: Promise<DynamoDbLocal> | undefined;
  /** Started on first use; started again should it have died (killed from outside) for the files to come. */
  const liveDynamo = () => {
    checking ??= (async () => {
      const current = await dynamo?.catch(() => undefined);
      if (current && (await answers(current))) return current;
      await current?.stop();
      dynamo = startDynamoDbLocal({ timeoutMs: 120_000 });
      return dynamo;
    })().finally(() => {
      checking = undefined;
    });
    return checking;
  };
  let template: Promise<string> | undefined;
  const serviceTemplates = new Map<string, Promise<string>>();
  /** The catalog file's service stacks, by service name; synthesized once per catalog path and content. */
  const serviceTemplatesOf = async (catalogFile: string) => {
    const content = await readFile(catalogFile, 'utf8');
    const key = createHash('sha256').update(catalogFile).update('\0').update(content).digest('hex');
    let synthesized = serviceTemplates.get(key);
    if (!synthesized) {
      synthesized = (async () => {
        const [{ synthServiceTemplates }, { requireCatalogFile }] = await Promise.all([
          import('../local/synth'),
          import('../lambdas/core/catalog/load'),
        ]);
        return JSON.stringify(Object.fromEntries(synthServiceTemplates(requireCatalogFile(catalogFile))));
      })();
      serviceTemplates.set(key, synthesized);
    }
    return synthesized;
  };
  const services: Record<string, (query: URLSearchParams) => Promise<string>> = {
    '/dynamodb': async () => JSON.stringify({ endpoint: (await liveDynamo()).endpoint }),
    '/pipeline-template': () => {
      template ??= (async () => {
        const [{ synthPipelineTemplate }, { requireCatalogFile }] = await Promise.all([
          import('../local/synth'),
          import('../lambdas/core/catalog/load'),
        ]);
        return JSON.stringify(synthPipelineTemplate(requireCatalogFile('sluice.catalog.json')));
      })();
      return template;
    },
    '/service-templates': (query) => serviceTemplatesOf(query.get('catalog') ?? ''),
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '', 'http://127.0.0.1');
    const service = services[url.pathname];
    if (!service) return void res.writeHead(404).end();
    service(url.searchParams).then(
      (body) => res.writeHead(200, { 'content-type': 'application/json' }).end(body),
      (error: Error) => res.writeHead(500).end(error.stack ?? String(error)),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  project.provide('sharedServicesUrl', `http://127.0.0.1:${(server.address() as AddressInfo).port}`);

  return async () => {
    server.close();
    await (await dynamo?.catch(() => undefined))?.stop();
    const left = await leftoverProcesses();
    if (left.length > 0) {
      console.error(
        `\nTests left ${left.length} process(es) running (each test must stop what it starts):\n${left
          .map((p) => `  pid ${p.pid} (parent ${p.ppid}): ${p.command}`)
          .join('\n')}\n`,
      );
      process.exitCode = 1;
      // Named above; stopped here so they do not outlive the run on a shared machine.
      for (const p of left) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  };
}
