import { describe, expect, it } from 'vitest';
import type { CatalogProblem } from '../../../../lambdas/core/catalog/types';
import {
  CatalogError,
  closestMatch,
  editDistance,
  findService,
  formatProblems,
  parseCatalog,
  requireCatalog,
} from '../../../../lambdas/core/catalog/validate';
import { defined } from '../../../../lambdas/core/defined';
import { UnknownServiceError } from '../../../../lambdas/core/errors';

type Doc = Record<string, unknown>;

function deliveryService(overrides: Doc = {}): Doc {
  return {
    name: 'greeter',
    mode: 'delivery',
    source: { repository: 'greeter' },
    runtime: { entry: 'src/handler.ts' },
    approval: { approvers: ['alice@example.com', 'bob@example.com'] },
    ...overrides,
  };
}

function deploymentService(overrides: Doc = {}): Doc {
  return {
    name: 'checkout',
    mode: 'deployment',
    source: { repository: 'checkout' },
    runtime: { entry: 'src/handler.ts' },
    ...overrides,
  };
}

function catalog(...services: Doc[]): Doc {
  return { version: 1, services };
}

function problemsOf(input: unknown): CatalogProblem[] {
  const result = parseCatalog(input);
  if (result.ok) throw new Error('expected problems, got a valid catalog');
  return result.problems;
}

/** The single problem at `path` (and checks there is exactly one). */
function problemAt(input: unknown, path: string): CatalogProblem {
  const matching = problemsOf(input).filter((p) => p.path === path);
  expect(matching, `problems at ${path}`).toHaveLength(1);
  return defined(matching[0], `the problem at ${path}`);
}

describe('parseCatalog: valid catalogs', () => {
  it('fills every documented default', () => {
    const result = parseCatalog(catalog(deliveryService(), deploymentService()));
    expect(result).toEqual({
      ok: true,
      catalog: {
        version: 1,
        services: [
          {
            name: 'greeter',
            mode: 'delivery',
            source: { repository: 'greeter', provider: 'codecommit', branch: 'main', path: '.' },
            runtime: { entry: 'src/handler.ts', handler: 'handler', tests: 'test' },
            smoke: { path: '/', method: 'GET', expectStatus: 200 },
            approval: {
              approvers: ['alice@example.com', 'bob@example.com'],
              required: 1,
              expiresAfterHours: 72,
              channels: ['email'],
            },
            deploy: {
              strategy: 'Canary10Percent5Minutes',
              alarms: { errorRatePercent: 5, p99LatencyMs: 1000 },
            },
          },
          {
            name: 'checkout',
            mode: 'deployment',
            source: { repository: 'checkout', provider: 'codecommit', branch: 'main', path: '.' },
            runtime: { entry: 'src/handler.ts', handler: 'handler', tests: 'test' },
            smoke: { path: '/', method: 'GET', expectStatus: 200 },
            deploy: {
              strategy: 'Canary10Percent5Minutes',
              alarms: { errorRatePercent: 5, p99LatencyMs: 1000 },
            },
          },
        ],
      },
    });
  });

  it('keeps explicit values and accepts a top-level $schema', () => {
    const full = {
      $schema: './lambdas/core/catalog/catalog.schema.json',
      version: 1,
      services: [
        {
          name: 'pay-2',
          mode: 'deployment',
          source: {
            repository: 'acme/pay',
            provider: 'github',
            branch: 'release',
            path: 'services/pay',
            localPath: '../pay',
          },
          runtime: { entry: 'index.mjs', handler: 'main', tests: 'spec' },
          smoke: { path: '/health', method: 'HEAD', expectStatus: 204 },
          approval: {
            approvers: ['a@x.io', 'b@x.io'],
            required: 2,
            expiresAfterHours: 1,
            channels: ['slack', 'email'],
          },
          deploy: { strategy: 'AllAtOnce', alarms: { errorRatePercent: 0.5, p99LatencyMs: 250 } },
        },
      ],
    };
    const result = parseCatalog(full);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { $schema: _, ...rest } = full;
    expect(result.catalog).toEqual(rest);
  });

  it('does not add keys for absent optional blocks', () => {
    const result = parseCatalog(catalog(deploymentService()));
    if (!result.ok) throw new Error('expected a valid catalog');
    const service = defined(result.catalog.services[0], 'the service');
    expect('approval' in service).toBe(false);
    expect('functionUrl' in service).toBe(false);
    expect('localPath' in service.source).toBe(false);
  });

  it('accepts an approval block on a deployment service', () => {
    expect(parseCatalog(catalog(deploymentService({ approval: { approvers: ['a@x.io'] } }))).ok).toBe(true);
  });
});

