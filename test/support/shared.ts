/**
 * The run's shared services (test/global-setup.ts): one DynamoDB Local, one synthesized pipeline template and
 * each catalog's synthesized service stacks for every test file, started on first use. Each file still gets its
 * own tables and its own runtime.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import type { CfnTemplate } from '../../local/definition';
import { LocalSluice, type LocalSluiceOptions } from '../../local/runtime';

async function ask(path: string): Promise<string> {
  const response = await fetch(`${inject('sharedServicesUrl')}${path}`);
  const body = await response.text();
  if (!response.ok) throw new Error(`Shared test service ${path} failed: ${body}`);
  return body;
}

/**
 * Where the run's DynamoDB Local listens (http://127.0.0.1:port). Asked each time, not kept: files that share a
 * worker's modules (isolate: false) then see the one the run started again should it have died.
 */
export async function sharedDynamoDbEndpoint(): Promise<string> {
  return (JSON.parse(await ask('/dynamodb')) as { endpoint: string }).endpoint;
}

/** A client of the run's DynamoDB Local (destroy it when done; the database outlives the file). */
export async function sharedDynamoDbClient(): Promise<DynamoDBClient> {
  return new DynamoDBClient({
    endpoint: await sharedDynamoDbEndpoint(),
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 3,
  });
}

/** A table name no other test file of this run uses. */
export function uniqueTableName(prefix: string): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

let template: Promise<CfnTemplate> | undefined;

/** The pipeline stack's template, synthesized once per run (its state machine does not depend on the catalog). */
export function sharedPipelineTemplate(): Promise<CfnTemplate> {
  template ??= ask('/pipeline-template').then((body) => JSON.parse(body) as CfnTemplate);
  return template;
}

/**
 * The service stacks' templates of the catalog file as it is now, by service name: what LocalSluice.start would
 * synthesize in-process, synthesized by the run once per catalog (the worker never imports aws-cdk-lib for it).
 */
export async function sharedServiceTemplates(catalogFile: string): Promise<Map<string, CfnTemplate>> {
  const body = await ask(`/service-templates?catalog=${encodeURIComponent(resolve(catalogFile))}`);
  return new Map(Object.entries(JSON.parse(body) as Record<string, CfnTemplate>));
}

/**
 * LocalSluice.start on the run's DynamoDB Local (a table of its own), the run's pipeline template and the
 * catalog's shared service templates.
 */
export async function startLocalSluice(options: LocalSluiceOptions): Promise<LocalSluice> {
  const [client, template, serviceTemplates] = await Promise.all([
    sharedDynamoDbClient(),
    sharedPipelineTemplate(),
    options.serviceTemplates ?? sharedServiceTemplates(options.catalogFile),
  ]);
  const sluice = await LocalSluice.start({
    template,
    serviceTemplates,
    dynamoDb: { client, tableName: uniqueTableName('sluice-ledger') },
    ...options,
  });
  return sluice;
}
