import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NpmStep, SandboxStep } from '../core/ports';

/**
 * Where the npm CLI is in the runner Lambda: its layer (lib/npm-layer.ts) puts the `npm` package at
 * /opt/nodejs/node_modules. Lambda's runtime promises `node`, not an npm binary.
 */
export const LAMBDA_NPM_CLI = '/opt/nodejs/node_modules/npm/bin/npm-cli.js';

/** The npm subcommands a sandbox step may run: installing from a lockfile, running the service's scripts, reports. */
export const NPM_SUBCOMMANDS: ReadonlySet<string> = new Set([
  'ci',
  'test',
  'run',
  'run-script',
  'sbom',
  'ls',
  'audit',
]);

/**
 * Options that would move npm's config, cache or install target out of the run's own folders (the runner sets
 * them itself) or run every dependency script whatever the policy.
 */
const REFUSED_OPTIONS =
  /^--(userconfig|globalconfig|cache|prefix|global|location|dangerously-allow-all-scripts)(=|$)|^-g$/;

export function isNpmStep(step: SandboxStep): step is NpmStep {
  return !Array.isArray(step) && typeof step === 'object' && step !== null && 'npm' in step;
}

/** Why an npm step is refused, or undefined when it may run. */
export function npmStepProblem(step: NpmStep): string | undefined {
  const args = step.npm as unknown;
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) {
    return 'an npm step is { "npm": [subcommand, ...arguments] } of strings';
  }
  const [subcommand] = args as string[];
  if (subcommand === undefined || !NPM_SUBCOMMANDS.has(subcommand)) {
    return `npm ${JSON.stringify(subcommand ?? '')} is not run in the sandbox (allowed: ${[...NPM_SUBCOMMANDS].join(', ')})`;
  }
  const refused = (args as string[]).find((a) => REFUSED_OPTIONS.test(a));
  return refused === undefined ? undefined : `npm option ${refused} is set by the sandbox itself`;
}

/** The folders npm gets in a run's scratch folder, apart from the checkout. */
export interface NpmFolders {
  /** The run's npm user config: the request's `npmrc`, or empty. */
  readonly userconfig: string;
  readonly globalconfig: string;
  readonly cache: string;
}

/** Writes the run's npm config files; `npmrc` only lives as long as the run's scratch folder. */
export async function prepareNpm(scratch: string, npmrc: string | undefined): Promise<NpmFolders> {
  const folders = {
    userconfig: join(scratch, 'npmrc'),
    globalconfig: join(scratch, 'npmrc-global'),
    cache: join(scratch, 'npm-cache'),
  };
  await writeFile(folders.userconfig, npmrc ?? '', { mode: 0o600 });
  await writeFile(folders.globalconfig, '');
  return folders;
}

/**
 * The environment of an npm step: the run's own, plus npm's config pointed at the run's folders. No update
 * check, funding, or the install's own audit: the install talks to the configured registry and nothing else.
 * An explicit `npm audit` step still runs (npm's audit command sets `audit: true` itself) and asks the
 * configured registry's audit endpoint.
 */
export function npmEnv(base: Readonly<Record<string, string>>, folders: NpmFolders): Record<string, string> {
  return {
    ...base,
    npm_config_userconfig: folders.userconfig,
    npm_config_globalconfig: folders.globalconfig,
    npm_config_cache: folders.cache,
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    npm_config_progress: 'false',
  };
}

/**
 * The secret values of an npmrc (`_authToken`, `_auth`, `_password`, `token` entries), so they can be blanked
 * out of anything the run prints.
 */
export function npmrcSecrets(npmrc: string | undefined): string[] {
  if (!npmrc) return [];
  const secrets: string[] = [];
  for (const line of npmrc.split(/\r?\n/)) {
    const match = /(?:_authToken|_auth|_password|token)\s*=\s*(.+)$/.exec(line.trim());
    const value = match?.[1]?.trim().replace(/^"(.*)"$/, '$1');
    if (value && value.length >= 4) secrets.push(value);
  }
  return secrets;
}

/** `text` with every secret replaced by `***`. */
export function redact(text: string, secrets: readonly string[]): string {
  return secrets.reduce((out, secret) => out.split(secret).join('***'), text);
}
