/**
 * What a build bundled, as a CycloneDX 1.5 SBOM: the npm packages esbuild actually put in the bundle (its
 * metafile's inputs under node_modules), with the versions, licences and integrity hashes of the lockfile. Read
 * from files only: no npm, no service code. Also the licence policy (`dependencies.deniedLicenses`) and the
 * dependency diff against the live release.
 */
import { createHash } from 'node:crypto';
import { relative, resolve, sep } from 'node:path';
import { auditSummary } from '../core/dependency-changes';
import { DeniedLicenseError } from '../core/errors';
import type { DependencyChanges } from '../core/model';
import type { NpmAuditOutcome } from '../core/npm-audit';
import { type NpmProject, packageNameOf } from './npm-project';

export interface BundledPackage {
  readonly name: string;
  readonly version: string;
  /** The lockfile's `license` (an SPDX expression), when it has one. */
  readonly license?: string;
  readonly integrity?: string;
}

/** The lockfile key (`node_modules/a/node_modules/@s/b`) of the package a file belongs to, if it is in one. */
function lockKeyOf(path: string): string | undefined {
  const parts = path.split('/');
  let end = -1;
  for (let i = 0; i < parts.length - 1; i += 1) {
    if (parts[i] !== 'node_modules') continue;
    end = parts[i + 1]?.startsWith('@') ? i + 2 : i + 1;
  }
  return end < 0 ? undefined : parts.slice(0, end + 1).join('/');
}

/**
 * The npm packages among esbuild's inputs (paths relative to `dir`, the service folder), from the project's
 * lockfile, sorted by name and version.
 */
export function bundledPackages(
  inputs: readonly string[],
  dir: string,
  project: NpmProject | undefined,
): BundledPackage[] {
  if (!project?.lock.packages) return [];
  const found = new Map<string, BundledPackage>();
  for (const input of inputs) {
    const path = relative(project.root, resolve(dir, input)).split(sep).join('/');
    const key = lockKeyOf(path);
    const entry = key ? project.lock.packages[key] : undefined;
    if (!key || !entry?.version) continue;
    const name = packageNameOf(key, entry);
    found.set(`${name}@${entry.version}`, {
      name,
      version: entry.version,
      ...(entry.license ? { license: entry.license } : {}),
      ...(entry.integrity ? { integrity: entry.integrity } : {}),
    });
  }
  return [...found.values()].sort(
    (a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version),
  );
}

function purlOf(p: BundledPackage): string {
  return `pkg:npm/${p.name.replace(/^@/, '%40')}@${p.version}`;
}

/** An SRI integrity (`sha512-<base64>`) as a CycloneDX hash, for the algorithms CycloneDX names. */
function hashOf(integrity: string | undefined): { alg: string; content: string }[] {
  const match = /^(sha512|sha384|sha256|sha1)-(.+)$/.exec(integrity?.split(' ')[0] ?? '');
  if (!match?.[1] || !match[2]) return [];
  const alg =
    { sha512: 'SHA-512', sha384: 'SHA-384', sha256: 'SHA-256', sha1: 'SHA-1' }[match[1]] ?? 'SHA-512';
  return [{ alg, content: Buffer.from(match[2], 'base64').toString('hex') }];
}

export interface SbomSubject {
  readonly service: string;
  readonly commit: string;
  /** sha256 of the artifact: the SBOM's serial number derives from it, so the same build gives the same SBOM. */
  readonly artifactSha256: string;
  readonly timestamp: string;
  /** The build's npm audit: its status and summary go in the metadata's properties. */
  readonly audit: NpmAuditOutcome;
}

/**
 * The CycloneDX 1.5 JSON document. The npm audit is a metadata property: `sluice:npm-audit` is `passed`, `found`
 * or `not run`, and `sluice:npm-audit:summary` says what (the advisories, or why it did not run).
 */
