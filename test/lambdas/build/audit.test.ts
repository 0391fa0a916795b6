/**
 * Reading `npm audit --json` (npm 11.21.3's output, as the sandbox returns it: stdout and stderr interleaved) and
 * the catalog's auditLevel policy. The real npm against real registries is in dependencies.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { auditOutcome, auditStep, readAuditOutput } from '../../../lambdas/build/audit';
import type { PackageLock } from '../../../lambdas/build/npm-project';

const lock: PackageLock = {
  lockfileVersion: 3,
  packages: {
    '': {},
    'node_modules/app-lib': { version: '2.1.0' },
    'node_modules/tiny-greeting': { version: '1.0.0' },
    'node_modules/app-lib/node_modules/tiny-greeting': { version: '0.9.0' },
  },
};

/** A report of one advisory for tiny-greeting, and app-lib vulnerable through it (a "metavuln"). */
const REPORT = {
  auditReportVersion: 2,
  vulnerabilities: {
    'app-lib': {
      name: 'app-lib',
      severity: 'high',
      isDirect: true,
      via: ['tiny-greeting'],
      effects: [],
      range: '2.x',
      nodes: ['node_modules/app-lib'],
      fixAvailable: { name: 'app-lib', version: '3.0.0', isSemVerMajor: true },
    },
    'tiny-greeting': {
      name: 'tiny-greeting',
      severity: 'high',
      isDirect: true,
      via: [
        {
          source: 1100001,
          name: 'tiny-greeting',
          dependency: 'tiny-greeting',
          title: 'Prototype pollution in tiny-greeting',
          url: 'https://github.com/advisories/GHSA-xxxx-yyyy-zzzz',
          severity: 'high',
          cwe: ['CWE-1321'],
          cvss: { score: 7.5, vectorString: null },
          range: '<1.0.1',
        },
        {
          source: 1100002,
          name: 'tiny-greeting',
          dependency: 'tiny-greeting',
          title: 'Slow regular expression in tiny-greeting',
          url: 'https://github.com/advisories/GHSA-aaaa-bbbb-cccc',
          severity: 'low',
          range: '<2.0.0',
        },
      ],
      effects: ['app-lib'],
      range: '*',
      nodes: ['node_modules/tiny-greeting', 'node_modules/app-lib/node_modules/tiny-greeting'],
      fixAvailable: false,
    },
  },
  metadata: {
    vulnerabilities: { info: 0, low: 0, moderate: 0, high: 2, critical: 0, total: 2 },
    dependencies: { prod: 3, dev: 0, optional: 0, peer: 0, peerOptional: 0, total: 2 },
  },
};

const ran = (json: unknown, stderr = '') => ({
  exitCode: 1,
  timedOut: false,
  output: `${stderr}${JSON.stringify(json, null, 2)}\n`,
});

describe('auditStep', () => {
  it('audits the lockfile’s production dependencies as JSON, never offline, with one bounded request', () => {
    expect(auditStep(60_000)).toEqual([
      'audit',
      '--json',
      '--package-lock-only',
      '--omit=dev',
      '--offline=false',
      '--fetch-retries=0',
      '--fetch-timeout=30000',
    ]);
    expect(auditStep(4000, 'packages/api').slice(-2)).toEqual([
      '--fetch-timeout=2000',
      '--workspace=packages/api',
    ]);
  });
});

