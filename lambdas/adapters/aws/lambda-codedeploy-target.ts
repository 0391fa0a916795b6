import { createHash, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  type CodeDeployClient,
  CreateDeploymentCommand,
  type DeploymentInfo,
  GetDeploymentCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-codedeploy';
import {
  GetAliasCommand,
  InvokeCommand,
  type LambdaClient,
  PublishVersionCommand,
  UpdateFunctionCodeCommand,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import {
  type JsonObject,
  LIVE_ALIAS,
  type ServiceConfig,
  serviceResourceName,
} from '../../core/catalog/types';
import { DeploymentFailedError, TransientError } from '../../core/errors';
import type {
  DeploymentDescription,
  DeploymentStatus,
  DeployTarget,
  EventInvokeResult,
  HttpRequest,
  InvokeResult,
  StartDeploymentRequest,
} from '../../core/ports';
import { awsErrorMessage, awsErrorName, MissingResourceError, mapAwsError } from './errors';

export interface LambdaCodeDeployTargetOptions {
  /** How long stageVersion waits for UpdateFunctionCode to finish. @default 300 */
  readonly updateTimeoutSeconds?: number;
}

/**
 * A service is one Lambda function with a `live` alias, released by CodeDeploy. The function, the CodeDeploy
 * application and its deployment group are all named `sluice-<service>` (serviceResourceName); the service's
 * own stack creates them and the `live` alias on an initial version.
 */
export class LambdaCodeDeployTarget implements DeployTarget {
  constructor(
    private readonly lambda: LambdaClient,
    private readonly codeDeploy: CodeDeployClient,
    private readonly artifactBucket: string,
    private readonly options: LambdaCodeDeployTargetOptions = {},
  ) {}

  async stageVersion(
    service: ServiceConfig,
    releaseId: string,
    artifactKey: string,
  ): Promise<{ version: string }> {
    const FunctionName = serviceResourceName(service.name);
    const lambdaError = (action: string) => (error: unknown) =>
      mapAwsError(error, `Lambda ${action} ${FunctionName}`, (name) => {
        if (name === 'ResourceNotFoundException') return missingFunction(FunctionName);
        // Another update of the same function is still running; it finishes on its own.
        if (name === 'ResourceConflictException') {
          return new TransientError(
            `Lambda function ${FunctionName} is being updated by someone else; retrying.`,
          );
        }
        // PublishVersion's CodeSha256 guard: the code changed after our update, so stage it again.
        if (name === 'PreconditionFailedException') {
          return new TransientError(
            `The code of ${FunctionName} changed between UpdateFunctionCode and PublishVersion (a concurrent ` +
              `update); staging again.`,
          );
        }
        return undefined;
      });

    let codeSha256: string | undefined;
    try {
      const updated = await this.lambda.send(
        new UpdateFunctionCodeCommand({
          FunctionName,
          S3Bucket: this.artifactBucket,
          S3Key: artifactKey,
          Publish: false,
        }),
      );
      codeSha256 = updated.CodeSha256;
    } catch (error) {
      throw lambdaError('UpdateFunctionCode')(error);
    }

    await this.waitForUpdate(FunctionName);

    let version: string | undefined;
    try {
      const published = await this.lambda.send(
        // CodeSha256 makes Lambda refuse to publish if someone changed the code after our update.
        new PublishVersionCommand({ FunctionName, Description: releaseId, CodeSha256: codeSha256 }),
      );
      version = published.Version;
    } catch (error) {
      throw lambdaError('PublishVersion')(error);
    }
    if (!version) throw new Error(`Lambda PublishVersion ${FunctionName} returned no version`);
    // No alias: the smoke test invokes the version itself, and a role that may point any alias may point
    // `live` too (Lambda authorizes UpdateAlias on the function, not the alias).
    return { version };
  }

  async invoke(service: ServiceConfig, version: string, request: HttpRequest): Promise<InvokeResult> {
    const FunctionName = serviceResourceName(service.name);
    const { text, functionError, latencyMs } = await this.invokeRaw(
      FunctionName,
      version,
      smokeFunctionUrlEvent(FunctionName, request),
    );
    if (functionError) return { statusCode: 502, body: functionError, latencyMs };
    return { ...functionUrlResponse(text), latencyMs };
  }

  /** Lambda Invoke (RequestResponse) with the event as it is: what an event source mapping or a rule sends. */
  async invokeEvent(service: ServiceConfig, version: string, event: JsonObject): Promise<EventInvokeResult> {
    const { text, functionError, latencyMs } = await this.invokeRaw(
      serviceResourceName(service.name),
      version,
      event,
    );
    if (functionError) return { payload: undefined, functionError, latencyMs };
    return { payload: parsePayload(text), latencyMs };
  }

  private async invokeRaw(
    FunctionName: string,
    version: string,
    event: unknown,
  ): Promise<{ text: string; functionError?: string; latencyMs: number }> {
    const started = performance.now();
    let out: { Payload?: Uint8Array; FunctionError?: string };
    try {
      out = await this.lambda.send(
        new InvokeCommand({
          FunctionName,
          Qualifier: version,
          Payload: new TextEncoder().encode(JSON.stringify(event)),
        }),
      );
    } catch (error) {
      throw mapAwsError(error, `Lambda Invoke ${FunctionName}:${version}`, (name) =>
        name === 'ResourceNotFoundException'
          ? new MissingResourceError(
              `Version ${version} of Lambda function ${FunctionName} does not exist; Stage publishes it, so ` +
                'run Stage again (start a new release).',
            )
          : undefined,
      );
    }
    const latencyMs = Math.round(performance.now() - started);
    const text = out.Payload ? new TextDecoder().decode(out.Payload) : '';
    if (out.FunctionError)
      return { text, functionError: functionErrorText(out.FunctionError, text), latencyMs };
    return { text, latencyMs };
  }

  async liveVersion(service: ServiceConfig): Promise<string | undefined> {
    const FunctionName = serviceResourceName(service.name);
    try {
      const alias = await this.lambda.send(new GetAliasCommand({ FunctionName, Name: LIVE_ALIAS }));
      const version = alias.FunctionVersion;
      // An alias on $LATEST is not a release CodeDeploy can shift from.
      return version && version !== '$LATEST' ? version : undefined;
    } catch (error) {
      if (awsErrorName(error) === 'ResourceNotFoundException') return undefined;
      throw mapAwsError(error, `Lambda GetAlias ${FunctionName}:${LIVE_ALIAS}`);
    }
  }

  /**
   * CodeDeploy can only shift an alias that already points at a version. Without `fromVersion` (the ledger has
   * no production release yet), the version the `live` alias serves now is used: the service stack creates
   * the alias on the function's initial version, so the first release is a normal (watched) traffic shift
   * from that version rather than an unwatched alias flip.
   */
  async startDeployment(request: StartDeploymentRequest): Promise<{ deploymentId: string }> {
    const { service, releaseId, toVersion } = request;
    const name = serviceResourceName(service.name);
    const fromVersion = request.fromVersion ?? (await this.liveVersion(service));
    if (!fromVersion) {
      throw new DeploymentFailedError(
        `Lambda function ${name} has no "${LIVE_ALIAS}" alias on a published version, so CodeDeploy has no ` +
          'traffic to shift. Deploy the service stack (its SluiceService construct creates the alias on the ' +
          'initial version), then retry the release.',
      );
    }
    const appSpec = lambdaAppSpec(name, fromVersion, toVersion);
    try {
      const out = await this.codeDeploy.send(
        new CreateDeploymentCommand({
          applicationName: name,
          deploymentGroupName: name,
          // The catalog's strategy wins over whatever the deployment group was created with.
          deploymentConfigName: `CodeDeployDefault.Lambda${service.deploy.strategy}`,
          description: releaseId,
          revision: { revisionType: 'AppSpecContent', appSpecContent: appSpec },
          // A rollback must not be stopped by the alarms the bad version set off (needs UpdateDeploymentGroup).
          ...(request.ignoreAlarms ? { overrideAlarmConfiguration: { enabled: false } } : {}),
        }),
      );
      if (!out.deploymentId)
        throw new Error(`CodeDeploy CreateDeployment for ${name} returned no deploymentId`);
      return { deploymentId: out.deploymentId };
    } catch (error) {
      throw mapAwsError(error, `CodeDeploy CreateDeployment ${name}`, (errorName) => {
        switch (errorName) {
          case 'ApplicationDoesNotExistException':
          case 'DeploymentGroupDoesNotExistException':
            return new MissingResourceError(
              `CodeDeploy application/deployment group ${name} does not exist; deploy the service stack (its ` +
                'SluiceService construct creates both, with the alarms and auto-rollback).',
            );
          // One deployment per group at a time: the previous one is still running.
          case 'DeploymentLimitExceededException':
            return new TransientError(
              `Deployment group ${name} already has a deployment in progress; retrying.`,
            );
          default:
            return undefined;
        }
      });
    }
  }

  async describeDeployment(deploymentId: string): Promise<DeploymentDescription> {
    let info: DeploymentInfo;
    try {
      const out = await this.codeDeploy.send(new GetDeploymentCommand({ deploymentId }));
      info = out.deploymentInfo ?? {};
    } catch (error) {
      throw mapAwsError(error, `CodeDeploy GetDeployment ${deploymentId}`, (name) =>
        name === 'DeploymentDoesNotExistException' || name === 'InvalidDeploymentIdException'
          ? new MissingResourceError(
              `CodeDeploy deployment ${deploymentId} does not exist in this account and region.`,
            )
          : undefined,
      );
    }
    return describe(deploymentId, info);
  }

  /**
   * StopDeployment with autoRollbackEnabled: CodeDeploy moves the alias back to the version it replaced at
   * once, rather than at its next alarm poll. A deployment that already ended is left as it is.
   */
  async stopDeployment(deploymentId: string, reason: string): Promise<void> {
    try {
      await this.codeDeploy.send(new StopDeploymentCommand({ deploymentId, autoRollbackEnabled: true }));
    } catch (error) {
      const name = awsErrorName(error);
      if (name === 'DeploymentAlreadyCompletedException') return;
      throw mapAwsError(error, `CodeDeploy StopDeployment ${deploymentId} (${reason})`, (errorName) =>
        errorName === 'DeploymentDoesNotExistException' || errorName === 'InvalidDeploymentIdException'
          ? new MissingResourceError(
              `CodeDeploy deployment ${deploymentId} does not exist in this account and region.`,
            )
          : undefined,
      );
    }
  }

  private async waitForUpdate(FunctionName: string): Promise<void> {
    const maxWaitTime = this.options.updateTimeoutSeconds ?? 300;
    try {
      await waitUntilFunctionUpdatedV2({ client: this.lambda, maxWaitTime }, { FunctionName });
    } catch (error) {
      if (awsErrorName(error) === 'TimeoutError') {
        throw new TransientError(
          `Lambda function ${FunctionName} was still updating after ${maxWaitTime} s; retrying.`,
          { cause: error },
        );
      }
      throw new Error(`Lambda could not update the code of ${FunctionName}: ${updateFailureReason(error)}`, {
        cause: error,
      });
    }
  }
}

function missingFunction(FunctionName: string): MissingResourceError {
  return new MissingResourceError(
    `Lambda function ${FunctionName} does not exist; deploy the service stack (its SluiceService construct ` +
      'creates the function, its live alias and its CodeDeploy deployment group) before releasing.',
  );
}

/** The reason Lambda gave for a failed update, dug out of the waiter's error (its message is the JSON result). */
function updateFailureReason(error: unknown): string {
  const message = awsErrorMessage(error);
  try {
    const result = JSON.parse(message) as {
      reason?: { Configuration?: { LastUpdateStatusReason?: unknown } };
    };
    const reason = result.reason?.Configuration?.LastUpdateStatusReason;
    if (typeof reason === 'string' && reason) return reason;
  } catch {
    // Not the waiter's JSON: the message itself is the best we have.
  }
  return message;
}

/** The event a Lambda function URL sends (payload format 2.0), so the smoke test exercises the real handler path. */
export function smokeFunctionUrlEvent(functionName: string, request: HttpRequest): Record<string, unknown> {
  const [rawPath = '/', rawQueryString = ''] = request.path.split(/\?(.*)/s, 2);
  const now = new Date();
  const domainName = `${functionName}.smoke.sluice.invalid`;
  const headers: Record<string, string> = { host: domainName, 'user-agent': 'sluice-smoke' };
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  const query = new URLSearchParams(rawQueryString);
  const queryStringParameters = rawQueryString ? Object.fromEntries(query) : undefined;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: rawPath.startsWith('/') ? rawPath : `/${rawPath}`,
    rawQueryString,
    headers,
    ...(queryStringParameters ? { queryStringParameters } : {}),
    requestContext: {
      accountId: 'anonymous',
      apiId: 'sluice-smoke',
      domainName,
      domainPrefix: functionName,
      http: {
        method: request.method.toUpperCase(),
        path: rawPath.startsWith('/') ? rawPath : `/${rawPath}`,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'sluice-smoke',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    ...(request.body !== undefined ? { body: request.body } : {}),
    isBase64Encoded: false,
  };
}

/**
 * Interprets a handler's return value as a function URL does: `{ statusCode, body }` is a response; anything
 * else is a 200 whose body is the value as JSON.
 */
export function functionUrlResponse(payload: string): { statusCode: number; body: string } {
  let value: unknown;
  try {
    value = payload === '' ? null : JSON.parse(payload);
  } catch {
    return { statusCode: 200, body: payload };
  }
  if (typeof value === 'object' && value !== null && 'statusCode' in value) {
    const response = value as { statusCode: unknown; body?: unknown; isBase64Encoded?: unknown };
    const statusCode = Number(response.statusCode);
    let body = response.body === undefined ? '' : response.body;
    if (typeof body !== 'string') body = JSON.stringify(body);
    else if (response.isBase64Encoded === true) body = Buffer.from(body, 'base64').toString('utf8');
    return { statusCode: Number.isInteger(statusCode) ? statusCode : 502, body: body as string };
  }
  if (value === null) return { statusCode: 200, body: '' };
  return { statusCode: 200, body: typeof value === 'string' ? value : JSON.stringify(value) };
}

/** A handler's result from Invoke's payload: its JSON, the text itself if it is not JSON, undefined if empty. */
function parsePayload(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** `Unhandled` + `{"errorType":"TypeError","errorMessage":"x is undefined"}` → `TypeError: x is undefined`. */
function functionErrorText(functionError: string, payload: string): string {
  try {
    const parsed = JSON.parse(payload) as { errorType?: unknown; errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') {
      const type = typeof parsed.errorType === 'string' ? parsed.errorType : functionError;
      return `${type}: ${parsed.errorMessage}`;
    }
  } catch {
    // fall through
  }
  return payload ? `${functionError}: ${payload}` : functionError;
}

/**
 * The AppSpec for a Lambda traffic shift, as the JSON string CodeDeploy accepts, and its hex sha256.
 * `version` must read 0.0; JSON.stringify would write 0, so the envelope is written by hand.
 */
export function lambdaAppSpec(
  functionName: string,
  fromVersion: string,
  toVersion: string,
): { content: string; sha256: string } {
  const resources = [
    {
      [functionName]: {
        Type: 'AWS::Lambda::Function',
        Properties: {
          Name: functionName,
          Alias: LIVE_ALIAS,
          CurrentVersion: fromVersion,
          TargetVersion: toVersion,
        },
      },
    },
  ];
  const content = `{"version":0.0,"Resources":${JSON.stringify(resources)}}`;
  return { content, sha256: createHash('sha256').update(content, 'utf8').digest('hex') };
}

const STATUS: Record<string, DeploymentStatus> = {
  Created: 'InProgress',
  Queued: 'InProgress',
  InProgress: 'InProgress',
  Baking: 'InProgress',
  Ready: 'InProgress',
  Succeeded: 'Succeeded',
  Failed: 'Failed',
  Stopped: 'Stopped',
};

function describe(deploymentId: string, info: DeploymentInfo): DeploymentDescription {
  const status = STATUS[info.status ?? ''] ?? 'InProgress';
  const ended = status === 'Failed' || status === 'Stopped';
  // With auto-rollback, CodeDeploy starts a rollback deployment and links it here.
  const rolledBack = ended && Boolean(info.rollbackInfo?.rollbackDeploymentId);
  const reason = ended ? (info.errorInformation?.message ?? info.rollbackInfo?.rollbackMessage) : undefined;
  const alarm = ended
    ? parseAlarmName(info.errorInformation?.code, info.errorInformation?.message)
    : undefined;
  return {
    deploymentId,
    status,
    rolledBack,
    ...(reason ? { reason } : {}),
    ...(alarm ? { alarm } : {}),
  };
}

/**
 * CodeDeploy names the alarm only inside its error text (`... the following alarms were activated: name`, or
 * with the names in brackets); read it tolerantly and give up rather than guess.
 */
export function parseAlarmName(code: string | undefined, message: string | undefined): string | undefined {
  if (!message) return undefined;
  if (code !== 'ALARM_ACTIVE' && !/alarm[\s\S]*(activated|in alarm|alarm state)/i.test(message))
    return undefined;
  const listed = /alarms?(?:\(s\))?\b[^:]*:\s*(.+)/is.exec(message);
  if (listed?.[1]) {
    const first = listed[1]
      .replace(/^[\s["'`]+/, '')
      .split(/[,\]\n]/)[0]
      ?.replace(/[."'`\s]+$/, '');
    if (first) return first;
  }
  const quoted = /alarm[^"'`]*["'`]([^"'`]+)["'`]/i.exec(message);
  return quoted?.[1];
}
