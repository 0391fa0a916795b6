import type { BuiltDependencies } from './model';
import { AUDIT_SEVERITIES, type NpmAuditOutcome } from './npm-audit';

/** Advisory counts as `2 advisories (1 high, 1 moderate)`, most severe first. */
function advisoryCounts(counts: Readonly<Partial<Record<string, number>>>): string {
  const total = Object.values(counts).reduce((sum: number, n) => sum + (n ?? 0), 0);
  const parts = [...AUDIT_SEVERITIES].reverse().flatMap((s) => (counts[s] ? [`${counts[s]} ${s}`] : []));
  return `${total} advisor${total === 1 ? 'y' : 'ies'}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
}

/**
 * The audit in one sentence, as the Build record, the SBOM, the approval page, email and Slack show it:
 * `npm audit: 2 advisories (1 high, 1 moderate)`, `npm audit passed: no advisories`, `npm audit not run: reason`.
 */
export function auditSummary(audit: NpmAuditOutcome | 'not run'): string {
  if (audit === 'not run') return 'npm audit not run';
  if (audit.status === 'not run') {
    const policy = audit.level ? `; auditLevel "${audit.level}" could not be checked` : '';
    return `npm audit not run: ${audit.reason}${policy}`;
  }
  if (audit.status === 'found') return `npm audit: ${advisoryCounts(audit.counts)}`;
  if (audit.advisories.length === 0) {
    return `npm audit passed: no advisories${audit.level ? ` (auditLevel "${audit.level}")` : ''}`;
  }
  return `npm audit passed auditLevel "${audit.level}": ${advisoryCounts(audit.counts)} below it`;
}

/** The recorded advisories as lines: `a@1.0.0 (high): title, url (vulnerable <1.0.1); fix: …`. */
export function advisoryLines(audit: NpmAuditOutcome | 'not run', limit: number): string[] {
  if (audit === 'not run' || audit.status === 'not run') return [];
  const lines = audit.advisories.map((a) => {
    const versions = a.versions.length > 0 ? `@${a.versions.join(', @')}` : '';
    return `${a.package}${versions} (${a.severity}): ${a.title}${a.url ? `, ${a.url}` : ''} (vulnerable ${a.range}); fix: ${a.fix}`;
  });
  const more = lines.length - limit + (audit.omitted ?? 0);
  return [...lines.slice(0, limit), ...(more > 0 ? [`and ${more} more`] : [])];
}

/**
 * The approval's lines for a build's npm packages (the approval page, email and Slack show them): what was
 * added, changed and removed since the live release, with licences, at most `limit` changes; then the npm
 * audit's advisories, at most 5.
 */
export function dependencyDetails(d: BuiltDependencies | undefined, limit = 12): string[] {
  if (!d) return [];
  const changes = [
    ...d.added.map((p) => `added ${p}`),
    ...d.changed.map((p) => `changed ${p}`),
    ...d.removed.map((p) => `removed ${p}`),
  ];
  const shown =
    changes.length > limit
      ? [...changes.slice(0, limit), `and ${changes.length - limit} more (see the SBOM)`]
      : changes;
  const since = d.comparedWithLive ? 'since the live release' : 'nothing live to compare with: all new';
  return [
    `Dependencies: ${d.packages} npm package${d.packages === 1 ? '' : 's'} bundled, ${changes.length} change${changes.length === 1 ? '' : 's'} ${since}; ${auditSummary(d.audit)}`,
    ...shown.map((line) => `Dependency ${line}`),
    ...advisoryLines(d.audit, 5).map((line) => `Advisory ${line}`),
  ];
}
