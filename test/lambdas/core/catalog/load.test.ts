import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  FILE_PATH,
  findJsonSyntaxError,
  loadCatalogFile,
  MAX_CATALOG_DEPTH,
  parseCatalogText,
  requireCatalogFile,
  tooDeepAt,
} from '../../../../lambdas/core/catalog/load';
import { CatalogError, formatProblems } from '../../../../lambdas/core/catalog/validate';
import { testTempDir } from '../../../support/test-temp-dir';

const REPO_ROOT = resolve(__dirname, '..', '..', '..', '..');
const dir = testTempDir('catalog-');

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const service = {
  name: 'greeter',
  mode: 'deployment',
  source: { repository: 'greeter' },
  runtime: { entry: 'src/handler.ts' },
};

describe("the repository's own catalog", () => {
  it('is valid and holds greeter (delivery), checkout (deployment) and order-events (deployment, SQS)', () => {
    const result = loadCatalogFile(join(REPO_ROOT, 'sluice.catalog.json'));
    if (!result.ok) throw new Error(formatProblems(result.problems).join('\n'));
    const [greeter, checkout, orderEvents] = result.catalog.services;
    expect(greeter).toMatchObject({
      name: 'greeter',
      mode: 'delivery',
      source: { repository: 'greeter', provider: 'codecommit', branch: 'main', path: '.' },
      runtime: { entry: 'src/handler.ts', handler: 'handler', tests: 'test' },
      smoke: { method: 'GET', path: '/', expectStatus: 200 },
      approval: { approvers: ['alice@example.com', 'bob@example.com'], required: 1 },
      deploy: { strategy: 'Canary10Percent5Minutes' },
    });
    expect(checkout).toMatchObject({
      name: 'checkout',
      mode: 'deployment',
      source: { repository: 'checkout' },
      runtime: { entry: 'src/handler.ts' },
      deploy: { strategy: 'Canary10Percent5Minutes', alarms: { errorRatePercent: 5, p99LatencyMs: 500 } },
    });
    expect(checkout?.approval).toBeUndefined();
    // An event-driven handler: smoke-tested with an SQS batch, its canary fed SQS batches.
    expect(orderEvents).toMatchObject({
      name: 'order-events',
      mode: 'deployment',
      source: { repository: 'order-events' },
      smoke: { expect: { batchItemFailures: [] } },
      deploy: { strategy: 'Canary10Percent5Minutes', alarms: { errorRatePercent: 5, p99LatencyMs: 500 } },
    });
    expect(orderEvents?.smoke).toHaveProperty('event.Records.0.messageId', 'smoke-1');
    expect(orderEvents?.deploy.traffic).toHaveLength(2);
  });
});

describe('loadCatalogFile', () => {
  it('reports a missing file', () => {
    const file = join(dir, 'missing.json');
    const result = loadCatalogFile(file);
    expect(result).toEqual({
      ok: false,
      problems: [
        {
          path: FILE_PATH,
          received: JSON.stringify(file),
          fix: `no such file (${file}); create the catalog or name an existing file`,
        },
      ],
    });
  });

  it('reports a folder given as the file', () => {
    const result = loadCatalogFile(dir);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]?.fix).toMatch(/this is a folder/);
  });

  it('gives the line and column of a JSON syntax error', () => {
    const file = write('trailing-comma.json', '{\n  "version": 1,\n  "services": [],\n}\n');
    const result = loadCatalogFile(file);
    if (result.ok) throw new Error('expected a problem');
    expect(result.problems).toEqual([
      {
        path: '(file)',
        received: '","',
        fix: `invalid JSON at line 3, column 17 (${file}:3:17): remove the trailing comma before }`,
      },
    ]);
  });

  it('reports schema problems of a well-formed file', () => {
    const file = write('bad.json', JSON.stringify({ version: 1, services: [{ ...service, mode: 'fast' }] }));
    const result = loadCatalogFile(file);
    if (result.ok) throw new Error('expected a problem');
    expect(formatProblems(result.problems)).toEqual([
      'services[0].mode: received "fast"; use one of delivery, deployment, auto',
    ]);
  });

  it('accepts a byte order mark', () => {
    const file = write('bom.json', `\uFEFF${JSON.stringify({ version: 1, services: [service] })}`);
    expect(loadCatalogFile(file).ok).toBe(true);
  });

  it("resolves a relative source.localPath against the catalog file's folder", () => {
    const file = write(
      'local.json',
      JSON.stringify({
        version: 1,
        services: [
          { ...service, source: { repository: 'greeter', localPath: '../repos/greeter' } },
          { ...service, name: 'abs', source: { repository: 'abs', localPath: '/srv/abs' } },
          { ...service, name: 'none' },
        ],
      }),
    );
    const result = loadCatalogFile(file);
    if (!result.ok) throw new Error(formatProblems(result.problems).join('\n'));
    expect(result.catalog.services.map((s) => s.source.localPath)).toEqual([
      resolve(dir, '..', 'repos', 'greeter'),
      '/srv/abs',
      undefined,
    ]);
  });
});

