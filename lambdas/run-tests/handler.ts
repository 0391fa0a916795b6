import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { LambdaTestSandbox } from '../adapters/aws/lambda-test-sandbox';
import { awsSourceRepository } from '../adapters/aws/provider-source';
import { SecretsManagerNpmrc } from '../adapters/aws/secrets-manager-npmrc';
import type { ReleaseDocument, TestResult } from '../core/model';
import { systemClock } from '../core/ports';
import { Ledger } from '../ledger/ledger';
import { ENV } from '../runtime/env';
import { logger } from '../runtime/observability';
import { onAwsPorts, requireEnv } from '../runtime/wiring';
import { type TestPorts, testRelease } from './run-tests';

/** The handler on `ports`: Lambda's entry below passes the AWS adapters, the local runtime its own. */
export const makeHandler =
  (ports: TestPorts) =>
  async (event: ReleaseDocument, context: Context): Promise<TestResult> => {
    logger.addContext(context);
    // Leave a minute of the Lambda's time to report the result (the runner stops its tests within it).
    const timeoutMs = Math.max(10_000, context.getRemainingTimeInMillis() - 60_000);
    const result = await testRelease(event, ports, { timeoutMs });
    logger.info('tested', { releaseId: event.releaseId, passed: result.passed });
    return result;
  };

/** Lambda's entry: the handler on the AWS ports, built on the first invocation and kept for the container's life. */
export const handler = onAwsPorts(makeHandler, () => ({
  source: awsSourceRepository(),
  ledger: Ledger.forTable(new DynamoDBClient({}), requireEnv(ENV.tableName)),
  clock: systemClock,
  workDir: '/tmp',
  testSandbox: new LambdaTestSandbox(new LambdaClient({}), requireEnv(ENV.testRunnerFunctionArn)),
  // The registry's .npmrc of the install before `npm test`; it goes to the sandbox for that run only.
  npmrc: new SecretsManagerNpmrc(new SecretsManagerClient({})),
}));
