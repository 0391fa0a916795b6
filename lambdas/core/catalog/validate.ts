/**
 * Validates a parsed catalog by hand (no schema library: the Lambda handlers bundle this file) and fills the
 * defaults documented in types.ts. Every problem is collected, so one run tells the author everything to fix.
 */
import { UnknownServiceError } from '../errors';
import {
  type FreezePeriod,
  isValidTimeZone,
  minutesOf,
  type ReleaseWindow,
  WEEKDAYS,
} from '../release-windows';
import {
  ALARM_DIRECTIONS,
  type AlarmConfig,
  type ApprovalChannel,
  type ApprovalPolicy,
  type BusinessAlarmConfig,
  type Catalog,
  type CatalogMode,
  type CatalogProblem,
  DEPLOY_STRATEGIES,
  type DeployConfig,
  type DeployStrategy,
  METRIC_STATISTICS,
  type ReadinessConfig,
  type RuntimeConfig,
  type ServiceConfig,
  type SmokeConfig,
  type SourceConfig,
  type SourceProvider,
  type TrafficRequest,
} from './types';

export type CatalogResult = { ok: true; catalog: Catalog } | { ok: false; problems: CatalogProblem[] };

export const RELEASE_MODES: readonly CatalogMode[] = ['delivery', 'deployment', 'auto'];
export const SOURCE_PROVIDERS: readonly SourceProvider[] = ['codecommit', 'github'];
export const APPROVAL_CHANNELS: readonly ApprovalChannel[] = ['email', 'slack'];
export const SMOKE_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD'] as const;
export const ENTRY_EXTENSIONS = ['.ts', '.js', '.mjs', '.cjs', '.mts', '.cts'] as const;

/** 2-40 characters: `sluice-<name>` must fit AWS's 64-character limit on function and alarm names, with room for suffixes. */
export const SERVICE_NAME_PATTERN = /^[a-z][a-z0-9-]{0,38}[a-z0-9]$/;
const CODECOMMIT_REPOSITORY = /^[\w.-]{1,100}$/;
const GITHUB_REPOSITORY = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[\w.-]{1,100}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

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
  smoke: SmokeConfig;
  approval: Omit<ApprovalPolicy, 'approvers'>;
  deploy: DeployConfig;
};

/** The longest approval (7 days); the RequestApproval task's timeout (RELEASE_TIMEOUTS.requestApproval) lies above it. */
export const MAX_EXPIRY_HOURS = 168;

// ---------------------------------------------------------------------------------------------------------
// Suggestions

/** Optimal string alignment distance: Levenshtein plus adjacent transpositions (`stratgey` is one edit away). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/** The candidate closest to `word` (case-insensitive), if it is close enough to be a plausible typo. */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const allowed = Math.max(1, Math.floor(word.length / 4));
  return bestDistance <= allowed ? best : undefined;
}

function didYouMean(word: unknown, candidates: readonly string[]): string {
  if (typeof word !== 'string') return '';
  const match = closestMatch(word, candidates);
  return match !== undefined && match !== word ? `; did you mean \`${match}\`?` : '';
}

// ---------------------------------------------------------------------------------------------------------
// Problems and paths

const MAX_RECEIVED = 120;

/** The value as the problem shows it: JSON, shortened, `undefined` when missing. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  text ??= String(value);
  return text.length > MAX_RECEIVED ? `${text.slice(0, MAX_RECEIVED - 1)}…` : text;
}

function childPath(path: string, key: string): string {
  if (!/^[A-Za-z_$][\w$]*$/.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path === '' ? key : `${path}.${key}`;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** Collects problems; the readers return a placeholder when a value is wrong, since any problem discards the result. */
class Checker {
  readonly problems: CatalogProblem[] = [];

  add(path: string, value: unknown, fix: string): void {
    this.problems.push({ path: path === '' ? '(root)' : path, received: describeValue(value), fix });
  }

  /** An object with only `allowed` keys; undefined when missing or not an object. */
  object(
    value: unknown,
    path: string,
    allowed: readonly string[],
    missingFix: string | undefined,
  ): Json | undefined {
    if (value === undefined) {
      if (missingFix !== undefined) this.add(path, value, missingFix);
      return undefined;
    }
    if (!isObject(value)) {
      this.add(path, value, `use an object ({ ... }), not ${kindOf(value)}`);
      return undefined;
    }
    for (const [key, child] of Object.entries(value)) {
      if (allowed.includes(key)) continue;
      const suggestion = closestMatch(key, allowed);
      const fix =
        suggestion !== undefined
          ? `unknown key; did you mean \`${suggestion}\`?`
          : `unknown key; remove it (allowed here: ${allowed.join(', ')})`;
      this.add(childPath(path, key), child, fix);
    }
    return value;
  }

