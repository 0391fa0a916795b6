import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { LambdaTestSandbox } from '../../../../lambdas/adapters/aws/lambda-test-sandbox';
import type { SandboxRequest } from '../../../../lambdas/core/ports';
import { awsError, blobPayload } from './helpers';

const lambda = mockClient(LambdaClient);
const RUNNER = 'arn:aws:lambda:us-east-1:111122223333:function:sluice-TestRunner';
const sandbox = () => new LambdaTestSandbox(new LambdaClient({}), RUNNER);
const request: SandboxRequest = {
  checkout: 'UEsFBg==',
  steps: [['--test', 'a.test.cjs']],
  timeoutMs: 60_000,
};

beforeEach(() => lambda.reset());

describe('LambdaTestSandbox', () => {
  it('invokes the runner function (unqualified) with the whole request and returns its result', async () => {
    lambda
      .on(InvokeCommand)
      .resolves({ Payload: blobPayload('{"exitCode":0,"timedOut":false,"output":"# pass 1\\n"}') as never });
    expect(await sandbox().run(request)).toEqual({ exitCode: 0, timedOut: false, output: '# pass 1\n' });
    const calls = lambda.commandCalls(InvokeCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]?.args[0].input;
    expect(input?.FunctionName).toBe(RUNNER);
    expect(input?.Qualifier).toBeUndefined();
    expect(input?.InvocationType).toBeUndefined(); // RequestResponse: the Test handler waits for the result
    expect(JSON.parse(new TextDecoder().decode(input?.Payload as Uint8Array))).toEqual(request);
  });

  it('fails the tests when the runner itself failed (out of memory, refused request)', async () => {
    lambda.on(InvokeCommand).resolves({
      FunctionError: 'Unhandled',
      Payload: blobPayload('{"errorType":"Runtime.OutOfMemory","errorMessage":"out of memory"}') as never,
    });
    await expect(sandbox().run(request)).rejects.toMatchObject({
      name: 'TestsFailedError',
      message: expect.stringContaining('Runtime.OutOfMemory'),
    });
  });

  it('refuses an answer that is not a result', async () => {
    lambda.on(InvokeCommand).resolves({ Payload: blobPayload('{"exitCode":"0"}') as never });
    await expect(sandbox().run(request)).rejects.toMatchObject({ name: 'TestsFailedError' });
  });

  it('names the missing runner function, and makes throttling transient', async () => {
    lambda.on(InvokeCommand).rejects(awsError('ResourceNotFoundException', { status: 404 }));
    await expect(sandbox().run(request)).rejects.toMatchObject({
      name: 'MissingResourceError',
      message: expect.stringContaining(RUNNER),
    });
    lambda.on(InvokeCommand).rejects(awsError('TooManyRequestsException', { status: 429 }));
    await expect(sandbox().run(request)).rejects.toMatchObject({ name: 'TransientError' });
  });
});
