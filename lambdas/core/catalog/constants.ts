/** What a catalog may hold: its enumerations, name patterns and documented defaults. */
import type {
  ApprovalChannel,
  ApprovalPolicy,
  CatalogMode,
  DeployConfig,
  HttpSmokeConfig,
  RuntimeConfig,
  SourceConfig,
  SourceProvider,
} from './types';

export const RELEASE_MODES: readonly CatalogMode[] = ['delivery', 'deployment', 'auto'];
export const SOURCE_PROVIDERS: readonly SourceProvider[] = ['codecommit', 'github'];
export const APPROVAL_CHANNELS: readonly ApprovalChannel[] = ['email', 'slack'];
export const SMOKE_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD'] as const;
export const ENTRY_EXTENSIONS = ['.ts', '.js', '.mjs', '.cjs', '.mts', '.cts'] as const;

/** 2-40 characters: `sluice-<name>` must fit AWS's 64-character limit on function and alarm names, with room for suffixes. */
export const SERVICE_NAME_PATTERN = /^[a-z][a-z0-9-]{0,38}[a-z0-9]$/;
export const CODECOMMIT_REPOSITORY = /^[\w.-]{1,100}$/;
export const GITHUB_REPOSITORY = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[\w.-]{1,100}$/;
export const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
export const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** The values types.ts documents with @default. */
export const CATALOG_DEFAULTS = {
  source: { provider: 'codecommit', branch: 'main', path: '.' },
  runtime: { handler: 'handler', tests: 'test' },
  smoke: { path: '/', method: 'GET', expectStatus: 200 },
  approval: { required: 1, expiresAfterHours: 72, channels: ['email'] },
  deploy: { strategy: 'Canary10Percent5Minutes', alarms: { errorRatePercent: 5, p99LatencyMs: 1000 } },
} as const satisfies {
  source: Pick<SourceConfig, 'provider' | 'branch' | 'path'>;
  runtime: Pick<RuntimeConfig, 'handler' | 'tests'>;
  smoke: HttpSmokeConfig;
  approval: Omit<ApprovalPolicy, 'approvers'>;
  deploy: DeployConfig;
};

/** The longest approval (7 days); the RequestApproval task's timeout (RELEASE_TIMEOUTS.requestApproval) lies above it. */
export const MAX_EXPIRY_HOURS = 168;
