/** The catalog's event-driven smoke check and traffic: `smoke: { event, expect }` and `deploy.traffic: [{ event }]`. */
import { describe, expect, it } from 'vitest';
import type { CatalogProblem } from '../../../../lambdas/core/catalog/types';
import { parseCatalog } from '../../../../lambdas/core/catalog/validate';
import { defined } from '../../../../lambdas/core/defined';

type Doc = Record<string, unknown>;

const SQS = { Records: [{ messageId: 'smoke-1', body: '{"orderId":"o-1"}', eventSource: 'aws:sqs' }] };

function catalogWith(overrides: Doc): Doc {
  return {
    version: 1,
    services: [
      {
        name: 'orders',
        mode: 'deployment',
        source: { repository: 'orders' },
        runtime: { entry: 'src/handler.ts' },
        ...overrides,
      },
    ],
  };
}

function problemsOf(input: unknown): CatalogProblem[] {
  const result = parseCatalog(input);
  if (result.ok) throw new Error('expected problems, got a valid catalog');
  return result.problems;
}

function problemAt(input: unknown, path: string): CatalogProblem {
  const matching = problemsOf(input).filter((p) => p.path === path);
  expect(matching, `problems at ${JSON.stringify(problemsOf(input))}`).toHaveLength(1);
  return defined(matching[0], `the problem at ${path}`);
}

describe('parseCatalog: event-driven smoke checks and traffic', () => {
  it('accepts an event with what its result must contain, and events as traffic', () => {
    const result = parseCatalog(
      catalogWith({
        smoke: { event: SQS, expect: { batchItemFailures: [] } },
        deploy: { traffic: [{ event: SQS }, { event: { Records: [] } }] },
      }),
    );
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const [service] = result.catalog.services;
    expect(service?.smoke).toEqual({ event: SQS, expect: { batchItemFailures: [] } });
    expect(service?.deploy.traffic).toEqual([{ event: SQS }, { event: { Records: [] } }]);
  });

  it('accepts an event without expect: then only a throw or failed batch items fail it', () => {
    const result = parseCatalog(catalogWith({ smoke: { event: { source: 'aws.events', detail: {} } } }));
    expect(result.ok && result.catalog.services[0]?.smoke).toEqual({
      event: { source: 'aws.events', detail: {} },
    });
  });

  it('refuses an event that is not an object, or expect without an event, showing what it received', () => {
    expect(problemAt(catalogWith({ smoke: { event: '{"Records":[]}' } }), 'services[0].smoke.event')).toEqual(
      {
        path: 'services[0].smoke.event',
        received: '"{\\"Records\\":[]}"',
        fix: expect.stringMatching(
          /^use a JSON object, as event sources send \(not a string\), e\.g\. \{ "Records"/,
        ),
      },
    );
    expect(problemAt(catalogWith({ smoke: { expect: { ok: true } } }), 'services[0].smoke.event')).toEqual({
      path: 'services[0].smoke.event',
      received: 'undefined',
      fix: expect.stringMatching(/^add the event to invoke the handler with, e\.g\. \{ "Records"/),
    });
  });

  it('refuses a smoke check that mixes HTTP fields with an event, naming each one', () => {
    const problems = problemsOf(catalogWith({ smoke: { event: SQS, method: 'POST', expectStatus: 200 } }));
    expect(problems.map((p) => p.path)).toEqual([
      'services[0].smoke.method',
      'services[0].smoke.expectStatus',
    ]);
    expect(problems[0]?.fix).toMatch(/either an HTTP request \(method, path, expectStatus\) or an event/);
  });

  it('refuses a smoke check too large for the post-traffic hook environment (4 KB in all)', () => {
    const big = { Records: [{ messageId: 'm', body: 'x'.repeat(3100) }] };
    const problem = problemAt(catalogWith({ smoke: { event: big } }), 'services[0].smoke');
    expect(problem.fix).toMatch(/its JSON is \d+ characters, at most 3072 fit/);
    expect(problem.received.length).toBeLessThanOrEqual(120);
  });

  it('refuses traffic of the other kind than the smoke check, and an entry that is both', () => {
    const httpTraffic = problemAt(
      catalogWith({ smoke: { event: SQS }, deploy: { traffic: [{ method: 'GET', path: '/' }] } }),
      'services[0].deploy.traffic[0]',
    );
    expect(httpTraffic).toEqual({
      path: 'services[0].deploy.traffic[0]',
      received: '{"method":"GET","path":"/"}',
      fix: expect.stringMatching(/^use an event, like the smoke check: \{ "event": \{"Records"/),
    });
    expect(
      problemAt(catalogWith({ deploy: { traffic: [{ event: SQS }] } }), 'services[0].deploy.traffic[0]').fix,
    ).toMatch(/^use an HTTP request, like the smoke check/);
    expect(
      problemAt(
        catalogWith({ smoke: { event: SQS }, deploy: { traffic: [{ event: SQS, path: '/' }] } }),
        'services[0].deploy.traffic[0].path',
      ).fix,
    ).toBe('remove it: an event entry holds only "event"');
    expect(
      problemAt(
        catalogWith({ smoke: { event: SQS }, deploy: { traffic: [{ event: [SQS] }] } }),
        'services[0].deploy.traffic[0].event',
      ).fix,
    ).toMatch(/^use a JSON object, as event sources send \(not an array\)/);
  });
});
