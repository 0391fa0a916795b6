/** Reads a catalog file: a missing file and broken JSON are reported as problems like any other. */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { Catalog, CatalogProblem } from './types';
import { CatalogError, type CatalogResult, describeValue, parseCatalog } from './validate';

/** Problem path for what is wrong with the file itself rather than a value in it. */
export const FILE_PATH = '(file)';

export interface JsonSyntaxError {
  /** 0-based offset into the text. */
  readonly offset: number;
  /** 1-based. */
  readonly line: number;
  /** 1-based, in characters from the start of the line. */
  readonly column: number;
  readonly message: string;
}

export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - (before.lastIndexOf('\n') + 1) + 1 };
}

/**
 * Where the first JSON syntax error is, with a readable reason. Our own scan, because JSON.parse's messages
 * differ between Node versions and some carry no position at all.
 */
export function findJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  let i = 0;
  const fail = (message: string, at = i): never => {
    throw Object.assign(new Error(message), { offset: at });
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text.charAt(i))) i++;
    if (text.startsWith('//', i) || text.startsWith('/*', i)) fail('comments are not allowed in JSON');
  };
  const literal = (word: string) => {
    if (!text.startsWith(word, i))
      fail('expected a value (an object, array, string, number, true, false or null)');
    i += word.length;
  };
  const string = () => {
    if (text[i] === "'") fail('use double quotes (") for strings and property names');
    if (text[i] !== '"') fail('expected a string in double quotes');
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') {
      const ch = text.charCodeAt(i);
      if (ch < 0x20)
        fail(
          ch === 0x0a
            ? 'unterminated string: close it with " before the end of the line'
            : 'control character in a string: escape it',
        );
      if (text[i] === '\\') {
        const next = text[i + 1];
        if (next === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6)))
            fail('invalid \\u escape: use four hex digits');
          i += 6;
          continue;
        }
        if (next === undefined || !'"\\/bfnrt'.includes(next)) fail('invalid escape sequence in a string');
        i += 2;
        continue;
      }
      i++;
    }
    if (i >= text.length) fail('unterminated string: close it with "', start);
    i++;
  };
  const number = () => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!match) fail('expected a value (an object, array, string, number, true, false or null)');
    i += match![0].length;
  };
  const value = (depth: number): void => {
    if (depth > 500) fail('too deeply nested');
    ws();
    if (i >= text.length) fail('unexpected end of file: a value is missing');
    const ch = text[i];
    if (ch === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (i >= text.length) fail('unexpected end of file: close the object with }');
        if (text[i] === '}') fail('remove the trailing comma before }', text.lastIndexOf(',', i));
        if (text[i] !== '"' && text[i] !== "'") fail('expected a property name in double quotes');
        string();
        ws();
        if (text[i] !== ':') fail('expected : after the property name');
        i++;
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail(
          i >= text.length
            ? 'unexpected end of file: close the object with }'
            : 'expected , or } after a property value',
        );
      }
    }
    if (ch === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] === ']') fail('remove the trailing comma before ]', text.lastIndexOf(',', i));
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail(
          i >= text.length
            ? 'unexpected end of file: close the array with ]'
            : 'expected , or ] after an array element',
        );
      }
    }
    if (ch === '"' || ch === "'") string();
    else if (ch === 't') literal('true');
    else if (ch === 'f') literal('false');
    else if (ch === 'n') literal('null');
    else number();
  };
  try {
    value(0);
    ws();
    if (i < text.length) fail('unexpected text after the end of the JSON document');
    return undefined;
  } catch (error) {
    const offset = (error as { offset?: number }).offset;
    if (typeof offset !== 'number') throw error;
    return { offset, ...lineAndColumn(text, offset), message: (error as Error).message };
  }
}

/** A catalog nests about 6 levels; deeper input is refused before JSON.parse, whose recursion it would overflow. */
export const MAX_CATALOG_DEPTH = 32;

/** The offset where JSON `text` first nests deeper than `max` arrays and objects, or undefined. */
export function tooDeepAt(text: string, max = MAX_CATALOG_DEPTH): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') {
      if (++depth > max) return i;
    } else if (ch === '}' || ch === ']') depth--;
  }
  return undefined;
}

/** The problem of a catalog text nested deeper than MAX_CATALOG_DEPTH, naming where; `where` names the file. */
export function depthProblem(text: string, where: string): CatalogProblem | undefined {
  const at = tooDeepAt(text);
  if (at === undefined) return undefined;
  const { line, column } = lineAndColumn(text, at);
  return {
    path: FILE_PATH,
    received: describeValue(text.slice(at, at + 20)),
    fix: `nested deeper than ${MAX_CATALOG_DEPTH} levels at line ${line}, column ${column} (${where}:${line}:${column}); a catalog needs far fewer`,
  };
}

function fileProblem(fix: string, received: unknown): CatalogResult {
  const problem: CatalogProblem = { path: FILE_PATH, received: describeValue(received), fix };
  return { ok: false, problems: [problem] };
}

/** Parses catalog text; `file` is only used in messages and to resolve relative `localPath`s. */
export function parseCatalogText(text: string, file: string): CatalogResult {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const tooDeep = depthProblem(source, file);
  if (tooDeep) return { ok: false, problems: [tooDeep] };
  let data: unknown;
  try {
    data = JSON.parse(source);
  } catch (error) {
    const where = findJsonSyntaxError(source);
    if (where === undefined) return fileProblem(`invalid JSON: ${(error as Error).message}`, file);
    const rest = (source.slice(where.offset).split(/\r?\n/)[0] ?? '').slice(0, 20);
    // Received: the text where the error is (undefined at the end of a line or of the file).
    return fileProblem(
      `invalid JSON at line ${where.line}, column ${where.column} (${file}:${where.line}:${where.column}): ${where.message}`,
      rest === '' ? undefined : rest,
    );
  }
  const result = parseCatalog(data);
  if (!result.ok) return result;
  const folder = dirname(resolve(file));
  const services = result.catalog.services.map((service) => {
    const localPath = service.source.localPath;
    if (localPath === undefined || isAbsolute(localPath)) return service;
    return { ...service, source: { ...service.source, localPath: resolve(folder, localPath) } };
  });
  return { ok: true, catalog: { ...result.catalog, services } };
}

/** Reads and checks a catalog file; relative `source.localPath`s come back absolute (against the file's folder). */
export function loadCatalogFile(file: string): CatalogResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      return fileProblem(
        `no such file (${resolve(file)}); create the catalog or name an existing file`,
        file,
      );
    }
    if (code === 'EISDIR') {
      return fileProblem('this is a folder; name the catalog file inside it, e.g. sluice.catalog.json', file);
    }
    return fileProblem(`cannot read the file: ${(error as Error).message}`, file);
  }
  return parseCatalogText(text, file);
}

/** loadCatalogFile, throwing a CatalogError that names the file and lists every problem. */
export function requireCatalogFile(file: string): Catalog {
  const result = loadCatalogFile(file);
  if (!result.ok) throw new CatalogError(result.problems, file);
  return result.catalog;
}