describe('parseCatalog: the catalog itself', () => {
  it.each([
    [null, 'null', 'null'],
    [[], '[]', 'an array'],
    ['x', '"x"', 'a string'],
  ])('refuses %j as the document', (input, received, kind) => {
    expect(problemAt(input, '(root)')).toEqual({
      path: '(root)',
      received,
      fix: `use an object ({ ... }), not ${kind}`,
    });
  });

  it('requires version 1', () => {
    expect(problemAt({ ...catalog(deploymentService()), version: 2 }, 'version')).toEqual({
      path: 'version',
      received: '2',
      fix: 'use 1 (the only catalog format version)',
    });
    expect(problemAt({ services: [deploymentService()] }, 'version').received).toBe('undefined');
  });

  it('requires a non-empty services array', () => {
    expect(problemAt({ version: 1 }, 'services')).toMatchObject({
      received: 'undefined',
      fix: expect.stringMatching(/add "services"/),
    });
    expect(problemAt({ version: 1, services: [] }, 'services')).toMatchObject({
      received: '[]',
      fix: 'list at least one service',
    });
    expect(problemAt({ version: 1, services: {} }, 'services')).toMatchObject({
      received: '{}',
      fix: expect.stringMatching(/array/),
    });
  });

  it('refuses a service that is not an object', () => {
    expect(problemAt(catalog(deploymentService(), 'x' as unknown as Doc), 'services[1]').received).toBe(
      '"x"',
    );
  });
});

describe('parseCatalog: service rules', () => {
  it.each(['Greeter', 'g', '1abc', 'ends-', 'under_score', 'a'.repeat(41)])('refuses the name %j', (name) => {
    const problem = problemAt(catalog(deploymentService({ name })), 'services[0].name');
    expect(problem.received).toBe(JSON.stringify(name));
    expect(problem.fix).toMatch(/^use 2-40 lowercase letters, digits and dashes/);
  });

  it('accepts names up to 40 characters (sluice-<name> stays within AWS limits)', () => {
    expect(parseCatalog(catalog(deploymentService({ name: `a${'b'.repeat(38)}c` }))).ok).toBe(true);
  });

  it('suggests a valid name', () => {
    expect(problemAt(catalog(deploymentService({ name: 'My Service' })), 'services[0].name').fix).toMatch(
      /e\.g\. "my-service"$/,
    );
  });

  it('reports a duplicate name at the duplicate, naming the first', () => {
    const problem = problemAt(
      catalog(deploymentService(), deliveryService(), deploymentService({ name: 'greeter' })),
      'services[2].name',
    );
    expect(problem).toEqual({
      path: 'services[2].name',
      received: '"greeter"',
      fix: 'service names must be unique: services[1] is already called "greeter"; rename one of them',
    });
  });

  it('requires a known mode and suggests the closest one', () => {
    expect(problemAt(catalog(deploymentService({ mode: 'delivry' })), 'services[0].mode')).toEqual({
      path: 'services[0].mode',
      received: '"delivry"',
      fix: 'use one of delivery, deployment, auto; did you mean `delivery`?',
    });
    expect(problemAt(catalog(deploymentService({ mode: undefined })), 'services[0].mode').received).toBe(
      'undefined',
    );
  });

  it('requires an approval block for delivery', () => {
    const problem = problemAt(catalog(deliveryService({ approval: undefined })), 'services[0].approval');
    expect(problem.received).toBe('undefined');
    expect(problem.fix).toMatch(/^delivery services need an approval block with at least one approver/);
  });
});