describe('readAuditOutput', () => {
  it('reads each advisory once, with the lockfile’s versions and npm’s fix, most severe first', () => {
    const run = readAuditOutput(ran(REPORT, 'npm warn config something\n'), 60_000, lock);
    expect(run).toEqual({
      ran: true,
      advisories: [
        {
          package: 'tiny-greeting',
          versions: ['0.9.0', '1.0.0'],
          severity: 'high',
          title: 'Prototype pollution in tiny-greeting',
          url: 'https://github.com/advisories/GHSA-xxxx-yyyy-zzzz',
          range: '<1.0.1',
          fix: 'no fixed version is available: replace the package or accept the risk',
        },
        {
          package: 'tiny-greeting',
          versions: ['0.9.0', '1.0.0'],
          severity: 'low',
          title: 'Slow regular expression in tiny-greeting',
          url: 'https://github.com/advisories/GHSA-aaaa-bbbb-cccc',
          range: '<2.0.0',
          fix: 'no fixed version is available: replace the package or accept the risk',
        },
      ],
    });
  });

  it('a clean report has no advisories', () => {
    const clean = { ...REPORT, vulnerabilities: {} };
    expect(
      readAuditOutput({ exitCode: 0, timedOut: false, output: JSON.stringify(clean, null, 2) }, 1000),
    ).toEqual({
      ran: true,
      advisories: [],
    });
  });

  it('names the fix: an upgrade (semver-major said so) or `npm audit fix`', () => {
    const withFix = structuredClone(REPORT);
    withFix.vulnerabilities['tiny-greeting'].fixAvailable = {
      name: 'tiny-greeting',
      version: '1.0.1',
      isSemVerMajor: false,
    } as never;
    const run = readAuditOutput(ran(withFix), 1000, lock);
    expect(run.ran && run.advisories[0]?.fix).toBe('upgrade tiny-greeting to 1.0.1');
    withFix.vulnerabilities['tiny-greeting'].fixAvailable = true as never;
    const inRange = readAuditOutput(ran(withFix), 1000, lock);
    expect(inRange.ran && inRange.advisories[0]?.fix).toMatch(
      /^a fixed version is in range: run `npm audit fix`/,
    );
  });

  it('is "not run" for an endpoint error: no audit endpoint, refused, unreachable, slow', () => {
    const error = (message: string, statusCode?: number) =>
      readAuditOutput(
        {
          exitCode: 1,
          timedOut: false,
          output: `npm warn audit ${message}\nnpm error audit endpoint returned an error\n${JSON.stringify(
            { message, ...(statusCode ? { statusCode } : {}), error: { summary: '', detail: '' } },
            null,
            2,
          )}\n`,
        },
        60_000,
      );
    expect(
      error('404 Not Found - POST http://127.0.0.1:4873/-/npm/v1/security/advisories/bulk', 404),
    ).toEqual({
      ran: false,
      reason:
        'the registry has no audit endpoint (404 Not Found - POST http://127.0.0.1:4873/-/npm/v1/security/advisories/bulk)',
    });
    expect(error('403 Forbidden - POST http://r/-/npm/v1/security/advisories/bulk', 403)).toMatchObject({
      reason: expect.stringMatching(/^the registry refused the audit request .*check the token/),
    });
    expect(
      error('request to http://127.0.0.1:9/x failed, reason: connect ECONNREFUSED 127.0.0.1:9'),
    ).toMatchObject({
      reason: expect.stringMatching(/^the registry could not be reached \(request to/),
    });
    expect(error('network timeout at: http://r/-/npm/v1/security/advisories/bulk')).toMatchObject({
      reason: expect.stringMatching(/^the registry did not answer in time/),
    });
    expect(error('500 Internal Server Error - POST http://r/x', 500)).toMatchObject({
      reason: expect.stringMatching(/^the audit endpoint answered an error \(500/),
    });
  });

  it('is "not run" when npm timed out, failed without JSON, or answered something unreadable', () => {
    expect(readAuditOutput({ exitCode: null, timedOut: true, output: '' }, 60_000)).toEqual({
      ran: false,
      reason: 'npm audit did not finish within 60 s',
    });
    expect(
      readAuditOutput(
        { exitCode: 1, timedOut: false, output: 'npm error code EUSAGE\nnpm error bad lock\n' },
        1000,
      ),
    ).toEqual({ ran: false, reason: 'npm audit failed (exit 1): npm error bad lock' });
    const odd = structuredClone(REPORT);
    odd.vulnerabilities['tiny-greeting'].via[0] = {
      ...odd.vulnerabilities['tiny-greeting'].via[0],
      severity: 'dire',
    } as never;
    expect(readAuditOutput(ran(odd), 1000)).toEqual({
      ran: false,
      reason: "npm audit's report could not be read",
    });
    // A truncated document is not a report.
    expect(
      readAuditOutput({ exitCode: 1, timedOut: false, output: '{\n  "auditReportVersion": 2,\n' }, 1000),
    ).toMatchObject({
      ran: false,
    });
  });
});

describe('a report larger than the sandbox returns', () => {
  // Only the end of the report comes back (the sandbox keeps the output's tail): its totals are read from there.
  const tail = `        "range": "<2.0.0"
      }
    ]
  },
  "metadata": {
    "vulnerabilities": {
      "info": 0,
      "low": 0,
      "moderate": 4,
      "high": 310,
      "critical": 0,
      "total": 314
    },
    "dependencies": { "prod": 900, "dev": 0, "optional": 0, "peer": 0, "peerOptional": 0, "total": 900 }
  }
}
`;
  const run = readAuditOutput({ exitCode: 1, timedOut: false, output: tail }, 1000);

  it('is not run, with the totals it shows', () => {
    expect(run).toEqual({
      ran: false,
      reason: "npm audit's report was larger than the sandbox returns; its totals: 4 moderate, 310 high",
      counts: { moderate: 4, high: 310 },
    });
  });

  it('stops Build when the totals cross the level, and is recorded as not run below it', () => {
    expect(() => auditOutcome(run, 'high', 'orders')).toThrow(
      expect.objectContaining({
        name: 'VulnerableDependencyError',
        message: expect.stringContaining(
          '310 high at or above services[orders].dependencies.auditLevel "high"',
        ),
      }),
    );
    expect(auditOutcome(run, 'critical', 'orders')).toEqual({
      status: 'not run',
      reason: "npm audit's report was larger than the sandbox returns; its totals: 4 moderate, 310 high",
      level: 'critical',
    });
    expect(auditOutcome(run, undefined, 'orders')).toMatchObject({ status: 'not run' });
  });
});

describe('auditOutcome: the catalog’s auditLevel', () => {
  const advisories = readAuditOutput(ran(REPORT), 1000, lock);

  it('without a level: advisories are found and reported, nothing stops', () => {
    expect(auditOutcome(advisories, undefined, 'api')).toMatchObject({
      status: 'found',
      counts: { high: 1, low: 1 },
      advisories: [{ severity: 'high' }, { severity: 'low' }],
    });
    expect(auditOutcome({ ran: true, advisories: [] }, undefined, 'api')).toEqual({
      status: 'passed',
      advisories: [],
      counts: {},
    });
  });

  it('at or above the level: Build stops naming each package, severity, advisory and the fix', () => {
    const stop = () => auditOutcome(advisories, 'high', 'api');
    expect(stop).toThrow(
      expect.objectContaining({
        name: 'VulnerableDependencyError',
        message:
          'npm audit of api\'s package-lock.json: 1 advisory at or above services[api].dependencies.auditLevel "high":\n' +
          '- tiny-greeting@0.9.0, @1.0.0 (high): Prototype pollution in tiny-greeting, ' +
          'https://github.com/advisories/GHSA-xxxx-yyyy-zzzz (vulnerable <1.0.1); fix: no fixed version is available: ' +
          'replace the package or accept the risk\n' +
          'Upgrade or replace the named packages and commit package-lock.json, or raise ' +
          'services[api].dependencies.auditLevel in the catalog if the risk is accepted.',
      }),
    );
    expect(() => auditOutcome(advisories, 'low', 'api')).toThrow(/2 advisories at or above/);
  });

  it('below the level: passes, with the advisories reported', () => {
    expect(auditOutcome(advisories, 'critical', 'api')).toMatchObject({
      status: 'passed',
      level: 'critical',
      counts: { high: 1, low: 1 },
      advisories: [{ package: 'tiny-greeting', severity: 'high' }, { severity: 'low' }],
    });
  });

  it('not run: recorded with the level it could not check, and Build goes on', () => {
    expect(
      auditOutcome({ ran: false, reason: 'the registry has no audit endpoint (404)' }, 'high', 'api'),
    ).toEqual({
      status: 'not run',
      reason: 'the registry has no audit endpoint (404)',
      level: 'high',
    });
  });

  it('keeps the 50 most severe advisories in the record, counting them all', () => {
    const many = Array.from({ length: 60 }, (_, i) => ({
      package: `p${String(i).padStart(2, '0')}`,
      versions: ['1.0.0'],
      severity: i < 5 ? ('critical' as const) : ('low' as const),
      title: 't',
      range: '*',
      fix: 'f',
    }));
    const outcome = auditOutcome({ ran: true, advisories: many }, undefined, 'api');
    expect(outcome).toMatchObject({ status: 'found', omitted: 10, counts: { critical: 5, low: 55 } });
    expect(outcome.status !== 'not run' && outcome.advisories).toHaveLength(50);
  });
});
