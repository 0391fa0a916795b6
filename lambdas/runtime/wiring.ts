/**
 * How a handler gets its ports. In Lambda, each handler builds its AWS adapters once, lazily, at module
 * scope. The local runtime registers local implementations before it invokes the same handler modules.
 */

import type {
  ArtifactStore,
  CatalogStore,
  Clock,
  DeployTarget,
  ExecutionStarter,
  ExpiryScheduler,
  Notifier,
  PushPublisher,
  ReleaseMetricsSink,
  ServiceAlarms,
  SigningKeyProvider,
  SlackChannel,
  SourceRepository,
  TaskCallbacks,
} from '../core/ports';
import type { Ledger } from '../ledger/ledger';

export interface Ports {
  readonly catalog: CatalogStore;
  readonly source: SourceRepository;
  readonly artifacts: ArtifactStore;
  readonly deployTarget: DeployTarget;
  readonly alarms: ServiceAlarms;
  readonly tasks: TaskCallbacks;
  readonly notifier: Notifier;
  readonly signingKeys: SigningKeyProvider;
  readonly ledger: Ledger;
  readonly releaseMetrics: ReleaseMetricsSink;
  readonly clock: Clock;
  /** Scratch space for checkouts and bundles (/tmp in Lambda). */
  readonly workDir: string;
  /** Base URL of the approval page, e.g. https://abc.lambda-url.us-east-1.on.aws */
  readonly approvalBaseUrl: string;
  /** StartExecution of the release state machine (the router). */
  readonly executions: ExecutionStarter;
  /** The Sluice event bus (the GitHub webhook puts pushes on it). */
  readonly pushes: PushPublisher;
  /** The GitHub webhook's shared secret. */
  readonly webhookSecret: SigningKeyProvider;
  /** Schedules each approval request's expiry. */
  readonly expiryScheduler: ExpiryScheduler;
  readonly slack: SlackChannel;
  /**
   * Time compression of approval expiry: 1 in AWS; the local runtime's timeScale, so 72 h last 72 min at 60.
   */
  readonly timeScale: number;
}

let localPorts: Ports | undefined;

/** Called by the local runtime before it invokes any handler. */
export function useLocalPorts(ports: Ports | undefined): void {
  localPorts = ports;
}

/**
 * Returns a getter for the ports a handler needs: the local ones when registered, else the AWS defaults,
 * built on first use and kept for the life of the Lambda container.
 */
export function portsFor<K extends keyof Ports>(awsDefaults: () => Pick<Ports, K>): () => Pick<Ports, K> {
  let built: Pick<Ports, K> | undefined;
  return () => {
    if (localPorts) return localPorts;
    built ??= awsDefaults();
    return built;
  };
}

/** Reads a required environment variable, naming it when missing. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(
      `Environment variable ${name} is not set; the Sluice construct sets it on every handler.`,
    );
  return value;
}