describe('parseCatalog: approval rules', () => {
  const withApproval = (approval: unknown) => catalog(deliveryService({ approval }));

  it('requires at least one approver', () => {
    expect(problemAt(withApproval({ approvers: [] }), 'services[0].approval.approvers')).toMatchObject({
      received: '[]',
      fix: 'list at least one approver email address',
    });
    expect(problemAt(withApproval({}), 'services[0].approval.approvers').received).toBe('undefined');
  });

  it('requires email addresses', () => {
    expect(
      problemAt(
        withApproval({ approvers: ['alice@example.com', 'bob'] }),
        'services[0].approval.approvers[1]',
      ),
    ).toEqual({
      path: 'services[0].approval.approvers[1]',
      received: '"bob"',
      fix: 'use an email address, e.g. "alice@example.com"',
    });
  });

  it('refuses duplicate approvers, ignoring case', () => {
    expect(
      problemAt(
        withApproval({ approvers: ['alice@example.com', 'Alice@Example.com'] }),
        'services[0].approval.approvers[1]',
      ).fix,
    ).toBe('already listed as approvers[0]; remove the duplicate');
  });

  it('keeps required between 1 and the number of approvers', () => {
    const approvers = ['a@x.io', 'b@x.io'];
    expect(problemAt(withApproval({ approvers, required: 3 }), 'services[0].approval.required')).toEqual({
      path: 'services[0].approval.required',
      received: '3',
      fix: 'use a whole number from 1 to 2 (the number of approvers)',
    });
    expect(
      problemAt(withApproval({ approvers, required: 0 }), 'services[0].approval.required').received,
    ).toBe('0');
    expect(
      problemAt(withApproval({ approvers, required: 1.5 }), 'services[0].approval.required').received,
    ).toBe('1.5');
    expect(
      problemAt(withApproval({ approvers, required: '1' }), 'services[0].approval.required').received,
    ).toBe('"1"');
  });

  it('keeps expiresAfterHours between 1 and 168 (7 days; the approval task waits an hour longer)', () => {
    for (const hours of [0, 169, 720, -5]) {
      expect(
        problemAt(
          withApproval({ approvers: ['a@x.io'], expiresAfterHours: hours }),
          'services[0].approval.expiresAfterHours',
        ),
      ).toEqual({
        path: 'services[0].approval.expiresAfterHours',
        received: String(hours),
        fix: 'use a whole number of hours from 1 to 168 (7 days)',
      });
    }
    expect(parseCatalog(withApproval({ approvers: ['a@x.io'], expiresAfterHours: 168 })).ok).toBe(true);
  });

  it('maps approvers to their identities (git emails, GitHub logins, IAM principals) and names each mistake', () => {
    const base = { approvers: ['a@x.io', 'b@x.io'] };
    const identities = {
      'a@x.io': {
        gitEmails: ['a@users.noreply.github.com'],
        githubLogins: ['a-gh'],
        iamPrincipals: [
          'arn:aws:iam::111122223333:user/a',
          'arn:aws:iam::111122223333:role/teams/approver',
          'arn:aws:sts::111122223333:assumed-role/ops/a',
        ],
      },
    };
    const ok = parseCatalog(withApproval({ ...base, identities }));
    expect(ok.ok && ok.catalog.services[0]?.approval?.identities).toEqual(identities);
    const at = 'services[0].approval.identities';
    expect(problemAt(withApproval({ ...base, identities: { 'z@x.io': {} } }), `${at}["z@x.io"]`).fix).toBe(
      'map only approvers (a@x.io, b@x.io) to identities',
    );
    expect(
      problemAt(
        withApproval({ ...base, identities: { 'a@x.io': { iamPrincipals: ['arn:aws:s3:::bucket'] } } }),
        `${at}["a@x.io"].iamPrincipals[0]`,
      ).fix,
    ).toMatch(/^use an IAM user or role ARN/);
    expect(
      problemAt(
        withApproval({ ...base, identities: { 'a@x.io': { gitEmails: ['not-an-email'] } } }),
        `${at}["a@x.io"].gitEmails[0]`,
      ).fix,
    ).toMatch(/^use an email address/);
    expect(
      problemAt(
        withApproval({ ...base, identities: { 'a@x.io': { slack: 'U1' } } }),
        `${at}["a@x.io"].slack`,
      ),
    ).toBeDefined();
    // One identity, two approvers: no-self-approval and the CLI's mapping would be ambiguous.
    expect(
      problemAt(
        withApproval({
          ...base,
          identities: { 'a@x.io': { githubLogins: ['shared'] }, 'b@x.io': { githubLogins: ['Shared'] } },
        }),
        `${at}["b@x.io"].githubLogins[0]`,
      ).fix,
    ).toBe('already an identity of a@x.io; an identity belongs to one approver');
  });

  it('accepts only email and slack channels, at least one, no duplicates', () => {
    const base = { approvers: ['a@x.io'] };
    expect(
      problemAt(withApproval({ ...base, channels: ['email', 'slak'] }), 'services[0].approval.channels[1]'),
    ).toEqual({
      path: 'services[0].approval.channels[1]',
      received: '"slak"',
      fix: 'use one of email, slack; did you mean `slack`?',
    });
    expect(problemAt(withApproval({ ...base, channels: [] }), 'services[0].approval.channels').fix).toBe(
      'list at least one of email, slack',
    );
    expect(
      problemAt(withApproval({ ...base, channels: ['slack', 'slack'] }), 'services[0].approval.channels[1]')
        .fix,
    ).toBe('already listed as channels[0]; remove the duplicate');
  });

  it('accepts weekly release windows, freezes and Slack user ids, and names each mistake', () => {
    const base = { approvers: ['a@x.io', 'b@x.io'] };
    const window = { days: ['Mon', 'Tue'], start: '09:00', end: '16:00', timeZone: 'Europe/Berlin' };
    const freeze = { from: '2026-12-20T00:00Z', to: '2027-01-04T00:00Z', reason: 'year-end freeze' };
    const ok = parseCatalog(
      withApproval({
        ...base,
        windows: [window],
        freezes: [freeze],
        slackUserIds: { 'a@x.io': 'U012AB3CD' },
      }),
    );
    expect(ok.ok && ok.catalog.services[0]?.approval).toMatchObject({
      windows: [window],
      freezes: [freeze],
      slackUserIds: { 'a@x.io': 'U012AB3CD' },
    });
    const at = 'services[0].approval';
    expect(
      problemAt(withApproval({ ...base, windows: [{ ...window, days: ['Mo'] }] }), `${at}.windows[0].days[0]`)
        .fix,
    ).toMatch(/^use one of Mon, Tue, Wed, Thu, Fri, Sat, Sun/);
    expect(
      problemAt(withApproval({ ...base, windows: [{ ...window, start: '9am' }] }), `${at}.windows[0].start`)
        .fix,
    ).toBe('use HH:MM on a 24-hour clock, e.g. "09:00"');
    expect(
      problemAt(withApproval({ ...base, windows: [{ ...window, end: '08:00' }] }), `${at}.windows[0].end`)
        .fix,
    ).toBe('use a time after start (09:00)');
    expect(
      problemAt(
        withApproval({ ...base, windows: [{ ...window, timeZone: 'Mars/Olympus' }] }),
        `${at}.windows[0].timeZone`,
      ),
    ).toMatchObject({
      received: '"Mars/Olympus"',
      fix: 'use an IANA time zone name, e.g. "Europe/Berlin" or "UTC"',
    });
    expect(
      problemAt(
        withApproval({ ...base, freezes: [{ ...freeze, to: '2026-12-01T00:00Z' }] }),
        `${at}.freezes[0].to`,
      ).fix,
    ).toBe('use a time after from (2026-12-20T00:00Z)');
    expect(
      problemAt(
        withApproval({ ...base, freezes: [{ ...freeze, from: 'Christmas' }] }),
        `${at}.freezes[0].from`,
      ).fix,
    ).toMatch(/ISO 8601 time with a zone/);
    // An impossible date is not rolled over into the next month.
    expect(
      problemAt(
        withApproval({ ...base, freezes: [{ ...freeze, from: '2026-02-30T00:00Z' }] }),
        `${at}.freezes[0].from`,
      ).fix,
    ).toMatch(/ISO 8601 time with a zone/);
    expect(
      problemAt(
        withApproval({ ...base, slackUserIds: { 'z@x.io': 'U012AB3CD' } }),
        `${at}.slackUserIds["z@x.io"]`,
      ).fix,
    ).toBe('map only approvers (a@x.io, b@x.io) to Slack user ids');
    expect(
      problemAt(
        withApproval({ ...base, slackUserIds: { 'a@x.io': 'alice' } }),
        `${at}.slackUserIds["a@x.io"]`,
      ).fix,
    ).toMatch(/Slack user id such as "U012AB3CD"/);
  });
});