  /**
   * A string field. `problem` returns the fix when the (non-empty) string is unacceptable.
   * Missing: the default, or a problem with `missingFix` when there is no default.
   */
  string(
    parent: Json,
    key: string,
    path: string,
    options: { default?: string; missingFix?: string; problem?: (value: string) => string | undefined },
  ): string {
    const at = childPath(path, key);
    const value = parent[key];
    if (value === undefined) {
      if (options.default !== undefined) return options.default;
      this.add(at, value, options.missingFix ?? 'add it');
      return '';
    }
    if (typeof value !== 'string' || value.trim() === '') {
      this.add(
        at,
        value,
        typeof value === 'string' ? 'use a non-empty string' : `use a string, not ${kindOf(value)}`,
      );
      return '';
    }
    const fix = options.problem?.(value);
    if (fix !== undefined) {
      this.add(at, value, fix);
      return '';
    }
    return value;
  }

  oneOf<T extends string>(
    parent: Json,
    key: string,
    path: string,
    options: readonly T[],
    fallback: T | undefined,
    missingFix?: string,
  ): T {
    const at = childPath(path, key);
    const value = parent[key];
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value === 'string' && (options as readonly string[]).includes(value)) return value as T;
    if (value === undefined && missingFix !== undefined) {
      this.add(at, value, missingFix);
    } else {
      this.add(at, value, `use one of ${options.join(', ')}${didYouMean(value, options)}`);
    }
    return options[0];
  }

  number(
    parent: Json,
    key: string,
    path: string,
    options: { default: number; integer?: boolean; accept: (n: number) => boolean; fix: string },
  ): number {
    const at = childPath(path, key);
    const value = parent[key];
    if (value === undefined) return options.default;
    const ok =
      typeof value === 'number' &&
      Number.isFinite(value) &&
      (!options.integer || Number.isInteger(value)) &&
      options.accept(value);
    if (!ok) {
      this.add(at, value, options.fix);
      return options.default;
    }
    return value;
  }

  /** An array field; undefined (after reporting) when it is not a non-empty array. */
  array(
    parent: Json,
    key: string,
    path: string,
    options: { missingFix?: string; emptyFix: string },
  ): unknown[] | undefined {
    const at = childPath(path, key);
    const value = parent[key];
    if (value === undefined) {
      if (options.missingFix !== undefined) this.add(at, value, options.missingFix);
      return undefined;
    }
    if (!Array.isArray(value)) {
      this.add(at, value, `use an array ([ ... ]), not ${kindOf(value)}`);
      return undefined;
    }
    if (value.length === 0) {
      this.add(at, value, options.emptyFix);
      return undefined;
    }
    return value;
  }
}

