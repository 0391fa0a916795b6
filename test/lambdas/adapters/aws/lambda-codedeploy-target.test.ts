import { createHash } from 'node:crypto';
import {
  CodeDeployClient,
  CreateDeploymentCommand,
  DeploymentDoesNotExistException,
  DeploymentGroupDoesNotExistException,
  DeploymentLimitExceededException,
  GetDeploymentCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-codedeploy';
import {
  CreateAliasCommand,
  GetAliasCommand,
  GetFunctionCommand,
  InvokeCommand,
  type InvokeCommandOutput,
  LambdaClient,
  PublishVersionCommand,
  ResourceConflictException,
  ResourceNotFoundException,
  TooManyRequestsException,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { MissingResourceError } from '../../../../lambdas/adapters/aws/errors';
import {
  functionUrlResponse,
  LambdaCodeDeployTarget,
  lambdaAppSpec,
  parseAlarmName,
} from '../../../../lambdas/adapters/aws/lambda-codedeploy-target';
import { DeploymentFailedError, TransientError } from '../../../../lambdas/core/errors';
import { awsError, blobPayload, service } from './helpers';

const lambda = mockClient(LambdaClient);
const codeDeploy = mockClient(CodeDeployClient);
const meta = { $metadata: {} };
const FN = 'sluice-orders';

const target = (options = {}) =>
  new LambdaCodeDeployTarget(new LambdaClient({}), new CodeDeployClient({}), 'artifacts-bucket', options);
const payload = (value: unknown) =>
  blobPayload(
    typeof value === 'string' ? value : JSON.stringify(value),
  ) as unknown as InvokeCommandOutput['Payload'];

beforeEach(() => {
  lambda.reset();
  codeDeploy.reset();
});

describe('stageVersion', () => {
  const happyPath = () => {
    lambda.on(UpdateFunctionCodeCommand).resolves({ CodeSha256: 'code-sha', LastUpdateStatus: 'InProgress' });
    lambda.on(GetFunctionCommand).resolves({ Configuration: { LastUpdateStatus: 'Successful' } });
    lambda.on(PublishVersionCommand).resolves({ Version: '7' });
  };

  it('updates the code from S3, waits for the update, publishes guarded by CodeSha256, moves no alias', async () => {
    happyPath();
    await expect(
      target().stageVersion(service, 'orders-abc123', 'orders/orders-abc123/bundle.zip'),
    ).resolves.toEqual({
      version: '7',
    });

    expect(lambda.commandCalls(UpdateFunctionCodeCommand)[0]!.args[0].input).toEqual({
      FunctionName: FN,
      S3Bucket: 'artifacts-bucket',
      S3Key: 'orders/orders-abc123/bundle.zip',
      Publish: false,
    });
    expect(lambda.commandCalls(GetFunctionCommand)[0]!.args[0].input).toEqual({ FunctionName: FN });
    expect(lambda.commandCalls(PublishVersionCommand)[0]!.args[0].input).toEqual({
      FunctionName: FN,
      Description: 'orders-abc123',
      CodeSha256: 'code-sha',
    });
    // Stage's role may not touch aliases (it could move `live`): the version is smoke-tested by number.
    expect(lambda.commandCalls(UpdateAliasCommand)).toHaveLength(0);
    expect(lambda.commandCalls(CreateAliasCommand)).toHaveLength(0);
  });

  it('keeps polling while the update is InProgress and publishes only after it succeeds', async () => {
    happyPath();
    lambda
      .on(GetFunctionCommand)
      .resolvesOnce({ Configuration: { LastUpdateStatus: 'InProgress' } })
      .resolves({ Configuration: { LastUpdateStatus: 'Successful' } });
    await target().stageVersion(service, 'r1', 'k');
    expect(lambda.commandCalls(GetFunctionCommand)).toHaveLength(2);
    expect(lambda.commandCalls(PublishVersionCommand)).toHaveLength(1);
  });

  it('reports the reason Lambda gives for a failed update and publishes nothing', async () => {
    happyPath();
    lambda.on(GetFunctionCommand).resolves({
      Configuration: {
        LastUpdateStatus: 'Failed',
        LastUpdateStatusReason: 'Could not unzip uploaded file.',
      },
    });
    await expect(target().stageVersion(service, 'r1', 'k')).rejects.toThrow(
      'Lambda could not update the code of sluice-orders: Could not unzip uploaded file.',
    );
    expect(lambda.commandCalls(PublishVersionCommand)).toHaveLength(0);
  });

  it('gives up waiting after updateTimeoutSeconds with a TransientError', async () => {
    happyPath();
    lambda.on(GetFunctionCommand).resolves({ Configuration: { LastUpdateStatus: 'InProgress' } });
    const error = await target({ updateTimeoutSeconds: 2 })
      .stageVersion(service, 'r1', 'k')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toBe(
      'Lambda function sluice-orders was still updating after 2 s; retrying.',
    );
  });

  it('names the missing function and says the service stack creates it', async () => {
    lambda
      .on(UpdateFunctionCodeCommand)
      .rejects(new ResourceNotFoundException({ message: 'Function not found', ...meta }));
    const error = await target()
      .stageVersion(service, 'r1', 'k')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingResourceError);
    expect((error as Error).message).toMatch(
      /^Lambda function sluice-orders does not exist; deploy the service stack/,
    );
  });

  it('maps throttling and a concurrent update (ResourceConflict) to TransientError', async () => {
    lambda
      .on(UpdateFunctionCodeCommand)
      .rejectsOnce(new TooManyRequestsException({ message: 'Rate exceeded', ...meta }))
      .rejectsOnce(new ResourceConflictException({ message: 'An update is in progress', ...meta }));
    await expect(target().stageVersion(service, 'r1', 'k')).rejects.toBeInstanceOf(TransientError);
    await expect(target().stageVersion(service, 'r1', 'k')).rejects.toThrow(/being updated by someone else/);
  });

  it('treats a CodeSha256 mismatch at PublishVersion as a concurrent update worth retrying', async () => {
    happyPath();
    lambda.on(PublishVersionCommand).rejects(awsError('PreconditionFailedException', { status: 412 }));
    await expect(target().stageVersion(service, 'r1', 'k')).rejects.toThrow(TransientError);
    expect(lambda.commandCalls(UpdateAliasCommand)).toHaveLength(0);
  });
});

describe('invoke', () => {
  it('sends a function URL (payload 2.0) event to the version and reads { statusCode, body }', async () => {
    lambda
      .on(InvokeCommand)
      .resolves({ StatusCode: 200, Payload: payload({ statusCode: 201, body: 'created' }) });
    const result = await target().invoke(service, '7', {
      method: 'post',
      path: '/orders?dry=1&x=y',
      body: '{"a":1}',
    });

    expect(result.statusCode).toBe(201);
    expect(result.body).toBe('created');
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    const input = lambda.commandCalls(InvokeCommand)[0]!.args[0].input;
    expect(input.FunctionName).toBe(FN);
    expect(input.Qualifier).toBe('7');
    const event = JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array));
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: '$default',
      rawPath: '/orders',
      rawQueryString: 'dry=1&x=y',
      queryStringParameters: { dry: '1', x: 'y' },
      headers: { 'content-type': 'application/json' },
      requestContext: { http: { method: 'POST', path: '/orders' }, stage: '$default' },
      body: '{"a":1}',
      isBase64Encoded: false,
    });
  });

  it('returns 502 with the error type and message when the function throws', async () => {
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: payload({ errorType: 'TypeError', errorMessage: 'x is undefined', trace: [] }),
    });
    await expect(target().invoke(service, '7', { method: 'GET', path: '/' })).resolves.toMatchObject({
      statusCode: 502,
      body: 'TypeError: x is undefined',
    });
  });

  it('maps throttling to TransientError and a missing version to MissingResourceError', async () => {
    lambda
      .on(InvokeCommand)
      .rejectsOnce(new TooManyRequestsException({ message: 'Rate exceeded', ...meta }))
      .rejectsOnce(new ResourceNotFoundException({ message: 'not found', ...meta }));
    await expect(target().invoke(service, '7', { method: 'GET', path: '/' })).rejects.toBeInstanceOf(
      TransientError,
    );
    await expect(target().invoke(service, '7', { method: 'GET', path: '/' })).rejects.toThrow(
      /Version 7 of Lambda function sluice-orders does not exist/,
    );
  });

  it('invokes an event-driven version with the event itself (no function URL shape) and parses its result', async () => {
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      ExecutedVersion: '7',
      Payload: payload({ batchItemFailures: [{ itemIdentifier: 'm-2' }] }),
    });
    const event = { Records: [{ messageId: 'm-2', body: '{"sku":"tea"}', eventSource: 'aws:sqs' }] };
    const result = await target().invokeEvent(service, '7', event);
    expect(result).toEqual({
      payload: { batchItemFailures: [{ itemIdentifier: 'm-2' }] },
      latencyMs: expect.any(Number),
    });
    const calls = lambda.commandCalls(InvokeCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]!.args[0].input;
    expect({ ...input, Payload: undefined }).toEqual({
      FunctionName: FN,
      Qualifier: '7',
      Payload: undefined,
    });
    expect(JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array))).toEqual(event);
  });

  it("reports an event handler's thrown error as Lambda's FunctionError, and an empty result as undefined", async () => {
    lambda
      .on(InvokeCommand)
      .resolvesOnce({
        StatusCode: 200,
        FunctionError: 'Unhandled',
        Payload: payload({ errorType: 'SyntaxError', errorMessage: 'Unexpected token', trace: [] }),
      })
      .resolvesOnce({ StatusCode: 200, Payload: payload('') })
      .rejectsOnce(new ResourceNotFoundException({ message: 'not found', ...meta }));
    await expect(target().invokeEvent(service, 'live', { detail: {} })).resolves.toMatchObject({
      payload: undefined,
      functionError: 'SyntaxError: Unexpected token',
    });
    const empty = await target().invokeEvent(service, 'live', { detail: {} });
    expect(empty.payload).toBeUndefined();
    expect(empty.functionError).toBeUndefined();
    await expect(target().invokeEvent(service, '9', {})).rejects.toBeInstanceOf(MissingResourceError);
  });

  it('interprets return values as a function URL does', () => {
    expect(functionUrlResponse('{"statusCode":404,"body":{"error":"nope"}}')).toEqual({
      statusCode: 404,
      body: '{"error":"nope"}',
    });
    expect(
      functionUrlResponse(
        JSON.stringify({
          statusCode: 200,
          body: Buffer.from('hi').toString('base64'),
          isBase64Encoded: true,
        }),
      ),
    ).toEqual({ statusCode: 200, body: 'hi' });
    expect(functionUrlResponse('{"ok":true}')).toEqual({ statusCode: 200, body: '{"ok":true}' });
    expect(functionUrlResponse('"text"')).toEqual({ statusCode: 200, body: 'text' });
    expect(functionUrlResponse('null')).toEqual({ statusCode: 200, body: '' });
  });
});