describe('parseCatalog: source rules', () => {
  const withSource = (source: unknown) => catalog(deploymentService({ source }));

  it('requires a source block and a repository', () => {
    expect(problemAt(catalog(deploymentService({ source: undefined })), 'services[0].source').received).toBe(
      'undefined',
    );
    expect(problemAt(withSource({}), 'services[0].source.repository').received).toBe('undefined');
    expect(problemAt(withSource({ repository: '' }), 'services[0].source.repository')).toMatchObject({
      received: '""',
      fix: 'use a non-empty string',
    });
  });

  it('checks the repository name against the provider', () => {
    expect(problemAt(withSource({ repository: 'acme/pay' }), 'services[0].source.repository').fix).toMatch(
      /CodeCommit repository name.*set "provider": "github"/,
    );
    expect(
      problemAt(withSource({ repository: 'pay', provider: 'github' }), 'services[0].source.repository').fix,
    ).toMatch(/owner\/name/);
    expect(parseCatalog(withSource({ repository: 'acme/pay.api', provider: 'github' })).ok).toBe(true);
    expect(
      problemAt(withSource({ repository: 'x', provider: 'gitlab' }), 'services[0].source.provider').fix,
    ).toBe('use one of codecommit, github');
  });

  it('requires a non-empty branch without refs/heads/', () => {
    expect(problemAt(withSource({ repository: 'r', branch: '' }), 'services[0].source.branch').received).toBe(
      '""',
    );
    expect(
      problemAt(withSource({ repository: 'r', branch: 'refs/heads/main' }), 'services[0].source.branch').fix,
    ).toMatch(/e\.g\. "main"$/);
  });

  it('accepts source.paths globs (monorepos) and refuses an empty list, absolute or escaping globs', () => {
    const ok = parseCatalog(
      withSource({ repository: 'shop', paths: ['services/api/**', '!services/api/docs/**'] }),
    );
    expect(ok.ok && ok.catalog.services[0]?.source.paths).toEqual([
      'services/api/**',
      '!services/api/docs/**',
    ]);
    expect(problemAt(withSource({ repository: 'r', paths: [] }), 'services[0].source.paths').fix).toMatch(
      /non-empty array of globs/,
    );
    expect(
      problemAt(withSource({ repository: 'r', paths: ['ok/**', '/etc/**'] }), 'services[0].source.paths[1]'),
    ).toMatchObject({ received: '"/etc/**"', fix: expect.stringMatching(/relative to the repository root/) });
    expect(
      problemAt(withSource({ repository: 'r', paths: ['../x/**'] }), 'services[0].source.paths[0]').fix,
    ).toMatch(/remove `..`/);
    expect(
      problemAt(withSource({ repository: 'r', paths: [3] }), 'services[0].source.paths[0]').received,
    ).toBe('3');
  });

  it.each(['/abs', '../up', 'a/../../b', 'C:\\x', ''])('refuses the path %j', (path) => {
    expect(problemAt(withSource({ repository: 'r', path }), 'services[0].source.path').received).toBe(
      JSON.stringify(path),
    );
  });
});