/** Why a repository-relative path is unacceptable, or undefined when it is fine. */
function relativePathProblem(value: string): string | undefined {
  if (/^([/\\]|[A-Za-z]:)/.test(value))
    return 'use a path relative to the repository root (no leading / or drive letter)';
  if (value.split(/[/\\]/).includes('..')) return 'remove `..`: the path must stay inside the repository';
  if (/[\0\r\n]/.test(value)) return 'remove control characters from the path';
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Sections

const CATALOG_KEYS = ['$schema', 'version', 'services'] as const;
const SERVICE_KEYS = [
  'name',
  'mode',
  'source',
  'runtime',
  'smoke',
  'approval',
  'deploy',
  'readiness',
] as const;

const READINESS_KEYS = [
  'minCleanReleases',
  'maxChangeFailureRate',
  'maxTimeToRestoreMinutes',
  'minShadowAgreement',
  'window',
  'rubberStampSeconds',
] as const;

function checkReadiness(c: Checker, value: unknown, path: string): ReadinessConfig | undefined {
  const o = c.object(value, path, READINESS_KEYS, undefined);
  if (!o) return undefined;
  const count = (key: (typeof READINESS_KEYS)[number], min: number, max: number, fallback: number) =>
    c.number(o, key, path, {
      default: fallback,
      integer: true,
      accept: (n) => n >= min && n <= max,
      fix: `use a whole number from ${min} to ${max}`,
    });
  const ratio = (key: (typeof READINESS_KEYS)[number], fallback: number) =>
    c.number(o, key, path, {
      default: fallback,
      accept: (n) => n >= 0 && n <= 1,
      fix: 'use a fraction from 0 to 1, e.g. 0.15 for 15%',
    });
  return {
    minCleanReleases: count('minCleanReleases', 1, 1000, 5),
    maxChangeFailureRate: ratio('maxChangeFailureRate', 0.15),
    maxTimeToRestoreMinutes: count('maxTimeToRestoreMinutes', 1, 10_080, 60),
    minShadowAgreement: ratio('minShadowAgreement', 0.8),
    window: count('window', 1, 1000, 20),
    rubberStampSeconds: count('rubberStampSeconds', 1, 86_400, 120),
  };
}
const SOURCE_KEYS = ['repository', 'provider', 'branch', 'path', 'localPath', 'paths'] as const;
const RUNTIME_KEYS = ['entry', 'handler', 'tests'] as const;
const SMOKE_KEYS = ['path', 'method', 'expectStatus'] as const;
const APPROVAL_KEYS = [
  'approvers',
  'required',
  'expiresAfterHours',
  'channels',
  'slackUserIds',
  'windows',
  'freezes',
] as const;
const WINDOW_KEYS = ['days', 'start', 'end', 'timeZone'] as const;
const FREEZE_KEYS = ['from', 'to', 'reason'] as const;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function checkWindows(c: Checker, parent: Json, path: string): ReleaseWindow[] | undefined {
  const raw = c.array(parent, 'windows', path, { emptyFix: 'list at least one window, or remove `windows`' });
  if (!raw) return undefined;
  return raw.map((value, i) => {
    const at = `${childPath(path, 'windows')}[${i}]`;
    const o =
      c.object(
        value,
        at,
        WINDOW_KEYS,
        'use { "days": ["Mon"], "start": "09:00", "end": "16:00", "timeZone": "Europe/Berlin" }',
      ) ?? {};
    const days =
      c.array(o, 'days', at, {
        missingFix: `add the days, e.g. ["Mon","Tue","Wed","Thu"]`,
        emptyFix: `list at least one of ${WEEKDAYS.join(', ')}`,
      }) ?? [];
    days.forEach((day, j) => {
      if (typeof day !== 'string' || !(WEEKDAYS as readonly string[]).includes(day))
        c.add(`${at}.days[${j}]`, day, `use one of ${WEEKDAYS.join(', ')}${didYouMean(day, WEEKDAYS)}`);
    });
    const time = (key: 'start' | 'end') =>
      c.string(o, key, at, {
        missingFix: `add the ${key} time as HH:MM (24 h)`,
        problem: (v) =>
          Number.isNaN(minutesOf(v)) ? 'use HH:MM on a 24-hour clock, e.g. "09:00"' : undefined,
      });
    const start = time('start');
    const end = time('end');
    if (start && end && minutesOf(end) <= minutesOf(start))
      c.add(childPath(at, 'end'), end, `use a time after start (${start})`);
    const timeZone = c.string(o, 'timeZone', at, {
      missingFix: 'add an IANA time zone, e.g. "Europe/Berlin" or "UTC"',
      problem: (v) =>
        isValidTimeZone(v) ? undefined : 'use an IANA time zone name, e.g. "Europe/Berlin" or "UTC"',
    });
    return { days: days as string[], start, end, timeZone };
  });
}

function checkFreezes(c: Checker, parent: Json, path: string): FreezePeriod[] | undefined {
  const raw = c.array(parent, 'freezes', path, { emptyFix: 'list at least one freeze, or remove `freezes`' });
  if (!raw) return undefined;
  return raw.map((value, i) => {
    const at = `${childPath(path, 'freezes')}[${i}]`;
    const o =
      c.object(
        value,
        at,
        FREEZE_KEYS,
        'use { "from": "2026-12-20T00:00Z", "to": "2027-01-04T00:00Z", "reason": "year-end freeze" }',
      ) ?? {};
    const stamp = (key: 'from' | 'to') =>
      c.string(o, key, at, {
        missingFix: 'add an ISO 8601 time with a zone, e.g. "2026-12-20T00:00Z"',
        problem: (v) =>
          ISO_TIME.test(v) && !Number.isNaN(Date.parse(v))
            ? undefined
            : 'use an ISO 8601 time with a zone, e.g. "2026-12-20T00:00Z"',
      });
    const from = stamp('from');
    const to = stamp('to');
    if (from && to && Date.parse(to) <= Date.parse(from))
      c.add(childPath(at, 'to'), to, `use a time after from (${from})`);
    const reason = c.string(o, 'reason', at, {
      missingFix: 'say why, e.g. "year-end freeze": it is shown to approvers',
    });
    return { from, to, reason };
  });
}

function checkSlackUserIds(c: Checker, parent: Json, path: string, approvers: readonly string[]) {
  const at = childPath(path, 'slackUserIds');
  const o = parent.slackUserIds;
  if (!isObject(o)) {
    c.add(
      at,
      o,
      'use an object mapping approver emails to Slack user ids, e.g. { "alice@example.com": "U012AB3CD" }',
    );
    return undefined;
  }
  const ids: Record<string, string> = {};
  for (const [email, id] of Object.entries(o)) {
    if (!approvers.some((a) => a.toLowerCase() === email.toLowerCase()))
      c.add(childPath(at, email), id, `map only approvers (${approvers.join(', ')}) to Slack user ids`);
    else if (typeof id !== 'string' || !/^[UW][A-Z0-9]{2,20}$/.test(id))
      c.add(childPath(at, email), id, 'use a Slack user id such as "U012AB3CD" (profile → Copy member ID)');
    else ids[email] = id;
  }
  return ids;
}
const DEPLOY_KEYS = ['strategy', 'alarms', 'traffic'] as const;
const ALARM_KEYS = ['errorRatePercent', 'p99LatencyMs', 'business'] as const;
const BUSINESS_KEYS = [
  'namespace',
  'metricName',
  'dimensions',
  'statistic',
  'threshold',
  'direction',
  'periods',
] as const;
const TRAFFIC_KEYS = ['method', 'path', 'body'] as const;
/** CloudWatch namespaces: no leading colon, not AWS/ (those are AWS's own), 1-255 characters. */
const METRIC_NAMESPACE = /^(?!AWS\/)[A-Za-z0-9./#:_-][A-Za-z0-9./#:_ -]{0,254}$/;
const METRIC_NAME = /^[^\s:][^:]{0,254}$/;

function checkSource(c: Checker, value: unknown, path: string): SourceConfig {
  const o =
    c.object(value, path, SOURCE_KEYS, 'add a source block, e.g. { "repository": "my-service" }') ?? {};
  const provider = c.oneOf(o, 'provider', path, SOURCE_PROVIDERS, CATALOG_DEFAULTS.source.provider);
  const providerValid = o.provider === undefined || provider === o.provider;
  const repository = c.string(o, 'repository', path, {
    missingFix: 'add the repository: a CodeCommit repository name, or `owner/name` with "provider": "github"',
    problem: (repo) => {
      if (!providerValid) return undefined; // Its format depends on the provider, which is already reported.
      if (provider === 'github') {
        return GITHUB_REPOSITORY.test(repo)
          ? undefined
          : 'use `owner/name` for a GitHub repository, e.g. "acme/greeter"';
      }
      if (CODECOMMIT_REPOSITORY.test(repo)) return undefined;
      const hint = repo.includes('/') ? '; for a GitHub repository set "provider": "github"' : '';
      return `use a CodeCommit repository name: 1-100 letters, digits, '.', '_' or '-'${hint}`;
    },
  });
  const branch = c.string(o, 'branch', path, {
    default: CATALOG_DEFAULTS.source.branch,
    problem: (b) => {
      if (b.startsWith('refs/'))
        return `use the branch name without the refs/heads/ prefix, e.g. "${b.replace(/^refs\/(heads\/)?/, '')}"`;
      if (/\s/.test(b) || b.includes('..') || b.startsWith('-'))
        return 'use a valid git branch name, e.g. "main"';
      return undefined;
    },
  });
  const servicePath = c.string(o, 'path', path, {
    default: CATALOG_DEFAULTS.source.path,
    problem: relativePathProblem,
  });
  const localPath = o.localPath === undefined ? undefined : c.string(o, 'localPath', path, {});
  const paths = o.paths === undefined ? undefined : checkPathGlobs(c, o.paths, childPath(path, 'paths'));
  return {
    repository,
    provider,
    branch,
    path: servicePath,
    ...(localPath !== undefined ? { localPath } : {}),
    ...(paths !== undefined ? { paths } : {}),
  };
}

/** `source.paths`: a non-empty list of relative globs. */
function checkPathGlobs(c: Checker, value: unknown, path: string): string[] | undefined {
  if (!Array.isArray(value) || value.length === 0) {
    c.add(
      path,
      value,
      'use a non-empty array of globs relative to the repository root, e.g. ["services/api/**"]',
    );
    return undefined;
  }
  const globs: string[] = [];
  value.forEach((glob, i) => {
    const problem =
      typeof glob !== 'string' || glob.trim() === ''
        ? 'use a glob string, e.g. "services/api/**"'
        : relativePathProblem(glob.replace(/^!/, ''));
    if (problem !== undefined) c.add(`${path}[${i}]`, glob, problem);
    else globs.push(glob as string);
  });
  return globs.length === value.length ? globs : undefined;
}

function checkRuntime(c: Checker, value: unknown, path: string): RuntimeConfig {
  const o =
    c.object(value, path, RUNTIME_KEYS, 'add a runtime block, e.g. { "entry": "src/handler.ts" }') ?? {};
  const entry = c.string(o, 'entry', path, {
    missingFix: 'add the handler source file, relative to source.path, e.g. "src/handler.ts"',
    problem: (file) =>
      relativePathProblem(file) ??
      (ENTRY_EXTENSIONS.some((ext) => file.endsWith(ext))
        ? undefined
        : `use a source file ending in ${ENTRY_EXTENSIONS.join(', ')}`),
  });
  const handler = c.string(o, 'handler', path, {
    default: CATALOG_DEFAULTS.runtime.handler,
    problem: (name) =>
      IDENTIFIER.test(name) ? undefined : 'use the name of the exported function, e.g. "handler"',
  });
  const tests = c.string(o, 'tests', path, {
    default: CATALOG_DEFAULTS.runtime.tests,
    problem: relativePathProblem,
  });
  return { entry, handler, tests };
}

function checkSmoke(c: Checker, value: unknown, path: string): SmokeConfig {
  const o = c.object(value, path, SMOKE_KEYS, undefined) ?? {};
  const smokePath = c.string(o, 'path', path, {
    default: CATALOG_DEFAULTS.smoke.path,
    problem: (p) =>
      p.startsWith('/') && !/\s/.test(p)
        ? undefined
        : 'use a URL path starting with /, e.g. "/" or "/health"',
  });
  const method = c.oneOf(o, 'method', path, SMOKE_METHODS, CATALOG_DEFAULTS.smoke.method);
  const expectStatus = c.number(o, 'expectStatus', path, {
    default: CATALOG_DEFAULTS.smoke.expectStatus,
    integer: true,
    accept: (n) => n >= 100 && n <= 599,
    fix: 'use an HTTP status code from 100 to 599, e.g. 200',
  });
  return { path: smokePath, method, expectStatus };
}

function checkApproval(c: Checker, value: unknown, path: string): ApprovalPolicy {
  const o = c.object(value, path, APPROVAL_KEYS, undefined) ?? {};
  const approversPath = childPath(path, 'approvers');
  const list = c.array(o, 'approvers', path, {
    missingFix: 'list the email addresses of the people allowed to approve, e.g. ["alice@example.com"]',
    emptyFix: 'list at least one approver email address',
  });
  const approvers: string[] = [];
  const seen = new Map<string, number>();
  list?.forEach((approver, i) => {
    const at = `${approversPath}[${i}]`;
    if (typeof approver !== 'string' || !EMAIL.test(approver)) {
      c.add(at, approver, 'use an email address, e.g. "alice@example.com"');
      return;
    }
    const key = approver.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) {
      c.add(at, approver, `already listed as approvers[${first}]; remove the duplicate`);
      return;
    }
    seen.set(key, i);
    approvers.push(approver);
  });
  // Only a fully valid list gives a trustworthy upper bound for `required`.
  const count = list !== undefined && approvers.length === list.length ? approvers.length : undefined;
  const required = c.number(o, 'required', path, {
    default: CATALOG_DEFAULTS.approval.required,
    integer: true,
    accept: (n) => n >= 1 && (count === undefined || n <= count),
    fix:
      count === undefined
        ? 'use a whole number of approvals, at least 1'
        : `use a whole number from 1 to ${count} (the number of approvers)`,
  });
  const expiresAfterHours = c.number(o, 'expiresAfterHours', path, {
    default: CATALOG_DEFAULTS.approval.expiresAfterHours,
    integer: true,
    accept: (n) => n >= 1 && n <= MAX_EXPIRY_HOURS,
    fix: `use a whole number of hours from 1 to ${MAX_EXPIRY_HOURS} (7 days)`,
  });
  const channelsPath = childPath(path, 'channels');
  let channels: ApprovalChannel[] = [...CATALOG_DEFAULTS.approval.channels];
  if (o.channels !== undefined) {
    channels = [];
    const raw = c.array(o, 'channels', path, {
      emptyFix: `list at least one of ${APPROVAL_CHANNELS.join(', ')}`,
    });
    raw?.forEach((channel, i) => {
      const at = `${channelsPath}[${i}]`;
      if (typeof channel !== 'string' || !(APPROVAL_CHANNELS as readonly string[]).includes(channel)) {
        c.add(
          at,
          channel,
          `use one of ${APPROVAL_CHANNELS.join(', ')}${didYouMean(channel, APPROVAL_CHANNELS)}`,
        );
      } else if (channels.includes(channel as ApprovalChannel)) {
        c.add(at, channel, `already listed as channels[${raw.indexOf(channel)}]; remove the duplicate`);
      } else {
        channels.push(channel as ApprovalChannel);
      }
    });
  }
  const slackUserIds = o.slackUserIds === undefined ? undefined : checkSlackUserIds(c, o, path, approvers);
  const windows = o.windows === undefined ? undefined : checkWindows(c, o, path);
  const freezes = o.freezes === undefined ? undefined : checkFreezes(c, o, path);
  return {
    approvers,
    required,
    expiresAfterHours,
    channels,
    ...(slackUserIds ? { slackUserIds } : {}),
    ...(windows ? { windows } : {}),
    ...(freezes ? { freezes } : {}),
  };
}

function checkDeploy(c: Checker, value: unknown, path: string): DeployConfig {
  const o = c.object(value, path, DEPLOY_KEYS, undefined) ?? {};
  let strategy: DeployStrategy = CATALOG_DEFAULTS.deploy.strategy;
  const raw = o.strategy;
  const prefixed = typeof raw === 'string' ? /^CodeDeployDefault\.Lambda(.+)$/.exec(raw)?.[1] : undefined;
  if (prefixed !== undefined && (DEPLOY_STRATEGIES as readonly string[]).includes(prefixed)) {
    c.add(childPath(path, 'strategy'), raw, `drop the CodeDeployDefault.Lambda prefix: use "${prefixed}"`);
  } else {
    strategy = c.oneOf(o, 'strategy', path, DEPLOY_STRATEGIES, CATALOG_DEFAULTS.deploy.strategy);
  }
  const alarmsPath = childPath(path, 'alarms');
  const a = c.object(o.alarms, alarmsPath, ALARM_KEYS, undefined) ?? {};
  const alarms: AlarmConfig = {
    errorRatePercent: c.number(a, 'errorRatePercent', alarmsPath, {
      default: CATALOG_DEFAULTS.deploy.alarms.errorRatePercent,
      accept: (n) => n > 0 && n <= 100,
      fix: 'use a percentage greater than 0 and at most 100, e.g. 5',
    }),
    p99LatencyMs: c.number(a, 'p99LatencyMs', alarmsPath, {
      default: CATALOG_DEFAULTS.deploy.alarms.p99LatencyMs,
      accept: (n) => n > 0,
      fix: 'use a number of milliseconds greater than 0, e.g. 1000',
    }),
  };
  const business = checkBusinessAlarm(c, a.business, childPath(alarmsPath, 'business'));
  const traffic = checkTraffic(c, o.traffic, childPath(path, 'traffic'));
  return {
    strategy,
    alarms: business ? { ...alarms, business } : alarms,
    ...(traffic ? { traffic } : {}),
  };
}

function checkBusinessAlarm(c: Checker, value: unknown, path: string): BusinessAlarmConfig | undefined {
  if (value === undefined) return undefined;
  const o = c.object(value, path, BUSINESS_KEYS, undefined);
  if (!o) return undefined;
  const namespace = c.string(o, 'namespace', path, {
    missingFix: 'add the CloudWatch namespace the service emits the metric in, e.g. "Checkout"',
    problem: (ns) =>
      METRIC_NAMESPACE.test(ns)
        ? undefined
        : 'use your own namespace (1-255 letters, digits, . / # : _ - or spaces; not AWS/…), e.g. "Checkout"',
  });
  const metricName = c.string(o, 'metricName', path, {
    missingFix: 'add the name of the metric the service emits, e.g. "OrdersCompleted"',
    problem: (name) => (METRIC_NAME.test(name) ? undefined : 'use 1-255 characters without ":"'),
  });
  const dimensions: Record<string, string> = {};
  const dimensionsPath = childPath(path, 'dimensions');
  if (o.dimensions !== undefined) {
    if (!isObject(o.dimensions)) {
      c.add(
        dimensionsPath,
        o.dimensions,
        'use an object of dimension name to value, e.g. { "Service": "checkout" }',
      );
    } else {
      for (const [key, dim] of Object.entries(o.dimensions)) {
        if (typeof dim !== 'string' || dim === '') {
          c.add(childPath(dimensionsPath, key), dim, 'use a non-empty string value');
        } else dimensions[key] = dim;
      }
    }
  }
  const statistic = c.oneOf(o, 'statistic', path, METRIC_STATISTICS, 'Sum');
  const direction = c.oneOf(
    o,
    'direction',
    path,
    ALARM_DIRECTIONS,
    undefined,
    'add "direction": "below" (alarm when the metric drops under the threshold) or "above"',
  );
  const threshold = c.number(o, 'threshold', path, {
    default: Number.NaN,
    accept: () => true,
    fix: 'use a number, e.g. 1',
  });
  if (o.threshold === undefined)
    c.add(childPath(path, 'threshold'), undefined, 'add the threshold, a number');
  const periods = c.number(o, 'periods', path, {
    default: 1,
    integer: true,
    accept: (n) => n >= 1 && n <= 60,
    fix: 'use a whole number of one-minute periods from 1 to 60',
  });
  return { namespace, metricName, dimensions, statistic, threshold, direction, periods };
}

function checkTraffic(c: Checker, value: unknown, path: string): TrafficRequest[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0 || value.length > 20) {
    c.add(path, value, 'use a list of 1-20 requests, e.g. [{ "method": "GET", "path": "/" }]');
    return undefined;
  }
  return value.map((request, i) => checkTrafficRequest(c, request, `${path}[${i}]`));
}

