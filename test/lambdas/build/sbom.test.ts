import { describe, expect, it } from 'vitest';
import type { NpmProject } from '../../../lambdas/build/npm-project';
import { bundledPackages, checkLicenses, cycloneDx, dependencyChanges } from '../../../lambdas/build/sbom';
import { auditSummary, dependencyDetails } from '../../../lambdas/core/dependency-changes';

const project: NpmProject = {
  root: '/repo',
  rootPath: '.',
  lockfile: Buffer.from(''),
  lock: {
    lockfileVersion: 3,
    packages: {
      '': {},
      'node_modules/a': { version: '1.0.0', license: 'MIT', integrity: 'sha512-AAAA' },
      'node_modules/@s/b': { version: '2.0.0', license: '(MIT OR AGPL-3.0)' },
      'node_modules/a/node_modules/@s/b': { version: '1.5.0', license: 'AGPL-3.0-or-later' },
      'packages/lib': { name: '@mono/lib', version: '0.0.1' },
    },
  },
  workspaces: ['packages/lib'],
  scriptPackages: [],
};

describe('bundledPackages', () => {
  it('maps esbuild inputs to lockfile packages (nested and scoped), leaving out the service and workspaces', () => {
    const inputs = [
      'src/index.ts',
      'node_modules/a/index.js',
      'node_modules/a/lib/x.js',
      'node_modules/a/node_modules/@s/b/index.js',
      '../../node_modules/@s/b/index.js', // from a workspace folder two levels down
      '../lib/index.js',
    ];
    // From the workspace folder, only the root's node_modules is in this lockfile.
    expect(
      bundledPackages(inputs, '/repo/packages/api', project).map((p) => `${p.name}@${p.version}`),
    ).toEqual(['@s/b@2.0.0']);
    expect(bundledPackages(inputs, '/repo', project).map((p) => `${p.name}@${p.version}`)).toEqual([
      '@s/b@1.5.0',
      'a@1.0.0',
    ]);
    expect(bundledPackages(inputs, '/repo', undefined)).toEqual([]);
  });
});