describe('parseCatalog: runtime and smoke rules', () => {
  it('requires runtime.entry, relative, with a JavaScript or TypeScript extension', () => {
    expect(problemAt(catalog(deploymentService({ runtime: {} })), 'services[0].runtime.entry')).toMatchObject(
      {
        received: 'undefined',
        fix: expect.stringMatching(/e\.g\. "src\/handler\.ts"/),
      },
    );
    expect(
      problemAt(
        catalog(deploymentService({ runtime: { entry: 'src/handler.py' } })),
        'services[0].runtime.entry',
      ),
    ).toEqual({
      path: 'services[0].runtime.entry',
      received: '"src/handler.py"',
      fix: 'use a source file ending in .ts, .js, .mjs, .cjs, .mts, .cts',
    });
    expect(
      problemAt(catalog(deploymentService({ runtime: { entry: '/src/a.ts' } })), 'services[0].runtime.entry')
        .fix,
    ).toMatch(/relative/);
    for (const entry of ['a.js', 'a.mjs', 'a.cjs', 'a.mts', 'a.cts']) {
      expect(parseCatalog(catalog(deploymentService({ runtime: { entry } }))).ok).toBe(true);
    }
  });

  it('requires runtime.handler to be an identifier', () => {
    expect(
      problemAt(
        catalog(deploymentService({ runtime: { entry: 'a.ts', handler: 'index.handler' } })),
        'services[0].runtime.handler',
      ).received,
    ).toBe('"index.handler"');
  });

  it('checks the smoke method, path and status', () => {
    const withSmoke = (smoke: unknown) => catalog(deploymentService({ smoke }));
    expect(problemAt(withSmoke({ method: 'get' }), 'services[0].smoke.method')).toEqual({
      path: 'services[0].smoke.method',
      received: '"get"',
      fix: 'use one of GET, POST, PUT, DELETE, PATCH, HEAD; did you mean `GET`?',
    });
    expect(problemAt(withSmoke({ path: 'health' }), 'services[0].smoke.path').received).toBe('"health"');
    expect(problemAt(withSmoke({ expectStatus: 99 }), 'services[0].smoke.expectStatus')).toEqual({
      path: 'services[0].smoke.expectStatus',
      received: '99',
      fix: 'use an HTTP status code from 100 to 599, e.g. 200',
    });
    expect(problemAt(withSmoke({ expectStatus: 600 }), 'services[0].smoke.expectStatus').received).toBe(
      '600',
    );
  });

  it('accepts the function URL auth type AWS_IAM or NONE, and names any other', () => {
    const withUrl = (functionUrl: unknown) => catalog(deploymentService({ functionUrl }));
    const parsed = parseCatalog(withUrl({ authType: 'NONE' }));
    expect(parsed.ok && parsed.catalog.services[0]?.functionUrl).toEqual({ authType: 'NONE' });
    const defaulted = parseCatalog(withUrl({}));
    expect(defaulted.ok && defaulted.catalog.services[0]?.functionUrl).toEqual({ authType: 'AWS_IAM' });
    expect(problemAt(withUrl({ authType: 'none' }), 'services[0].functionUrl.authType')).toEqual({
      path: 'services[0].functionUrl.authType',
      received: '"none"',
      fix: 'use one of AWS_IAM, NONE; did you mean `NONE`?',
    });
  });
});

