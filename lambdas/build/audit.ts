/**
 * `npm audit` at Build: the lockfile's production dependencies against the advisories of the service's registry
 * (npm POSTs `{ name: [versions] }` to `<registry>/-/npm/v1/security/advisories/bulk`). It runs in the sandbox,
 * like the install, with the service's npmrc and nothing of Sluice's; only the manifests and the lockfile travel,
 * and `--package-lock-only` runs no package code. Its JSON answer is read here, and the catalog's
 * `dependencies.auditLevel` decides whether Build stops. An audit that could not run is "not run", with the
 * reason: never a pass.
 */
import { isObject } from '../core/catalog/checker';
import type { ServiceConfig } from '../core/catalog/types';
import { advisoryLines } from '../core/dependency-changes';
import { VulnerableDependencyError } from '../core/errors';
import {
  AUDIT_SEVERITIES,
  type AuditAdvisory,
  type AuditLevel,
  type AuditSeverity,
  type NpmAuditOutcome,
} from '../core/npm-audit';
import type { SandboxResult } from '../core/ports';
import { MAX_INLINE_ARCHIVE_BYTES } from '../runtime/checkout-archive';
import { type InstallPorts, manifestArchive } from './install';
import type { NpmProject, PackageLock } from './npm-project';

/** @default 60000: the whole sandbox run; an unreachable or slow registry must not hold Build. */
export const AUDIT_TIMEOUT_MS = 60_000;

/** The most advisories a Build record keeps (the most severe first); the counts cover them all. */
export const MAX_RECORDED_ADVISORIES = 50;

/** What npm said: advisories when it ran, the reason when it did not. */
export type AuditRun =
  | { readonly ran: true; readonly advisories: readonly AuditAdvisory[] }
  | {
      readonly ran: false;
      readonly reason: string;
      /** The report's own counts, when only its end came back (a report larger than the sandbox returns). */
      readonly counts?: Partial<Record<AuditSeverity, number>>;
    };

/**
 * The sandbox step. `--offline=false` because a project `.npmrc` with `offline=true` makes npm skip the request
 * and print an empty (clean-looking) report; no retries and a fetch timeout of half the run's, so an endpoint
 * that does not answer ends as "not run" in time. For a workspace of a monorepo, `--workspace` limits the audit
 * to what that workspace depends on.
 */
export function auditStep(timeoutMs: number, workspace?: string): string[] {
  return [
    'audit',
    '--json',
    '--package-lock-only',
    '--omit=dev',
    '--offline=false',
    '--fetch-retries=0',
    `--fetch-timeout=${Math.max(1000, Math.floor(timeoutMs / 2))}`,
    ...(workspace ? [`--workspace=${workspace}`] : []),
  ];
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Runs `npm audit` for the project in the sandbox (only for `workspace`, a workspace folder of the project, when
 * given) and reads its answer. Never throws for an audit that failed.
 */
export async function auditDependencies(
  project: NpmProject,
  config: ServiceConfig,
  ports: InstallPorts,
  options: { timeoutMs?: number; workspace?: string } = {},
): Promise<AuditRun> {
  const timeoutMs = options.timeoutMs ?? AUDIT_TIMEOUT_MS;
  let npmrc: string | undefined;
  try {
    npmrc = await ports.npmrc.npmrcFor(config);
  } catch (error) {
    return { ran: false, reason: `the service's npmrc could not be read (${errorText(error)})` };
  }
  const archive = await manifestArchive(project);
  if (archive.byteLength > MAX_INLINE_ARCHIVE_BYTES) {
    return { ran: false, reason: 'the lockfile is too large for the sandbox request' };
  }
  let result: SandboxResult;
  try {
    result = await ports.testSandbox.run({
      checkout: Buffer.from(archive).toString('base64'),
      steps: [{ npm: auditStep(timeoutMs, options.workspace) }],
      timeoutMs,
      ...(npmrc !== undefined ? { npmrc } : {}),
    });
  } catch (error) {
    return { ran: false, reason: `the sandbox failed (${errorText(error)})` };
  }
  return readAuditOutput(result, timeoutMs, project.lock);
}

/** The JSON document in npm's output (stdout and stderr interleaved): from a line `{` to a line `}`. */
function jsonIn(output: string): unknown {
  const lines = output.split('\n');
  const starts = lines.flatMap((line, i) => (line === '{' ? [i] : []));
  const ends = lines.flatMap((line, i) => (line === '}' ? [i] : [])).reverse();
  for (const start of starts) {
    for (const end of ends) {
      if (end <= start) break;
      try {
        return JSON.parse(lines.slice(start, end + 1).join('\n'));
      } catch {
        // not this span
      }
    }
  }
  return undefined;
}

const isSeverity = (v: unknown): v is AuditSeverity =>
  typeof v === 'string' && (AUDIT_SEVERITIES as readonly string[]).includes(v);
export const severityRank = (s: AuditSeverity): number => AUDIT_SEVERITIES.indexOf(s);

/** Why the audit endpoint's error means "not run", from npm's JSON error (`message`, `statusCode`). */
function endpointError(error: Record<string, unknown>): string {
  const message = typeof error.message === 'string' ? error.message : 'no message';
  const status = typeof error.statusCode === 'number' ? error.statusCode : undefined;
  if (status === 404 || status === 405 || status === 501) {
    return `the registry has no audit endpoint (${message})`;
  }
  if (status === 401 || status === 403) {
    return `the registry refused the audit request (${message}); check the token in the service's npmrc`;
  }
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ECONNRESET/.test(message)) {
    return `the registry could not be reached (${message})`;
  }
  if (/ETIMEDOUT|timeout/i.test(message)) return `the registry did not answer in time (${message})`;
  return `the audit endpoint answered an error (${message})`;
}