describe('requireCatalogFile', () => {
  it('throws a CatalogError naming the file', () => {
    const file = join(dir, 'nope.json');
    expect(() => requireCatalogFile(file)).toThrow(CatalogError);
    expect(() => requireCatalogFile(file)).toThrow(`Invalid service catalog ${file} (1 problem)`);
  });
});

describe('findJsonSyntaxError', () => {
  it.each([
    ['{"a": 1 "b": 2}', 1, 9, 'expected , or } after a property value'],
    ['{\n  "a": \'x\'\n}', 2, 8, 'use double quotes (") for strings and property names'],
    ['{"a": [1, 2', 1, 12, 'unexpected end of file: close the array with ]'],
    ['', 1, 1, 'unexpected end of file: a value is missing'],
    ['{"a": tru}', 1, 7, 'expected a value (an object, array, string, number, true, false or null)'],
    ['{} x', 1, 4, 'unexpected text after the end of the JSON document'],
    ['{\n  // note\n  "a": 1\n}', 2, 3, 'comments are not allowed in JSON'],
    ['[1, 2,]', 1, 6, 'remove the trailing comma before ]'],
    ['{a: 1}', 1, 2, 'expected a property name in double quotes'],
    ['{"a": "b\n"}', 1, 9, 'unterminated string: close it with " before the end of the line'],
    ['{"a": "\\x"}', 1, 8, 'invalid escape sequence in a string'],
    ['{"a": 01}', 1, 8, 'expected , or } after a property value'],
  ])('locates the error in %j', (text, line, column, message) => {
    expect(() => JSON.parse(text)).toThrow();
    expect(findJsonSyntaxError(text)).toMatchObject({ line, column, message });
  });

  it('finds nothing in valid JSON', () => {
    for (const text of [
      '{}',
      '[]',
      '1',
      '"x"',
      'null',
      ' {"a": [true, false, null, -1.5e3, "\\u00e9\\n"]} ',
    ]) {
      expect(JSON.parse(text)).toBeDefined();
      expect(findJsonSyntaxError(text)).toBeUndefined();
    }
  });

  it('reports undefined as received at the end of the file', () => {
    const result = parseCatalogText('{"version": 1', 'x.json');
    if (result.ok) throw new Error('expected a problem');
    expect(result.problems[0]).toMatchObject({
      received: 'undefined',
      fix: expect.stringMatching(/^invalid JSON at line 1, column 14/),
    });
  });
});

describe('catalog nesting depth', () => {
  const service = (extra: string) =>
    `{"version": 1, "services": [{"name": "a", "mode": "deployment", "source": {"repository": "a"},\n "runtime": {"entry": "src/h.ts"}, "extra": ${extra}}]}`;

  it('refuses a catalog nested deeper than MAX_CATALOG_DEPTH with where it is, before parsing it', () => {
    // 200,000 levels overflow JSON.parse's recursion: a RangeError, not a problem a person can act on.
    const result = parseCatalogText(service(`${'['.repeat(200_000)}${']'.repeat(200_000)}`), 'deep.json');
    if (result.ok) throw new Error('expected a problem');
    expect(result.problems).toEqual([
      {
        path: '(file)',
        received: '"[[[[[[[[[[[[[[[[[[[["',
        fix: `nested deeper than ${MAX_CATALOG_DEPTH} levels at line 2, column 74 (deep.json:2:74); a catalog needs far fewer`,
      },
    ]);
  });

  it('counts only brackets outside strings, and lets a catalog at the limit through to the checks', () => {
    const inStrings = parseCatalogText(service(`"${'['.repeat(100)}"`), 'x.json');
    // The checks run (and name the unknown key): the depth check let it through.
    expect(inStrings.ok ? [] : inStrings.problems.map((p) => p.path)).toContain('services[0].extra');
    const atLimit = `${'['.repeat(MAX_CATALOG_DEPTH - 3)}${']'.repeat(MAX_CATALOG_DEPTH - 3)}`;
    expect(tooDeepAt(service(atLimit))).toBeUndefined();
    expect(tooDeepAt(service(`[${atLimit}]`))).toBeDefined();
    expect(tooDeepAt('{"a": "\\"[[[["}')).toBeUndefined();
  });
});
