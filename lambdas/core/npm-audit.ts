/** What Build's `npm audit` records (lambdas/build/audit.ts), and the catalog's `dependencies.auditLevel`. */

/** npm's advisory severities, lowest first. */
export const AUDIT_SEVERITIES = ['info', 'low', 'moderate', 'high', 'critical'] as const;
export type AuditSeverity = (typeof AUDIT_SEVERITIES)[number];
/** The catalog's `dependencies.auditLevel`: the lowest severity that stops a build. */
export type AuditLevel = Exclude<AuditSeverity, 'info'>;

/** One advisory `npm audit` reported for a package of the lockfile. */
export interface AuditAdvisory {
  readonly package: string;
  /** The versions of the package in the lockfile that the advisory covers. */
  readonly versions: readonly string[];
  readonly severity: AuditSeverity;
  readonly title: string;
  readonly url?: string;
  /** The vulnerable versions the advisory names, e.g. `<1.0.1`. */
  readonly range: string;
  /** How to get out of it, from npm's `fixAvailable`: `upgrade a to 2.0.0`, `npm audit fix`, or no fix. */
  readonly fix: string;
}

/**
 * What `npm audit` said. `passed`: it ran and found nothing at or above `level` (any advisory when no level is
 * set; those below it are listed). `found`: advisories, and no level set (report only). `not run`: it did not
 * run or its answer could not be used, with the reason; never counted as a pass.
 */
export type NpmAuditOutcome =
  | {
      readonly status: 'passed' | 'found';
      readonly advisories: readonly AuditAdvisory[];
      /** Advisories by severity, all of them (the record keeps the most severe ones). */
      readonly counts: Readonly<Partial<Record<AuditSeverity, number>>>;
      /** Advisories left out of the record. */
      readonly omitted?: number;
      readonly level?: AuditLevel;
    }
  | { readonly status: 'not run'; readonly reason: string; readonly level?: AuditLevel };