/** npm's `fixAvailable` as advice. */
function fixOf(fix: unknown): string {
  if (fix === true) return 'a fixed version is in range: run `npm audit fix` and commit package-lock.json';
  if (isObject(fix) && typeof fix.name === 'string' && typeof fix.version === 'string') {
    return `upgrade ${fix.name} to ${fix.version}${fix.isSemVerMajor === true ? ' (a semver-major change)' : ''}`;
  }
  return 'no fixed version is available: replace the package or accept the risk';
}

/** The advisories of npm's report (`auditReportVersion` 2), most severe first; undefined when unreadable. */
function advisoriesOf(report: Record<string, unknown>, lock?: PackageLock): AuditAdvisory[] | undefined {
  if (!isObject(report.vulnerabilities)) return undefined;
  const vulns = report.vulnerabilities;
  const found = new Map<string, AuditAdvisory>();
  for (const vuln of Object.values(vulns)) {
    if (!isObject(vuln) || !Array.isArray(vuln.via)) return undefined;
    // `via` holds advisories (objects) and, for a package vulnerable through a dependency, that dependency's name.
    for (const via of vuln.via) {
      if (!isObject(via)) continue;
      if (typeof via.name !== 'string' || !isSeverity(via.severity)) return undefined;
      const key = `${String(via.source ?? via.url ?? via.title)}|${via.name}`;
      if (found.has(key)) continue;
      const own = vulns[via.name];
      const nodes = isObject(own) && Array.isArray(own.nodes) ? own.nodes : [];
      const versions = [...new Set(nodes.flatMap((n) => lock?.packages?.[String(n)]?.version ?? []))].sort();
      found.set(key, {
        package: via.name,
        versions,
        severity: via.severity,
        title: typeof via.title === 'string' ? via.title : 'untitled advisory',
        ...(typeof via.url === 'string' ? { url: via.url } : {}),
        range: typeof via.range === 'string' ? via.range : '*',
        fix: fixOf(isObject(own) ? own.fixAvailable : undefined),
      });
    }
  }
  return [...found.values()].sort(
    (a, b) =>
      severityRank(b.severity) - severityRank(a.severity) ||
      a.package.localeCompare(b.package) ||
      a.title.localeCompare(b.title),
  );
}

/**
 * npm's report ends with `"metadata": { "vulnerabilities": { "info": 0, "low": 1, … } }`: when the sandbox kept only
 * the end of a large report, its totals are still there.
 */
