/**
 * Validates a parsed catalog by hand (no schema library: the Lambda handlers bundle this file) and fills the
 * defaults documented in types.ts. Every problem is collected, so one run tells the author everything to fix.
 */
import { UnknownServiceError } from '../errors';
import { CATALOG_KEYS, checkService } from './check-service';
import { Checker, didYouMean } from './checker';
import type { Catalog, CatalogProblem, ServiceConfig } from './types';

export { closestMatch, describeValue, editDistance } from './checker';
export {
  APPROVAL_CHANNELS,
  CATALOG_DEFAULTS,
  ENTRY_EXTENSIONS,
  RELEASE_MODES,
  SERVICE_NAME_PATTERN,
  SMOKE_METHODS,
  SOURCE_PROVIDERS,
} from './constants';

export type CatalogResult = { ok: true; catalog: Catalog } | { ok: false; problems: CatalogProblem[] };

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