describe('liveVersion', () => {
  it('reads the live alias', async () => {
    lambda.on(GetAliasCommand).resolves({ FunctionVersion: '3' });
    await expect(target().liveVersion(service)).resolves.toBe('3');
    expect(lambda.commandCalls(GetAliasCommand)[0]!.args[0].input).toEqual({
      FunctionName: FN,
      Name: 'live',
    });
  });

  it('is undefined when the alias is missing or on $LATEST', async () => {
    lambda
      .on(GetAliasCommand)
      .rejectsOnce(new ResourceNotFoundException({ message: 'Alias not found', ...meta }))
      .resolvesOnce({ FunctionVersion: '$LATEST' });
    await expect(target().liveVersion(service)).resolves.toBeUndefined();
    await expect(target().liveVersion(service)).resolves.toBeUndefined();
  });

  it('maps a Lambda 500 to TransientError', async () => {
    lambda.on(GetAliasCommand).rejects(awsError('ServiceException', { status: 500 }));
    await expect(target().liveVersion(service)).rejects.toBeInstanceOf(TransientError);
  });
});

describe('startDeployment', () => {
  it('creates a CodeDeploy deployment whose AppSpec shifts live from → to, with the matching sha256', async () => {
    codeDeploy.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-ABC123' });
    await expect(
      target().startDeployment({ service, releaseId: 'orders-abc123', fromVersion: '6', toVersion: '7' }),
    ).resolves.toEqual({ deploymentId: 'd-ABC123' });

    const input = codeDeploy.commandCalls(CreateDeploymentCommand)[0]!.args[0].input;
    const content =
      '{"version":0.0,"Resources":[{"sluice-orders":{"Type":"AWS::Lambda::Function","Properties":' +
      '{"Name":"sluice-orders","Alias":"live","CurrentVersion":"6","TargetVersion":"7"}}}]}';
    expect(input).toEqual({
      applicationName: FN,
      deploymentGroupName: FN,
      deploymentConfigName: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
      description: 'orders-abc123',
      revision: {
        revisionType: 'AppSpecContent',
        appSpecContent: { content, sha256: createHash('sha256').update(content).digest('hex') },
      },
    });
    expect(lambda.commandCalls(GetAliasCommand)).toHaveLength(0);
  });

  it('without fromVersion shifts from the version the live alias serves now', async () => {
    lambda.on(GetAliasCommand).resolves({ FunctionVersion: '1' });
    codeDeploy.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-1' });
    await target().startDeployment({ service, releaseId: 'r1', toVersion: '2' });
    const spec = codeDeploy.commandCalls(CreateDeploymentCommand)[0]!.args[0].input.revision?.appSpecContent;
    expect(JSON.parse(spec?.content ?? '').Resources[0][FN].Properties).toEqual({
      Name: FN,
      Alias: 'live',
      CurrentVersion: '1',
      TargetVersion: '2',
    });
  });

  it('refuses to start when there is no live alias to shift, saying the service stack creates it', async () => {
    lambda
      .on(GetAliasCommand)
      .rejects(new ResourceNotFoundException({ message: 'Alias not found', ...meta }));
    const error = await target()
      .startDeployment({ service, releaseId: 'r1', toVersion: '2' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeploymentFailedError);
    expect((error as Error).message).toMatch(/sluice-orders has no "live" alias .* Deploy the service stack/);
    expect(codeDeploy.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
  });

  it('names a missing deployment group, and retries when a deployment is already running', async () => {
    codeDeploy
      .on(CreateDeploymentCommand)
      .rejectsOnce(new DeploymentGroupDoesNotExistException({ message: 'No group', ...meta }))
      .rejectsOnce(new DeploymentLimitExceededException({ message: 'active deployment', ...meta }));
    const request = { service, releaseId: 'r1', fromVersion: '1', toVersion: '2' };
    const missing = await target()
      .startDeployment(request)
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(MissingResourceError);
    expect((missing as Error).message).toMatch(
      /deployment group sluice-orders does not exist; deploy the service stack/,
    );
    await expect(target().startDeployment(request)).rejects.toBeInstanceOf(TransientError);
  });

  it('lambdaAppSpec writes version 0.0 and hashes the exact content', () => {
    const spec = lambdaAppSpec('sluice-x', '1', '2');
    expect(spec.content.startsWith('{"version":0.0,')).toBe(true);
    expect(spec.sha256).toBe(createHash('sha256').update(spec.content).digest('hex'));
  });
});

describe('describeDeployment', () => {
  it.each([
    ['Created', 'InProgress'],
    ['Queued', 'InProgress'],
    ['InProgress', 'InProgress'],
    ['Baking', 'InProgress'],
    ['Ready', 'InProgress'],
    ['Succeeded', 'Succeeded'],
    ['Failed', 'Failed'],
    ['Stopped', 'Stopped'],
  ] as const)('maps CodeDeploy status %s to %s', async (status, expected) => {
    codeDeploy.on(GetDeploymentCommand).resolves({ deploymentInfo: { deploymentId: 'd-1', status } });
    await expect(target().describeDeployment('d-1')).resolves.toEqual({
      deploymentId: 'd-1',
      status: expected,
      rolledBack: false,
    });
    expect(codeDeploy.commandCalls(GetDeploymentCommand)[0]!.args[0].input).toEqual({ deploymentId: 'd-1' });
  });

  it('reports the rollback, the reason and the alarm that stopped a deployment', async () => {
    const message =
      'The deployment failed because one or more of the alarms configured for the deployment group were ' +
      'activated: sluice-orders-error-rate';
    codeDeploy.on(GetDeploymentCommand).resolves({
      deploymentInfo: {
        status: 'Stopped',
        errorInformation: { code: 'ALARM_ACTIVE', message },
        rollbackInfo: { rollbackDeploymentId: 'd-RB', rollbackMessage: 'Automatic rollback d-RB' },
      },
    });
    await expect(target().describeDeployment('d-1')).resolves.toEqual({
      deploymentId: 'd-1',
      status: 'Stopped',
      rolledBack: true,
      reason: message,
      alarm: 'sluice-orders-error-rate',
    });
  });

  it('a failure without a rollback deployment is not rolled back and names no alarm', async () => {
    codeDeploy.on(GetDeploymentCommand).resolves({
      deploymentInfo: {
        status: 'Failed',
        errorInformation: {
          code: 'HOOK_EXECUTION_FAILURE',
          message: 'BeforeAllowTraffic hook failed: timeout',
        },
      },
    });
    await expect(target().describeDeployment('d-1')).resolves.toEqual({
      deploymentId: 'd-1',
      status: 'Failed',
      rolledBack: false,
      reason: 'BeforeAllowTraffic hook failed: timeout',
    });
  });

  it('names a deployment that does not exist', async () => {
    codeDeploy
      .on(GetDeploymentCommand)
      .rejects(new DeploymentDoesNotExistException({ message: 'x', ...meta }));
    await expect(target().describeDeployment('d-NOPE')).rejects.toThrow(
      'CodeDeploy deployment d-NOPE does not exist in this account and region.',
    );
  });

  it('parseAlarmName reads the forms CodeDeploy uses and does not guess', () => {
    expect(parseAlarmName('ALARM_ACTIVE', 'Alarms activated: [sluice-a-p99, sluice-a-errors]')).toBe(
      'sluice-a-p99',
    );
    expect(parseAlarmName('ALARM_ACTIVE', 'The following alarms were activated: "sluice-a-errors".')).toBe(
      'sluice-a-errors',
    );
    expect(parseAlarmName(undefined, 'Deployment stopped: alarm sluice-b was activated')).toBeUndefined();
    expect(
      parseAlarmName(undefined, 'Deployment d-1 failed: the alarms were activated: sluice-c-latency.'),
    ).toBe('sluice-c-latency');
    expect(parseAlarmName('HOOK_EXECUTION_FAILURE', 'hook failed')).toBeUndefined();
    expect(parseAlarmName('ALARM_ACTIVE', undefined)).toBeUndefined();
  });
});

describe('stopDeployment', () => {
  it('stops with autoRollbackEnabled so CodeDeploy moves the alias back at once', async () => {
    codeDeploy.on(StopDeploymentCommand).resolves({ status: 'Pending' });
    await target().stopDeployment('d-STOPME123', 'Alarm sluice-orders-error-rate fired');
    expect(codeDeploy.commandCalls(StopDeploymentCommand)[0]!.args[0].input).toEqual({
      deploymentId: 'd-STOPME123',
      autoRollbackEnabled: true,
    });
  });

  it('leaves a deployment that already ended as it is, and names a missing one', async () => {
    codeDeploy.on(StopDeploymentCommand).rejectsOnce(awsError('DeploymentAlreadyCompletedException'));
    await expect(target().stopDeployment('d-DONE', 'why')).resolves.toBeUndefined();
    codeDeploy.on(StopDeploymentCommand).rejects(awsError('DeploymentDoesNotExistException'));
    await expect(target().stopDeployment('d-GONE', 'why')).rejects.toThrow(MissingResourceError);
  });
});