describe('parseCatalog: deploy rules', () => {
  const withDeploy = (deploy: unknown) => catalog(deploymentService({ deploy }));

  it('requires a known strategy', () => {
    expect(problemAt(withDeploy({ strategy: 'Canary' }), 'services[0].deploy.strategy')).toEqual({
      path: 'services[0].deploy.strategy',
      received: '"Canary"',
      fix:
        'use one of AllAtOnce, Canary10Percent5Minutes, Canary10Percent10Minutes, Canary10Percent15Minutes, ' +
        'Canary10Percent30Minutes, Linear10PercentEvery1Minute, Linear10PercentEvery2Minutes, ' +
        'Linear10PercentEvery3Minutes, Linear10PercentEvery10Minutes',
    });
    expect(
      problemAt(withDeploy({ strategy: 'Canary10Percent5Minute' }), 'services[0].deploy.strategy').fix,
    ).toMatch(/did you mean `Canary10Percent5Minutes`\?$/);
  });

  it('explains the CodeDeployDefault.Lambda prefix', () => {
    expect(
      problemAt(withDeploy({ strategy: 'CodeDeployDefault.LambdaAllAtOnce' }), 'services[0].deploy.strategy')
        .fix,
    ).toBe('drop the CodeDeployDefault.Lambda prefix: use "AllAtOnce"');
  });

  it('keeps errorRatePercent in (0, 100] and p99LatencyMs above 0', () => {
    for (const errorRatePercent of [0, 101, -1]) {
      expect(
        problemAt(withDeploy({ alarms: { errorRatePercent } }), 'services[0].deploy.alarms.errorRatePercent')
          .received,
      ).toBe(String(errorRatePercent));
    }
    expect(parseCatalog(withDeploy({ alarms: { errorRatePercent: 100 } })).ok).toBe(true);
    expect(
      problemAt(withDeploy({ alarms: { p99LatencyMs: 0 } }), 'services[0].deploy.alarms.p99LatencyMs'),
    ).toEqual({
      path: 'services[0].deploy.alarms.p99LatencyMs',
      received: '0',
      fix: 'use a number of milliseconds greater than 0, e.g. 1000',
    });
  });
});

describe('parseCatalog: unknown keys', () => {
  it('suggests the key a typo meant', () => {
    expect(
      problemAt(
        catalog(deploymentService({ deploy: { stratgy: 'AllAtOnce' } })),
        'services[0].deploy.stratgy',
      ),
    ).toEqual({
      path: 'services[0].deploy.stratgy',
      received: '"AllAtOnce"',
      fix: 'unknown key; did you mean `strategy`?',
    });
    expect(problemAt({ ...catalog(deploymentService()), servies: [] }, 'servies').fix).toBe(
      'unknown key; did you mean `services`?',
    );
  });

  it('lists the allowed keys when nothing is close', () => {
    expect(problemAt(catalog(deploymentService({ owner: 'team-a' })), 'services[0].owner').fix).toBe(
      'unknown key; remove it (allowed here: name, mode, source, runtime, smoke, functionUrl, approval, deploy, readiness, dependencies)',
    );
  });

  it('quotes keys that are not identifiers', () => {
    expect(problemsOf(catalog(deploymentService({ 'my key': 1 })))[0]?.path).toBe('services[0]["my key"]');
  });
});

describe('parseCatalog: many problems at once', () => {
  it('reports every problem in one pass, in document order', () => {
    const problems = problemsOf({
      version: 2,
      services: [
        deliveryService({ name: 'Bad Name', approval: { approvers: ['nope'], required: 2 } }),
        deploymentService({ mode: 'yolo', deploy: { strategy: 'Fast', alarms: { p99LatencyMs: -1 } } }),
      ],
    });
    expect(problems.map((p) => p.path)).toEqual([
      'version',
      'services[0].name',
      'services[0].approval.approvers[0]',
      'services[1].mode',
      'services[1].deploy.strategy',
      'services[1].deploy.alarms.p99LatencyMs',
    ]);
  });
});

