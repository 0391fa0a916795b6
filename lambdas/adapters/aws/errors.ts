/**
 * Error mapping shared by the AWS adapters. No SDK imports here, so a Lambda bundle that uses one adapter does
 * not pull in the others' clients.
 */
import { TransientError } from '../../core/errors';

/**
 * The AWS resource an adapter needs does not exist (an S3 object, a Lambda function or alias, a CodeDeploy
 * deployment group, a secret). The message names it and says how to create it.
 */
export class MissingResourceError extends Error {
  override readonly name = 'MissingResourceError';
}

/**
 * SendTaskSuccess/SendTaskFailure was refused because the task token is no longer valid (the execution timed
 * out, was stopped, or the token was already used): the release has moved on without this answer.
 */
export class TaskTokenExpiredError extends Error {
  override readonly name = 'TaskTokenExpiredError';
}

/** What the SDK puts on a service exception; read defensively because anything can be thrown. */
interface AwsErrorShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
  readonly $fault?: unknown;
  readonly $retryable?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
}

function shape(error: unknown): AwsErrorShape {
  return typeof error === 'object' && error !== null ? (error as AwsErrorShape) : {};
}

/** The exception's name (`NoSuchKey`, `ResourceNotFoundException`), or '' when it has none. */
export function awsErrorName(error: unknown): string {
  const { name } = shape(error);
  return typeof name === 'string' ? name : '';
}

export function awsErrorMessage(error: unknown): string {
  const { message } = shape(error);
  return typeof message === 'string' && message ? message : String(error);
}

// Throttling and service-side names across the services Sluice calls (the SDK already retried these a few
// times before they reach us; the state machine's Retry backs off for longer).
const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ProvisionedThroughputExceededException',
  'EC2ThrottledException',
  'KMSThrottlingException',
  'ServiceException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalError',
  'InternalErrorException',
  'InternalFailure',
  'InternalServerError',
  'InternalServiceError',
  'InternalServiceErrorException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND']);

/** Throttling, a 5xx, or a dropped connection: worth retrying later. */
export function isTransientAwsError(error: unknown): boolean {
  const e = shape(error);
  if (TRANSIENT_NAMES.has(awsErrorName(error))) return true;
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  if (e.$fault === 'server') return true;
  const status = e.$metadata?.httpStatusCode;
  return typeof status === 'number' && (status >= 500 || status === 429);
}

/**
 * Returns the error to throw for an SDK failure: the mapped named error when `mapped` gives one, a
 * TransientError for throttling/5xx, else the original error unchanged (so its name still says what AWS said).
 */
export function mapAwsError(
  error: unknown,
  action: string,
  mapped?: (name: string) => Error | undefined,
): unknown {
  const named = mapped?.(awsErrorName(error));
  if (named) return named;
  if (isTransientAwsError(error)) {
    const label = awsErrorName(error) || 'an error';
    return new TransientError(
      `${action} failed with ${label} (${awsErrorMessage(error)}); retrying is safe`,
      {
        cause: error,
      },
    );
  }
  return error;
}

/** Cuts `text` to at most `max` UTF-16 units, marking the cut and never splitting a surrogate pair. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const marker = '…';
  let cut = text.slice(0, max - marker.length);
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  return cut + marker;
}
