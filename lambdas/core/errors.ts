/**
 * Named errors. Their `name` is what the state machine's Retry and Catch match (`ErrorEquals`), so renaming
 * one is a breaking change to the definition in lib/release-state-machine.ts.
 */
abstract class SluiceError extends Error {
  abstract override readonly name: string;
}

/** Worth retrying: throttling, a dropped connection. The state machine retries it with backoff. */
export class TransientError extends SluiceError {
  override readonly name = 'TransientError';
}

export class UnknownServiceError extends SluiceError {
  override readonly name = 'UnknownServiceError';
}

export class InvalidReleaseRequestError extends SluiceError {
  override readonly name = 'InvalidReleaseRequestError';
}

/**
 * A push names a commit that is live or was released already (a replayed delivery, once Step Functions' 90-day
 * execution-name window has passed): only an explicit `sluice release` releases it again.
 */
export class StalePushError extends SluiceError {
  override readonly name = 'StalePushError';
}

export class SourceNotFoundError extends SluiceError {
  override readonly name = 'SourceNotFoundError';
}

/** The source host refused the credentials Sluice holds for it (a GitHub token that is wrong or lacks access). */
export class SourceAccessDeniedError extends SluiceError {
  override readonly name = 'SourceAccessDeniedError';
}

export class EntryPointNotFoundError extends SluiceError {
  override readonly name = 'EntryPointNotFoundError';
}

export class BuildFailedError extends SluiceError {
  override readonly name = 'BuildFailedError';
}

/**
 * The service's npm dependencies could not be installed at Build: no lockfile, one out of sync, a lockfile npm
 * does not read, an install script the catalog does not allow, an unreachable registry, a missing package.
 */
export class DependencyInstallError extends SluiceError {
  override readonly name = 'DependencyInstallError';
}

/** A bundled package's licence is one the catalog refuses (`dependencies.deniedLicenses`). */
export class DeniedLicenseError extends SluiceError {
  override readonly name = 'DeniedLicenseError';
}

/** `npm audit` reported advisories at or above the catalog's `dependencies.auditLevel`. */
export class VulnerableDependencyError extends SluiceError {
  override readonly name = 'VulnerableDependencyError';
}

export class TestsFailedError extends SluiceError {
  override readonly name = 'TestsFailedError';
}

export class SmokeTestFailedError extends SluiceError {
  override readonly name = 'SmokeTestFailedError';
}

export class DeploymentFailedError extends SluiceError {
  override readonly name = 'DeploymentFailedError';
}

/** Sent with SendTaskFailure when a deployment's alarm fired and traffic went back to the previous version. */
export class DeploymentRolledBackError extends SluiceError {
  override readonly name = 'DeploymentRolledBack';
}

/** Preflight found the service's alarms already in ALARM: nothing was deployed (recorded as `blocked`). */
export class PreflightBlockedError extends SluiceError {
  override readonly name = 'PreflightBlocked';
}

/** A rollback that cannot run: unknown service, a target never deployed, another deployment holding the lock. */
export class RollbackRefusedError extends SluiceError {
  override readonly name = 'RollbackRefusedError';
}

export class ApprovalError extends SluiceError {
  override readonly name = 'ApprovalError';
}

/** SendTaskFailure name when an approval request expired undecided: the release is recorded as expired. */
export class ApprovalExpiredError extends SluiceError {
  override readonly name = 'ApprovalExpired';
}

/** SendTaskFailure name when a newer release of the service reached the gate: recorded as superseded. */
export class ApprovalSupersededError extends SluiceError {
  override readonly name = 'ApprovalSuperseded';
}

/** SendTaskFailure / StopExecution error when a person cancels a release (`sluice cancel`): recorded as cancelled. */
export class ReleaseCancelledError extends SluiceError {
  override readonly name = 'ReleaseCancelled';
}

/** Error names the state machine retries with backoff (Lambda's own transient errors plus ours). */
export const RETRYABLE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'TransientError',
] as const;