describe('cycloneDx', () => {
  it('writes the same document for the same build, with purls (scopes encoded) and hex hashes', () => {
    const subject = {
      service: 'api',
      commit: 'abc',
      artifactSha256: 'f'.repeat(64),
      timestamp: '2026-01-01T00:00:00.000Z',
      audit: { status: 'not run', reason: 'the registry has no audit endpoint (404)' } as const,
    };
    const packages = [{ name: '@s/b', version: '2.0.0', license: 'MIT', integrity: 'sha512-AAAA' }];
    const doc = JSON.parse(cycloneDx(packages, subject));
    expect(cycloneDx(packages, subject)).toBe(cycloneDx(packages, subject));
    expect(doc.serialNumber).toMatch(
      /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(doc.components[0]).toEqual({
      type: 'library',
      'bom-ref': 'pkg:npm/%40s/b@2.0.0',
      name: '@s/b',
      version: '2.0.0',
      purl: 'pkg:npm/%40s/b@2.0.0',
      licenses: [{ expression: 'MIT' }],
      hashes: [{ alg: 'SHA-512', content: '000000' }],
    });
    // The audit's status and why: never a pass when it did not run.
    expect(doc.metadata.properties).toEqual([
      { name: 'sluice:npm-audit', value: 'not run' },
      {
        name: 'sluice:npm-audit:summary',
        value: 'npm audit not run: the registry has no audit endpoint (404)',
      },
    ]);
  });
});

describe('checkLicenses', () => {
  it('refuses a denied id and its -only/-or-later forms, a choice only when every alternative is denied', () => {
    const pkgs = [
      { name: 'a', version: '1.0.0', license: 'MIT' },
      { name: 'b', version: '1.0.0', license: '(MIT OR AGPL-3.0)' },
      { name: 'c', version: '1.0.0' },
    ];
    expect(() => checkLicenses(pkgs, ['AGPL-3.0'], 'api')).not.toThrow();
    expect(() =>
      checkLicenses(
        [...pkgs, { name: 'd', version: '3.1.0', license: 'AGPL-3.0-or-later' }],
        ['AGPL-3.0'],
        'api',
      ),
    ).toThrow(/^package-lock\.json of api: d@3\.1\.0 \(AGPL-3\.0-or-later\) is under a licence/);
    expect(() => checkLicenses(pkgs, ['MIT', 'AGPL-3.0'], 'api')).toThrow(
      'a@1.0.0 (MIT), b@1.0.0 ((MIT OR AGPL-3.0)) are',
    );
  });
});

describe('dependencyChanges and the approval lines', () => {
  it('lists added, changed and removed packages with their licences', () => {
    const live = [
      { name: 'a', version: '1.0.0', license: 'MIT' },
      { name: 'gone', version: '0.1.0' },
    ];
    const next = [
      { name: 'a', version: '1.1.0', license: 'MIT' },
      { name: 'new', version: '2.0.0', license: 'ISC' },
    ];
    const changes = dependencyChanges(live, next);
    expect(changes).toEqual({
      comparedWithLive: true,
      packages: 2,
      added: ['new@2.0.0 (ISC)'],
      removed: ['gone@0.1.0 (licence unknown)'],
      changed: ['a 1.0.0 → 1.1.0 (MIT)'],
    });
    expect(dependencyDetails({ ...changes, sbomKey: 'k', audit: 'not run' }, 2)).toEqual([
      'Dependencies: 2 npm packages bundled, 3 changes since the live release; npm audit not run',
      'Dependency added new@2.0.0 (ISC)',
      'Dependency changed a 1.0.0 → 1.1.0 (MIT)',
      'Dependency and 1 more (see the SBOM)',
    ]);
    expect(dependencyDetails(undefined)).toEqual([]);
  });

  it('shows the audit: its advisories by severity, the first five, and why it did not run', () => {
    const changes = dependencyChanges(undefined, [{ name: 'a', version: '1.0.0' }]);
    const advisory = (pkg: string, severity: 'high' | 'moderate') => ({
      package: pkg,
      versions: ['1.0.0'],
      severity,
      title: `Bad ${pkg}`,
      url: `https://example.test/${pkg}`,
      range: '<1.0.1',
      fix: `upgrade ${pkg} to 1.0.1`,
    });
    const found = {
      status: 'found' as const,
      advisories: ['a', 'b', 'c', 'd', 'e', 'f'].map((p, i) => advisory(p, i === 0 ? 'high' : 'moderate')),
      counts: { high: 1, moderate: 6 },
      omitted: 1,
    };
    const lines = dependencyDetails({ ...changes, sbomKey: 'k', audit: found });
    expect(lines[0]).toBe(
      'Dependencies: 1 npm package bundled, 1 change nothing live to compare with: all new; ' +
        'npm audit: 7 advisories (1 high, 6 moderate)',
    );
    expect(lines.filter((l) => l.startsWith('Advisory '))).toEqual([
      'Advisory a@1.0.0 (high): Bad a, https://example.test/a (vulnerable <1.0.1); fix: upgrade a to 1.0.1',
      ...['b', 'c', 'd', 'e'].map(
        (p) =>
          `Advisory ${p}@1.0.0 (moderate): Bad ${p}, https://example.test/${p} (vulnerable <1.0.1); fix: upgrade ${p} to 1.0.1`,
      ),
      'Advisory and 2 more',
    ]);
    expect(auditSummary({ status: 'passed', advisories: [], counts: {} })).toBe(
      'npm audit passed: no advisories',
    );
    expect(
      auditSummary({
        status: 'passed',
        advisories: [advisory('b', 'moderate')],
        counts: { moderate: 1 },
        level: 'high',
      }),
    ).toBe('npm audit passed auditLevel "high": 1 advisory (1 moderate) below it');
    expect(
      auditSummary({ status: 'not run', reason: 'the registry could not be reached', level: 'high' }),
    ).toBe('npm audit not run: the registry could not be reached; auditLevel "high" could not be checked');
  });
});