function countsInTail(output: string): Partial<Record<AuditSeverity, number>> | undefined {
  const block = /"metadata":\s*\{\s*"vulnerabilities":\s*(\{[^{}]*\})/.exec(output)?.[1];
  if (!block) return undefined;
  let totals: unknown;
  try {
    totals = JSON.parse(block);
  } catch {
    return undefined;
  }
  if (!isObject(totals)) return undefined;
  const counts: Partial<Record<AuditSeverity, number>> = {};
  for (const [severity, n] of Object.entries(totals)) {
    if (isSeverity(severity) && typeof n === 'number' && n > 0) counts[severity] = n;
  }
  return counts;
}

/** Reads the sandbox's answer to `npm audit --json`: advisories when npm got a report, else why it did not. */
export function readAuditOutput(result: SandboxResult, timeoutMs: number, lock?: PackageLock): AuditRun {
  if (result.timedOut) {
    return { ran: false, reason: `npm audit did not finish within ${Math.round(timeoutMs / 1000)} s` };
  }
  const json = jsonIn(result.output);
  if (isObject(json) && 'auditReportVersion' in json) {
    const advisories = advisoriesOf(json, lock);
    return advisories
      ? { ran: true, advisories }
      : { ran: false, reason: "npm audit's report could not be read" };
  }
  if (isObject(json) && 'message' in json) return { ran: false, reason: endpointError(json) };
  const counts = countsInTail(result.output);
  if (counts) {
    const listed = Object.entries(counts).map(([severity, n]) => `${n} ${severity}`);
    return {
      ran: false,
      reason: `npm audit's report was larger than the sandbox returns; its totals: ${listed.join(', ') || 'none'}`,
      counts,
    };
  }
  const last = result.output.trim().split('\n').filter(Boolean).slice(-1)[0] ?? 'no output';
  return { ran: false, reason: `npm audit failed (exit ${result.exitCode}): ${last.slice(0, 300)}` };
}

/** An advisory as a line (the same as the approval shows). */
export function advisoryLine(a: AuditAdvisory): string {
  return advisoryLines({ status: 'found', advisories: [a], counts: {} }, 1)[0] ?? a.package;
}

/** Build's refusal under the catalog's auditLevel: what crossed it, what it was, and the way out. */
function refusal(
  service: string,
  level: AuditLevel,
  crossed: string,
  detail: string,
  packages: 'named' | 'vulnerable',
): VulnerableDependencyError {
  return new VulnerableDependencyError(
    `npm audit of ${service}'s package-lock.json: ${crossed} services[${service}].dependencies.auditLevel ` +
      `"${level}"${detail}\nUpgrade or replace the ${packages} packages and commit package-lock.json, or raise ` +
      `services[${service}].dependencies.auditLevel in the catalog if the risk is accepted.`,
  );
}

/**
 * The audit as the Build records it, under the catalog's `dependencies.auditLevel`: with a level, advisories at
 * or above it stop the build (VulnerableDependencyError naming each); without one, they are reported only. An
 * audit that did not run is recorded as such, with the level it could not check, and does not stop the build.
 */
export function auditOutcome(run: AuditRun, level: AuditLevel | undefined, service: string): NpmAuditOutcome {
  const atOrAbove = (severity: AuditSeverity) =>
    level !== undefined && severityRank(severity) >= severityRank(level);
  if (!run.ran) {
    // Too large a report to list still counts against the level: the totals at or above it stop the build.
    const over = Object.entries(run.counts ?? {}).filter(([s, n]) => isSeverity(s) && n > 0 && atOrAbove(s));
    if (level && over.length > 0) {
      throw refusal(
        service,
        level,
        `${over.map(([s, n]) => `${n} ${s}`).join(', ')} at or above`,
        ' (too many to list here; run `npm audit --omit=dev` in the project to see them)',
        'vulnerable',
      );
    }
    return { status: 'not run', reason: run.reason, ...(level ? { level } : {}) };
  }
  const { advisories } = run;
  const refused = advisories.filter((a) => atOrAbove(a.severity));
  if (level && refused.length > 0) {
    throw refusal(
      service,
      level,
      `${refused.length} advisor${refused.length === 1 ? 'y' : 'ies'} at or above`,
      `:\n${refused.map((a) => `- ${advisoryLine(a)}`).join('\n')}`,
      'named',
    );
  }
  const counts: Partial<Record<AuditSeverity, number>> = {};
  for (const a of advisories) counts[a.severity] = (counts[a.severity] ?? 0) + 1;
  const kept = advisories.slice(0, MAX_RECORDED_ADVISORIES);
  return {
    status: advisories.length > 0 && !level ? 'found' : 'passed',
    advisories: kept,
    counts,
    ...(kept.length < advisories.length ? { omitted: advisories.length - kept.length } : {}),
    ...(level ? { level } : {}),
  };
}