describe('formatProblems, requireCatalog and CatalogError', () => {
  it('formats one line per problem', () => {
    expect(
      formatProblems([
        { path: 'services[1].deploy.strategy', received: '"Fast"', fix: 'use one of AllAtOnce' },
      ]),
    ).toEqual(['services[1].deploy.strategy: received "Fast"; use one of AllAtOnce']);
  });

  it('returns the catalog or throws a CatalogError carrying every problem', () => {
    expect(requireCatalog(catalog(deploymentService())).services[0]?.name).toBe('checkout');
    let thrown: unknown;
    try {
      requireCatalog({ version: 3, services: [] });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(CatalogError);
    const error = thrown as CatalogError;
    expect(error.name).toBe('CatalogError');
    expect(error.problems.map((p) => p.path)).toEqual(['version', 'services']);
    expect(error.message).toContain('(2 problems)');
    expect(error.message).toContain('version: received 3; use 1');
  });

  it('shortens long received values', () => {
    const [problem] = problemsOf({ ...catalog(deploymentService()), version: 'x'.repeat(500) });
    expect(problem?.received.length).toBeLessThanOrEqual(120);
    expect(problem?.received.endsWith('…')).toBe(true);
  });
});

describe('findService', () => {
  const parsed = requireCatalog(catalog(deliveryService(), deploymentService()));

  it('finds a service by name', () => {
    expect(findService(parsed, 'checkout').mode).toBe('deployment');
  });

  it('throws UnknownServiceError naming the service and listing the known ones', () => {
    expect(() => findService(parsed, 'checkuot')).toThrow(UnknownServiceError);
    expect(() => findService(parsed, 'checkuot')).toThrow(
      'Unknown service "checkuot"; did you mean `checkout`?; the catalog has greeter, checkout',
    );
    expect(() => findService(parsed, 'billing')).toThrow(
      'Unknown service "billing"; the catalog has greeter, checkout',
    );
  });
});

describe('suggestions', () => {
  it('counts a transposition as one edit', () => {
    expect(editDistance('stratgey', 'strategy')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('suggests only plausible typos', () => {
    expect(closestMatch('stratgy', ['strategy', 'alarms'])).toBe('strategy');
    expect(closestMatch('xyz', ['strategy', 'alarms'])).toBeUndefined();
    expect(closestMatch('GET', ['get'])).toBe('get');
  });
});

describe('validateCatalog: auto mode and readiness', () => {
  it('accepts mode auto with readiness thresholds, filling the defaults', () => {
    const result = parseCatalog(
      catalog(
        deliveryService({ mode: 'auto', readiness: { minCleanReleases: 3, maxChangeFailureRate: 0.1 } }),
      ),
    );
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.catalog.services[0]?.mode).toBe('auto');
    expect(result.catalog.services[0]?.readiness).toEqual({
      minCleanReleases: 3,
      maxChangeFailureRate: 0.1,
      maxTimeToRestoreMinutes: 60,
      minShadowAgreement: 0.8,
      window: 20,
      rubberStampSeconds: 120,
    });
  });

  it('needs approvers for an auto service, which starts in delivery', () => {
    expect(problemAt(catalog(deploymentService({ mode: 'auto' })), 'services[0].approval').fix).toMatch(
      /^auto services need an approval block/,
    );
  });

  it('names each bad threshold with the value and the range', () => {
    const c = catalog(
      deliveryService({ readiness: { minCleanReleases: 0, maxChangeFailureRate: 15, windw: 3 } }),
    );
    expect(problemAt(c, 'services[0].readiness.minCleanReleases')).toEqual({
      path: 'services[0].readiness.minCleanReleases',
      received: '0',
      fix: 'use a whole number from 1 to 1000',
    });
    expect(problemAt(c, 'services[0].readiness.maxChangeFailureRate').fix).toBe(
      'use a fraction from 0 to 1, e.g. 0.15 for 15%',
    );
    expect(problemAt(c, 'services[0].readiness.windw').fix).toBe('unknown key; did you mean `window`?');
  });
});

describe('parseCatalog: business alarm and traffic', () => {
  const withDeploy = (deploy: unknown) => catalog(deploymentService({ deploy }));
  const business = {
    namespace: 'Shop',
    metricName: 'SignUps',
    threshold: 1,
    direction: 'below',
  };

  it('fills the business alarm defaults and turns a traffic body into JSON', () => {
    const result = parseCatalog(
      withDeploy({
        alarms: { business },
        traffic: [{ method: 'POST', path: '/signup', body: { email: 'a@example.com' } }],
      }),
    );
    if (!result.ok) throw new Error(formatProblems(result.problems).join('\n'));
    const deploy = result.catalog.services[0]?.deploy;
    expect(deploy?.alarms.business).toEqual({ ...business, dimensions: {}, statistic: 'Sum', periods: 1 });
    expect(deploy?.traffic).toEqual([{ method: 'POST', path: '/signup', body: '{"email":"a@example.com"}' }]);
  });

  it('takes a versionDimension the service sets to its version, apart from the fixed dimensions', () => {
    const scoped = { ...business, dimensions: { Service: 'shop' }, versionDimension: 'Version' };
    const result = parseCatalog(withDeploy({ alarms: { business: scoped } }));
    if (!result.ok) throw new Error(formatProblems(result.problems).join('\n'));
    expect(result.catalog.services[0]?.deploy.alarms.business?.versionDimension).toBe('Version');
    const clash = { ...business, dimensions: { Version: '1' }, versionDimension: 'Version' };
    expect(
      problemAt(
        withDeploy({ alarms: { business: clash } }),
        'services[0].deploy.alarms.business.versionDimension',
      ),
    ).toEqual({
      path: 'services[0].deploy.alarms.business.versionDimension',
      received: '"Version"',
      fix: 'remove "Version" from dimensions: Sluice sets it to the version being judged',
    });
    const bad = { ...business, versionDimension: ':Version' };
    expect(
      problemAt(
        withDeploy({ alarms: { business: bad } }),
        'services[0].deploy.alarms.business.versionDimension',
      ).fix,
    ).toMatch(/dimension name/);
  });

  it('names the path, the value and the allowed values for a bad business alarm', () => {
    const problems = problemsOf(
      withDeploy({
        alarms: {
          business: {
            namespace: 'AWS/Lambda',
            metricName: 'x',
            threshold: 'low',
            direction: 'down',
            statistic: 'p99',
          },
        },
      }),
    );
    const at = (path: string) => problems.find((p) => p.path === path);
    expect(at('services[0].deploy.alarms.business.namespace')?.fix).toMatch(/your own namespace.*not AWS/);
    expect(at('services[0].deploy.alarms.business.direction')).toMatchObject({
      received: '"down"',
      fix: 'use one of below, above',
    });
    expect(at('services[0].deploy.alarms.business.statistic')?.fix).toBe(
      'use one of Sum, Average, Minimum, Maximum, SampleCount',
    );
    expect(at('services[0].deploy.alarms.business.threshold')?.received).toBe('"low"');
    expect(
      problemAt(
        withDeploy({ alarms: { business: { namespace: 'Shop', direction: 'above', threshold: 1 } } }),
        'services[0].deploy.alarms.business.metricName',
      ).fix,
    ).toMatch(/add the name of the metric/);
  });

  it('requires traffic to be a non-empty list of requests with absolute paths', () => {
    expect(problemAt(withDeploy({ traffic: [] }), 'services[0].deploy.traffic').fix).toMatch(
      /list of 1-20 requests/,
    );
    expect(
      problemAt(withDeploy({ traffic: [{ path: 'checkout' }] }), 'services[0].deploy.traffic[0].path').fix,
    ).toMatch(/start the path with "\/"/);
  });
});

describe('parseCatalog: dependencies', () => {
  it('keeps the install-script allow-list and denied licences (sorted, once each) and the npmrc secret name', () => {
    const result = parseCatalog(
      catalog(
        deploymentService({
          dependencies: {
            allowInstallScripts: ['esbuild', '@scope/native', 'esbuild'],
            npmrcSecret: 'team/npmrc',
            deniedLicenses: ['SSPL-1.0', 'AGPL-3.0'],
            auditLevel: 'high',
          },
        }),
      ),
    );
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.catalog.services[0]?.dependencies).toEqual({
      allowInstallScripts: ['@scope/native', 'esbuild'],
      npmrcSecret: 'team/npmrc',
      deniedLicenses: ['AGPL-3.0', 'SSPL-1.0'],
      auditLevel: 'high',
    });
  });

  it('refuses names that are not npm package names, a bad secret name, and unknown keys', () => {
    const input = catalog(
      deploymentService({
        dependencies: {
          allowInstallScripts: ['Bad Name'],
          npmrcSecret: '../x',
          scripts: true,
          deniedLicenses: 'GPL',
        },
      }),
    );
    expect(problemAt(input, 'services[0].dependencies.allowInstallScripts').fix).toContain(
      'npm package names whose install scripts may run',
    );
    expect(problemAt(input, 'services[0].dependencies.npmrcSecret').fix).toContain('use a secret name');
    expect(problemAt(input, 'services[0].dependencies.scripts').fix).toContain('unknown key');
    expect(problemAt(input, 'services[0].dependencies.deniedLicenses').fix).toContain('SPDX licence ids');
  });

  it('refuses an auditLevel npm does not have, naming the value and the levels', () => {
    for (const value of ['severe', 'info', 'HIGH', 3]) {
      const input = catalog(deploymentService({ dependencies: { auditLevel: value } }));
      expect(problemAt(input, 'services[0].dependencies.auditLevel')).toMatchObject({
        received: expect.stringContaining(String(value)),
        fix: expect.stringMatching(/^use one of low, moderate, high, critical/),
      });
    }
  });
});
