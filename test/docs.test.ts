/** The README and the architecture document stay true to the code: counts, tables and catalog fields. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HANDLER_NAMES } from '../lambdas/runtime/env';

const ROOT = join(__dirname, '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const ARCHITECTURE = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8');

const NUMBER_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];
NUMBER_WORDS.push('eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen');

/** Lines outside fenced code blocks, with their 1-based numbers. */
function proseLines(markdown: string): { line: string; no: number }[] {
  let fenced = false;
  return markdown.split('\n').flatMap((line, i) => {
    if (line.startsWith('```')) fenced = !fenced;
    return fenced || line.startsWith('```') ? [] : [{ line, no: i + 1 }];
  });
}

/**
 * Table rows that Markdown renders as plain text: a row that starts a table (the line before it is not a
 * table row) but is not followed by the `| --- |` separator, e.g. rows after a blank line inside a table.
 */
function brokenTableRows(markdown: string): number[] {
  const lines = proseLines(markdown);
  const isRow = (l: string | undefined) => l?.trimStart().startsWith('|') ?? false;
  const isSeparator = (l: string | undefined) => /^\s*\|(\s*:?-{3,}:?\s*\|)+\s*$/.test(l ?? '');
  return lines
    .filter(({ line, no }, i) => {
      const previous = lines[i - 1];
      const startsTable = !(previous?.no === no - 1 && isRow(previous.line));
      return isRow(line) && startsTable && !isSeparator(lines[i + 1]?.line);
    })
    .map(({ no }) => no);
}

interface SchemaNode {
  readonly $ref?: string;
  readonly type?: string;
  readonly properties?: Record<string, SchemaNode>;
  readonly items?: SchemaNode;
}

/** Every field path of a catalog service (`source.branch`, `deploy.alarms.business`, …) in the schema. */
function catalogFields(): string[] {
  const schema = JSON.parse(
    readFileSync(join(ROOT, 'lambdas', 'core', 'catalog', 'catalog.schema.json'), 'utf8'),
  ) as SchemaNode & { $defs?: Record<string, SchemaNode>; definitions?: Record<string, SchemaNode> };
  const defs = schema.$defs ?? schema.definitions ?? {};
  const resolve = (node: SchemaNode): SchemaNode => {
    const name = node.$ref?.split('/').pop();
    const target = name === undefined ? undefined : defs[name];
    if (node.$ref !== undefined && target === undefined) throw new Error(`unresolved ${node.$ref}`);
    return target ?? node;
  };
  const walk = (node: SchemaNode, prefix: string): string[] =>
    Object.entries(resolve(node).properties ?? {}).flatMap(([key, child]) => [
      prefix + key,
      ...walk(child, `${prefix + key}.`),
    ]);
  const services = schema.properties?.services?.items;
  if (services === undefined) throw new Error('catalog.schema.json has no services.items');
  return walk(services, '');
}

describe('README.md', () => {
  it('counts the pipeline stack’s Lambda handlers right', () => {
    const said = /(\w+) Lambda handlers \(/.exec(README)?.[1];
    expect(said).toBe(NUMBER_WORDS[HANDLER_NAMES.length]);
  });

  it('has no table broken by a blank line', () => {
    expect(brokenTableRows(README)).toEqual([]);
  });

  it('documents every catalog field in the catalog table (a field, or the field that holds it)', () => {
    const documented = new Set([...README.matchAll(/^\| `([\w.]+)` \|/gm)].map((m) => m[1]));
    const missing = catalogFields().filter((field) => {
      const parents = field.split('.').map((_, i, parts) => parts.slice(0, i + 1).join('.'));
      const children = [...documented].some((d) => d?.startsWith(`${field}.`));
      return !children && !parents.some((p) => documented.has(p));
    });
    expect(missing).toEqual([]);
  });
});

describe('docs/architecture.md', () => {
  it('has no table broken by a blank line and points at no file outside the repository', () => {
    expect(brokenTableRows(ARCHITECTURE)).toEqual([]);
    expect(ARCHITECTURE).not.toMatch(/\.\.\/shared|\/work\//);
  });

  it('has a picture of the layers', () => {
    expect(ARCHITECTURE).toMatch(/## Layers/);
  });
});

describe('brokenTableRows', () => {
  it('finds rows after a blank line inside a table, not rows of a well-formed table or in code', () => {
    const text = ['| a | b |', '| --- | --- |', '| 1 | 2 |', '', '| 3 | 4 |', '```', '| x |', '```'];
    expect(brokenTableRows(text.join('\n'))).toEqual([5]);
    expect(brokenTableRows(text.slice(0, 3).join('\n'))).toEqual([]);
  });
});
