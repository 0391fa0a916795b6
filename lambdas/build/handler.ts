import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { LambdaTestSandbox } from '../adapters/aws/lambda-test-sandbox';
import { awsSourceRepository } from '../adapters/aws/provider-source';
import { S3ArtifactStore } from '../adapters/aws/s3-artifact-store';
import { SecretsManagerNpmrc } from '../adapters/aws/secrets-manager-npmrc';
import type { BuildResult, ReleaseDocument } from '../core/model';
import { systemClock } from '../core/ports';
import { Ledger } from '../ledger/ledger';
import { ENV } from '../runtime/env';
import { logger } from '../runtime/observability';
import { onAwsPorts, requireEnv } from '../runtime/wiring';
import { type BuildPorts, buildRelease } from './build';

/** The handler on `ports`: Lambda's entry below passes the AWS adapters, the local runtime its own. */
export const makeHandler =
  (ports: BuildPorts) =>
  async (event: ReleaseDocument, context: Context): Promise<BuildResult> => {
    logger.addContext(context);
    const result = await buildRelease(event, ports);
    logger.info('built', { releaseId: event.releaseId, bytes: result.bytes, sha256: result.sha256 });
    return result;
  };

/** Lambda's entry: the handler on the AWS ports, built on the first invocation and kept for the container's life. */
export const handler = onAwsPorts(makeHandler, () => ({
  source: awsSourceRepository(),
  artifacts: new S3ArtifactStore(new S3Client({}), requireEnv(ENV.artifactBucket)),
  ledger: Ledger.forTable(new DynamoDBClient({}), requireEnv(ENV.tableName)),
  clock: systemClock,
  workDir: '/tmp',
  // npm ci runs in the test runner (no Sluice credential there), never in this function.
  testSandbox: new LambdaTestSandbox(new LambdaClient({}), requireEnv(ENV.testRunnerFunctionArn)),
  npmrc: new SecretsManagerNpmrc(new SecretsManagerClient({})),
}));
