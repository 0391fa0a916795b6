import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEPLOY_STRATEGIES } from '../../../../lambdas/core/catalog/types';
import {
  APPROVAL_CHANNELS,
  RELEASE_MODES,
  SERVICE_NAME_PATTERN,
  SMOKE_METHODS,
} from '../../../../lambdas/core/catalog/validate';

const REPO_ROOT = resolve(__dirname, '..', '..', '..', '..');
const schema = JSON.parse(
  readFileSync(join(REPO_ROOT, 'lambdas', 'core', 'catalog', 'catalog.schema.json'), 'utf8'),
);
const defs = schema.$defs;

type Validate = ((data: unknown) => boolean) & { errors?: { instancePath: string }[] | null };
type AjvClass = new (options: object) => { compile(schema: object): Validate };

/** Ajv comes with asl-validator, not as our own dependency: use it when it is there, skip when it is not. */
function loadAjv(): AjvClass | undefined {
  try {
    return (createRequire(__filename)('ajv/dist/2020') as { default: AjvClass }).default;
  } catch {
    return undefined;
  }
}
const Ajv = loadAjv();

describe('catalog.schema.json', () => {
  it('is draft 2020-12 and is what sluice.catalog.json points at', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    const catalog = JSON.parse(readFileSync(join(REPO_ROOT, 'sluice.catalog.json'), 'utf8'));
    expect(resolve(REPO_ROOT, catalog.$schema)).toBe(
      join(REPO_ROOT, 'lambdas', 'core', 'catalog', 'catalog.schema.json'),
    );
  });

  it('lists the same values and patterns as the validator', () => {
    expect(defs.service.properties.mode.enum).toEqual(RELEASE_MODES);
    expect(defs.service.properties.name.pattern).toBe(SERVICE_NAME_PATTERN.source);
    expect(defs.deploy.properties.strategy.enum).toEqual(DEPLOY_STRATEGIES);
    expect(defs.httpSmoke.properties.method.enum).toEqual(SMOKE_METHODS);
    expect(defs.smoke.anyOf).toEqual([{ $ref: '#/$defs/httpSmoke' }, { $ref: '#/$defs/eventSmoke' }]);
    expect(defs.approval.properties.channels.items.enum).toEqual(APPROVAL_CHANNELS);
  });

  it.skipIf(Ajv === undefined)('accepts the repository catalog and rejects broken ones', () => {
    const validate = new Ajv!({
      allErrors: true,
      strict: true,
      strictRequired: false,
      strictTypes: false,
    }).compile(schema);
    const catalog = JSON.parse(readFileSync(join(REPO_ROOT, 'sluice.catalog.json'), 'utf8'));
    expect(validate(catalog), JSON.stringify(validate.errors)).toBe(true);

    const service = {
      name: 'svc',
      mode: 'deployment',
      source: { repository: 'svc' },
      runtime: { entry: 'a.ts' },
    };
    const broken: [unknown, string][] = [
      [{ version: 1, services: [{ ...service, mode: 'delivery' }] }, '/services/0'],
      [{ version: 1, services: [{ ...service, deploy: { stratgy: 'AllAtOnce' } }] }, '/services/0/deploy'],
      [
        { version: 1, services: [{ ...service, runtime: { entry: '../a.ts' } }] },
        '/services/0/runtime/entry',
      ],
      [
        { version: 1, services: [{ ...service, source: { repository: 'a/b' } }] },
        '/services/0/source/repository',
      ],
      [{ version: 2, services: [service] }, '/version'],
    ];
    for (const [doc, path] of broken) {
      expect(validate(doc), JSON.stringify(doc)).toBe(false);
      expect(validate.errors?.map((e) => e.instancePath)).toContain(path);
    }
    expect(
      validate({ version: 1, services: [{ ...service, source: { repository: 'a/b', provider: 'github' } }] }),
    ).toBe(true);
    const event = { Records: [{ messageId: 'm-1', body: '{}' }] };
    const eventDriven = {
      ...service,
      smoke: { event, expect: { batchItemFailures: [] } },
      deploy: { traffic: [{ event }] },
    };
    expect(validate({ version: 1, services: [eventDriven] }), JSON.stringify(validate.errors)).toBe(true);
    // Half a request and half an event is neither.
    expect(validate({ version: 1, services: [{ ...service, smoke: { event, expectStatus: 200 } }] })).toBe(
      false,
    );
    expect(validate({ version: 1, services: [{ ...service, smoke: { event: 'Records' } }] })).toBe(false);
  });
});