function checkTrafficRequest(c: Checker, value: unknown, path: string): TrafficRequest {
  const o = c.object(value, path, TRAFFIC_KEYS, 'add a request, e.g. { "method": "GET", "path": "/" }');
  if (!o) return { method: 'GET', path: '/' };
  const method = c.oneOf(o, 'method', path, SMOKE_METHODS, 'GET');
  const requestPath = c.string(o, 'path', path, {
    default: '/',
    problem: (p) => (p.startsWith('/') ? undefined : 'start the path with "/", e.g. "/checkout"'),
  });
  let body: string | undefined;
  if (o.body !== undefined) {
    if (typeof o.body === 'string') body = o.body;
    else if (isObject(o.body) || Array.isArray(o.body)) body = JSON.stringify(o.body);
    else c.add(childPath(path, 'body'), o.body, 'use a JSON object or a string');
  }
  return { method, path: requestPath, ...(body !== undefined ? { body } : {}) };
}

function suggestName(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .replace(/-+$/, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return SERVICE_NAME_PATTERN.test(slug) ? `, e.g. "${slug}"` : '';
}

function checkService(
  c: Checker,
  value: unknown,
  path: string,
  names: Map<string, number>,
  index: number,
): ServiceConfig {
  const o = c.object(value, path, SERVICE_KEYS, undefined) ?? {};
  const name = c.string(o, 'name', path, {
    missingFix: 'add a name: lowercase letters, digits and dashes, e.g. "checkout"',
    problem: (n) =>
      SERVICE_NAME_PATTERN.test(n)
        ? undefined
        : `use 2-40 lowercase letters, digits and dashes, starting with a letter and not ending with a dash (it names AWS resources sluice-<name>)${suggestName(n)}`,
  });
  if (name !== '') {
    const first = names.get(name);
    if (first !== undefined) {
      c.add(
        childPath(path, 'name'),
        name,
        `service names must be unique: services[${first}] is already called "${name}"; rename one of them`,
      );
    } else {
      names.set(name, index);
    }
  }
  const mode = c.oneOf(
    o,
    'mode',
    path,
    RELEASE_MODES,
    undefined,
    'add "mode": "delivery" (a person approves each release), "deployment" (alarms decide) or "auto" (Sluice moves it between the two on evidence)',
  );
  const source = checkSource(c, o.source, childPath(path, 'source'));
  const runtime = checkRuntime(c, o.runtime, childPath(path, 'runtime'));
  const smoke = checkSmoke(c, o.smoke, childPath(path, 'smoke'));
  let approval: ApprovalPolicy | undefined;
  if (o.approval !== undefined) {
    approval = checkApproval(c, o.approval, childPath(path, 'approval'));
  } else if (o.mode === 'delivery' || o.mode === 'auto') {
    c.add(
      childPath(path, 'approval'),
      undefined,
      `${o.mode} services need an approval block with at least one approver, e.g. { "approvers": ["alice@example.com"] }; or use "mode": "deployment"`,
    );
  }
  const deploy = checkDeploy(c, o.deploy, childPath(path, 'deploy'));
  const readiness =
    o.readiness !== undefined ? checkReadiness(c, o.readiness, childPath(path, 'readiness')) : undefined;
  return {
    name,
    mode,
    source,
    runtime,
    smoke,
    ...(approval !== undefined ? { approval } : {}),
    deploy,
    ...(readiness !== undefined ? { readiness } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------------
// API

/** Checks a parsed catalog document and fills the defaults; reports every problem at once. */
export function parseCatalog(input: unknown): CatalogResult {
  const c = new Checker();
  const root = c.object(
    input,
    '',
    CATALOG_KEYS,
    'use a catalog object: { "version": 1, "services": [ ... ] }',
  );
  if (root === undefined) return { ok: false, problems: c.problems };
  if (root.$schema !== undefined && typeof root.$schema !== 'string') {
    c.add('$schema', root.$schema, 'use a string: the path or URL of catalog.schema.json');
  }
  if (root.version !== 1) c.add('version', root.version, 'use 1 (the only catalog format version)');
  const names = new Map<string, number>();
  const list = c.array(root, 'services', '', {
    missingFix: 'add "services": [ ... ] with at least one service',
    emptyFix: 'list at least one service',
  });
  const services = (list ?? []).map((service, i) => checkService(c, service, `services[${i}]`, names, i));
  if (c.problems.length > 0) return { ok: false, problems: c.problems };
  return { ok: true, catalog: { version: 1, services } };
}

/** One line per problem: `<path>: received <value>; <fix>`. */
export function formatProblems(problems: readonly CatalogProblem[]): string[] {
  return problems.map((p) => `${p.path}: received ${p.received}; ${p.fix}`);
}

export class CatalogError extends Error {
  override readonly name = 'CatalogError';
  readonly problems: readonly CatalogProblem[];

  /** `source` names where the catalog came from (a file), for the message. */
  constructor(problems: readonly CatalogProblem[], source?: string) {
    const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`;
    const where = source !== undefined ? ` ${source}` : '';
    super(
      `Invalid service catalog${where} (${count}):\n${formatProblems(problems)
        .map((l) => `  ${l}`)
        .join('\n')}`,
    );
    this.problems = problems;
  }
}

/** parseCatalog, throwing a CatalogError that lists every problem. */
export function requireCatalog(input: unknown): Catalog {
  const result = parseCatalog(input);
  if (!result.ok) throw new CatalogError(result.problems);
  return result.catalog;
}

/** The service called `name`; an UnknownServiceError names it and lists the services the catalog has. */
export function findService(catalog: Catalog, name: string): ServiceConfig {
  const service = catalog.services.find((s) => s.name === name);
  if (service !== undefined) return service;
  const known = catalog.services.map((s) => s.name);
  const hint = didYouMean(name, known);
  throw new UnknownServiceError(
    `Unknown service ${JSON.stringify(name)}${hint}; the catalog has ${known.length > 0 ? known.join(', ') : 'no services'}`,
  );
}
