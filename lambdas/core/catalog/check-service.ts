/**
 * One service of the catalog: its name and mode, `source`, `runtime` and `readiness`; the `smoke`, `approval`
 * and `deploy` blocks are checked in their own files.
 */

import { parseTestCommand } from '../test-command';
import { checkApproval } from './check-approval';
import { checkDependencies } from './check-dependencies';
import { checkDeploy } from './check-deploy';
import { checkSmoke, checkTrafficKind } from './check-smoke';
import { type Checker, childPath, relativePathProblem } from './checker';
import {
  CATALOG_DEFAULTS,
  CODECOMMIT_REPOSITORY,
  ENTRY_EXTENSIONS,
  GITHUB_REPOSITORY,
  IDENTIFIER,
  RELEASE_MODES,
  SERVICE_NAME_PATTERN,
  SOURCE_PROVIDERS,
} from './constants';
import {
  type ApprovalPolicy,
  FUNCTION_URL_AUTH_TYPES,
  type FunctionUrlConfig,
  type ReadinessConfig,
  type RuntimeConfig,
  type ServiceConfig,
  type SourceConfig,
} from './types';

export const CATALOG_KEYS = ['$schema', 'version', 'services'] as const;
const SERVICE_KEYS = [
  'name',
  'mode',
  'source',
  'runtime',
  'smoke',
  'functionUrl',
  'approval',
  'deploy',
  'readiness',
  'dependencies',
] as const;
const FUNCTION_URL_KEYS = ['authType'] as const;

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
const RUNTIME_KEYS = ['entry', 'handler', 'tests', 'testCommand'] as const;

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
  const testCommand =
    o.testCommand === undefined
      ? undefined
      : c.string(o, 'testCommand', path, {
          problem: (command) => {
            const parsed = parseTestCommand(command);
            return 'problem' in parsed ? parsed.problem : undefined;
          },
        });
  return { entry, handler, tests, ...(testCommand ? { testCommand } : {}) };
}

function checkFunctionUrl(c: Checker, value: unknown, path: string): FunctionUrlConfig {
  const o = c.object(value, path, FUNCTION_URL_KEYS, undefined) ?? {};
  return { authType: c.oneOf(o, 'authType', path, FUNCTION_URL_AUTH_TYPES, 'AWS_IAM') };
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

export function checkService(
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
  const functionUrl =
    o.functionUrl !== undefined
      ? checkFunctionUrl(c, o.functionUrl, childPath(path, 'functionUrl'))
      : undefined;
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
  checkTrafficKind(c, smoke, deploy.traffic, childPath(childPath(path, 'deploy'), 'traffic'));
  const readiness =
    o.readiness !== undefined ? checkReadiness(c, o.readiness, childPath(path, 'readiness')) : undefined;
  const dependencies =
    o.dependencies !== undefined
      ? checkDependencies(c, o.dependencies, childPath(path, 'dependencies'))
      : undefined;
  return {
    name,
    mode,
    source,
    runtime,
    smoke,
    ...(functionUrl !== undefined ? { functionUrl } : {}),
    ...(approval !== undefined ? { approval } : {}),
    deploy,
    ...(readiness !== undefined ? { readiness } : {}),
    ...(dependencies !== undefined ? { dependencies } : {}),
  };
}