export function cycloneDx(packages: readonly BundledPackage[], subject: SbomSubject): string {
  const h = createHash('sha256').update(subject.artifactSha256).digest('hex');
  const serial = `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
  return `${JSON.stringify(
    {
      bomFormat: 'CycloneDX',
      specVersion: '1.5',
      serialNumber: serial,
      version: 1,
      metadata: {
        timestamp: subject.timestamp,
        tools: { components: [{ type: 'application', name: 'sluice' }] },
        component: { type: 'application', name: subject.service, version: subject.commit },
        properties: [
          { name: 'sluice:npm-audit', value: subject.audit.status },
          { name: 'sluice:npm-audit:summary', value: auditSummary(subject.audit) },
        ],
      },
      components: packages.map((p) => ({
        type: 'library',
        'bom-ref': purlOf(p),
        name: p.name,
        version: p.version,
        purl: purlOf(p),
        ...(p.license ? { licenses: [{ expression: p.license }] } : {}),
        ...(p.integrity ? { hashes: hashOf(p.integrity) } : {}),
      })),
    },
    null,
    2,
  )}\n`;
}

/** The packages of a stored SBOM (the live release's), or none when it cannot be read. */
export function packagesOfSbom(text: string): BundledPackage[] {
  try {
    const doc = JSON.parse(text) as {
      components?: { name?: string; version?: string; licenses?: { expression?: string }[] }[];
    };
    return (doc.components ?? []).flatMap((c) =>
      c.name && c.version
        ? [
            {
              name: c.name,
              version: c.version,
              ...(c.licenses?.[0]?.expression ? { license: c.licenses[0].expression } : {}),
            },
          ]
        : [],
    );
  } catch {
    return [];
  }
}

/** Whether an SPDX expression names `id`, or its `-only` / `-or-later` / `+` forms. */
function names(expression: string, id: string): boolean {
  const tokens = expression.split(/[\s()]+/).filter(Boolean);
  return tokens.some((t) => t === id || t === `${id}-only` || t === `${id}-or-later` || t === `${id}+`);
}

/**
 * Stops the build when a bundled package's licence is denied. A choice (`MIT OR AGPL-3.0`) is denied only when
 * every alternative is.
 */
export function checkLicenses(
  packages: readonly BundledPackage[],
  denied: readonly string[],
  service: string,
): void {
  if (denied.length === 0) return;
  const refused = packages.filter((p) => {
    if (!p.license) return false;
    const alternatives = p.license.split(/\s+OR\s+/);
    return alternatives.every((alt) => denied.some((id) => names(alt, id)));
  });
  if (refused.length === 0) return;
  throw new DeniedLicenseError(
    `package-lock.json of ${service}: ${refused.map((p) => `${p.name}@${p.version} (${p.license})`).join(', ')} ` +
      `${refused.length === 1 ? 'is' : 'are'} under a licence services[${service}].dependencies.deniedLicenses ` +
      'refuses. Replace the dependency, or change the catalog if the licence is acceptable.',
  );
}

const label = (p: BundledPackage) => `${p.name}@${p.version} (${p.license ?? 'licence unknown'})`;

/** What changed in the bundled packages since the live release: added, removed, upgraded (or downgraded). */
export function dependencyChanges(
  live: readonly BundledPackage[] | undefined,
  next: readonly BundledPackage[],
): DependencyChanges {
  const before = new Map((live ?? []).map((p) => [p.name, p]));
  const after = new Map(next.map((p) => [p.name, p]));
  const added = next.filter((p) => !before.has(p.name)).map(label);
  const removed = [...before.values()].filter((p) => !after.has(p.name)).map(label);
  const changed = next.flatMap((p) => {
    const old = before.get(p.name);
    return old && old.version !== p.version
      ? [`${p.name} ${old.version} → ${p.version} (${p.license ?? 'licence unknown'})`]
      : [];
  });
  return { comparedWithLive: live !== undefined, packages: next.length, added, removed, changed };
}
