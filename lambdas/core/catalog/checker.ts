/**
 * The catalog checker: collects every problem with its path, the value received and how to fix it, and
 * suggests the closest valid word for a typo.
 */

import { defined } from '../defined';
import type { CatalogProblem } from './types';

// ---------------------------------------------------------------------------------------------------------
// Suggestions

/** Optimal string alignment distance: Levenshtein plus adjacent transpositions (`stratgey` is one edit away). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  // d(i, j): the distance between a's first i and b's first j characters, in one row-major table.
  const d = Array.from({ length: rows * cols }, (_, k) => {
    const [i, j] = [Math.floor(k / cols), k % cols];
    return i === 0 ? j : j === 0 ? i : 0;
  });
  const at = (i: number, j: number) => defined(d[i * cols + j], 'an edit-distance cell');
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1);
      d[i * cols + j] = best;
    }
  }
  return at(a.length, b.length);
}

/** The candidate closest to `word` (case-insensitive), if it is close enough to be a plausible typo. */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const allowed = Math.max(1, Math.floor(word.length / 4));
  return bestDistance <= allowed ? best : undefined;
}

export function didYouMean(word: unknown, candidates: readonly string[]): string {
  if (typeof word !== 'string') return '';
  const match = closestMatch(word, candidates);
  return match !== undefined && match !== word ? `; did you mean \`${match}\`?` : '';
}

// ---------------------------------------------------------------------------------------------------------
// Problems and paths

const MAX_RECEIVED = 120;

/** The value as the problem shows it: JSON, shortened, `undefined` when missing. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  text ??= String(value);
  return text.length > MAX_RECEIVED ? `${text.slice(0, MAX_RECEIVED - 1)}…` : text;
}

export function childPath(path: string, key: string): string {
  if (!/^[A-Za-z_$][\w$]*$/.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path === '' ? key : `${path}.${key}`;
}

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** Collects problems; the readers return a placeholder when a value is wrong, since any problem discards the result. */
export class Checker {
  readonly problems: CatalogProblem[] = [];

  add(path: string, value: unknown, fix: string): void {
    this.problems.push({ path: path === '' ? '(root)' : path, received: describeValue(value), fix });
  }

  /** An object with only `allowed` keys; undefined when missing or not an object. */
  object(
    value: unknown,
    path: string,
    allowed: readonly string[],
    missingFix: string | undefined,
  ): Json | undefined {
    if (value === undefined) {
      if (missingFix !== undefined) this.add(path, value, missingFix);
      return undefined;
    }
    if (!isObject(value)) {
      this.add(path, value, `use an object ({ ... }), not ${kindOf(value)}`);
      return undefined;
    }
    for (const [key, child] of Object.entries(value)) {
      if (allowed.includes(key)) continue;
      const suggestion = closestMatch(key, allowed);
      const fix =
        suggestion !== undefined
          ? `unknown key; did you mean \`${suggestion}\`?`
          : `unknown key; remove it (allowed here: ${allowed.join(', ')})`;
      this.add(childPath(path, key), child, fix);
    }
    return value;
  }

  /**
   * A string field. `problem` returns the fix when the (non-empty) string is unacceptable.
   * Missing: the default, or a problem with `missingFix` when there is no default.
   */
  string(
    parent: Json,
    key: string,
    path: string,
    options: { default?: string; missingFix?: string; problem?: (value: string) => string | undefined },
  ): string {
    const at = childPath(path, key);
    const value = parent[key];
    if (value === undefined) {
      if (options.default !== undefined) return options.default;
      this.add(at, value, options.missingFix ?? 'add it');
      return '';
    }
    if (typeof value !== 'string' || value.trim() === '') {
      this.add(
        at,
        value,
        typeof value === 'string' ? 'use a non-empty string' : `use a string, not ${kindOf(value)}`,
      );
      return '';
    }
    const fix = options.problem?.(value);
    if (fix !== undefined) {
      this.add(at, value, fix);
      return '';
    }
    return value;
  }

  oneOf<T extends string>(
    parent: Json,
    key: string,
    path: string,
    options: readonly T[],
    fallback: T | undefined,
    missingFix?: string,
  ): T {
    const at = childPath(path, key);
    const value = parent[key];
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value === 'string' && (options as readonly string[]).includes(value)) return value as T;
    if (value === undefined && missingFix !== undefined) {
      this.add(at, value, missingFix);
    } else {
      this.add(at, value, `use one of ${options.join(', ')}${didYouMean(value, options)}`);
    }
    return defined(options[0], 'the first option');
  }

  number(
    parent: Json,
    key: string,
    path: string,
    options: { default: number; integer?: boolean; accept: (n: number) => boolean; fix: string },
  ): number {
    const at = childPath(path, key);
    const value = parent[key];
    if (value === undefined) return options.default;
    const ok =
      typeof value === 'number' &&
      Number.isFinite(value) &&
      (!options.integer || Number.isInteger(value)) &&
      options.accept(value);
    if (!ok) {
      this.add(at, value, options.fix);
      return options.default;
    }
    return value;
  }

  /** An array field; undefined (after reporting) when it is not a non-empty array. */
  array(
    parent: Json,
    key: string,
    path: string,
    options: { missingFix?: string; emptyFix: string },
  ): unknown[] | undefined {
    const at = childPath(path, key);
    const value = parent[key];
    if (value === undefined) {
      if (options.missingFix !== undefined) this.add(at, value, options.missingFix);
      return undefined;
    }
    if (!Array.isArray(value)) {
      this.add(at, value, `use an array ([ ... ]), not ${kindOf(value)}`);
      return undefined;
    }
    if (value.length === 0) {
      this.add(at, value, options.emptyFix);
      return undefined;
    }
    return value;
  }
}

/** Why a repository-relative path is unacceptable, or undefined when it is fine. */
export function relativePathProblem(value: string): string | undefined {
  if (/^([/\\]|[A-Za-z]:)/.test(value))
    return 'use a path relative to the repository root (no leading / or drive letter)';
  if (value.split(/[/\\]/).includes('..')) return 'remove `..`: the path must stay inside the repository';
  if (/[\0\r\n]/.test(value)) return 'remove control characters from the path';
  return undefined;
}
