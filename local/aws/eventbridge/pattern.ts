/**
 * EventBridge event patterns: validation (what PutRule rejects) and matching (what a rule delivers), as the
 * EventBridge user guide documents them ("Event patterns", "Comparison operators", "Matching on arrays", "Null
 * values and empty strings"). Pure: no SDK, no I/O.
 *
 * The pattern and the event are both flattened to dot-joined paths, as EventBridge's matcher (aws/event-ruler)
 * does: `{"a": {"b": [..]}}` and `{"a.b": [..]}` name the same field, for the pattern and the event alike. A
 * field whose event value is an array matches when any element does, but two fields never combine values from
 * different elements of the same array.
 */
import { BlockList, isIP } from 'node:net';
import { defined } from '../../../lambdas/core/defined';

/** What PutRule answers with InvalidEventPatternException; the message follows EventBridge's. */
export class InvalidEventPatternError extends Error {
  override readonly name = 'InvalidEventPatternError';
  constructor(reason: string) {
    super(`Event pattern is not valid. Reason: ${reason}`);
  }
}

/** A compiled event pattern. */
export interface EventPattern {
  /** Does EventBridge deliver `event` to a rule with this pattern? */
  matches(event: unknown): boolean;
}

type Leaf = string | number | boolean | null;

/** One condition on the values at a path; a field's conditions are alternatives (an OR). */
type Condition =
  | { readonly kind: 'equals'; readonly value: Leaf }
  | { readonly kind: 'prefix' | 'suffix'; readonly text: string; readonly ignoreCase: boolean }
  | { readonly kind: 'equals-ignore-case'; readonly text: string }
  | { readonly kind: 'wildcard'; readonly regex: RegExp }
  | { readonly kind: 'anything-but'; readonly excludes: (value: Leaf) => boolean }
  | { readonly kind: 'numeric'; readonly test: (n: number) => boolean }
  | { readonly kind: 'cidr'; readonly within: (address: string) => boolean }
  | { readonly kind: 'exists'; readonly exists: boolean };

interface FieldRule {
  readonly path: string;
  readonly conditions: readonly Condition[];
}

/** A pattern in disjunctive form: it matches when every field of one conjunction does (`$or` multiplies them). */
type Conjunction = readonly FieldRule[];

/** Numeric matching is limited to values between -5.0e9 and +5.0e9 inclusive. */
const NUMERIC_LIMIT = 5e9;
const RANGE_OPERATORS = new Set(['<', '<=', '>', '>=']);

export function compileEventPattern(pattern: unknown): EventPattern {
  let parsed = pattern;
  if (typeof pattern === 'string') {
    try {
      parsed = JSON.parse(pattern);
    } catch (error) {
      throw new InvalidEventPatternError(`not valid JSON (${(error as Error).message})`);
    }
  }
  if (!isObject(parsed)) throw new InvalidEventPatternError('the pattern must be a JSON object');
  const conjunctions = compileObject(parsed, '');
  return { matches: (event) => matchesAny(conjunctions, event) };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** The conjunctions of an object of the pattern: its fields are ANDed, each `$or` multiplies the alternatives. */
function compileObject(node: Record<string, unknown>, path: string): Conjunction[] {
  const keys = Object.keys(node);
  if (keys.length === 0) throw new InvalidEventPatternError('Empty objects are not allowed');
  let result: Conjunction[] = [[]];
  for (const key of keys) {
    const value = node[key];
    let alternatives: Conjunction[];
    if (key === '$or' && isOrArray(value)) {
      alternatives = value.flatMap((alternative) => compileObject(alternative, path));
    } else if (Array.isArray(value)) {
      alternatives = [[{ path: join(path, key), conditions: compileConditions(key, value) }]];
    } else if (isObject(value)) {
      alternatives = compileObject(value, join(path, key));
    } else {
      throw new InvalidEventPatternError(`"${key}" must be an object or an array`);
    }
    result = result.flatMap((left) => alternatives.map((right) => [...left, ...right]));
  }
  return result;
}

const OPERATORS = new Set([
  'prefix',
  'suffix',
  'equals-ignore-case',
  'wildcard',
  'anything-but',
  'numeric',
  'exists',
  'cidr',
]);

/** `$or` is an OR only as an array of two or more objects none of whose keys is an operator; else it is a field. */
function isOrArray(value: unknown): value is Record<string, unknown>[] {
  return (
    Array.isArray(value) &&
    value.length >= 2 &&
    value.every((v) => isObject(v) && Object.keys(v).every((k) => !OPERATORS.has(k)))
  );
}

function compileConditions(key: string, values: readonly unknown[]): Condition[] {
  if (values.length === 0) throw new InvalidEventPatternError('Empty arrays are not allowed');
  return values.map((value) => {
    if (value === null || typeof value === 'string' || typeof value === 'boolean') {
      return { kind: 'equals', value };
    }
    if (typeof value === 'number') return { kind: 'equals', value: finite(value) };
    if (isObject(value)) return compileOperator(value);
    throw new InvalidEventPatternError(
      `the values of "${key}" must be strings, numbers, true, false, null or match expressions; received ${JSON.stringify(value)}`,
    );
  });
}

function finite(value: number): number {
  if (!Number.isFinite(value))
    throw new InvalidEventPatternError(`${value} is not a number EventBridge can match`);
  return value;
}

function compileOperator(expression: Record<string, unknown>): Condition {
  const keys = Object.keys(expression);
  if (keys.length !== 1) {
    throw new InvalidEventPatternError(
      `a match expression has exactly one operator; received ${JSON.stringify(keys)}`,
    );
  }
  const operator = defined(keys[0], 'the one operator');
  const operand = expression[operator];
  switch (operator) {
    case 'prefix':
    case 'suffix':
      return affix(operator, operand, `${operator} match pattern must be a string`);
    case 'equals-ignore-case':
      if (typeof operand !== 'string')
        throw new InvalidEventPatternError('equals-ignore-case match pattern must be a string');
      return { kind: 'equals-ignore-case', text: operand };
    case 'wildcard':
      if (typeof operand !== 'string')
        throw new InvalidEventPatternError('wildcard match pattern must be a string');
      return { kind: 'wildcard', regex: wildcardRegex(operand) };
    case 'anything-but':
      return { kind: 'anything-but', excludes: compileAnythingBut(operand) };
    case 'numeric':
      return { kind: 'numeric', test: compileNumeric(operand) };
    case 'exists':
      if (typeof operand !== 'boolean')
        throw new InvalidEventPatternError('exists match pattern must be either true or false');
      return { kind: 'exists', exists: operand };
    case 'cidr':
      return { kind: 'cidr', within: compileCidr(operand) };
    default:
      throw new InvalidEventPatternError(`Unrecognized match type ${operator}`);
  }
}

function affix(kind: 'prefix' | 'suffix', operand: unknown, message: string): Condition {
  if (typeof operand === 'string') return { kind, text: operand, ignoreCase: false };
  if (isObject(operand)) {
    const keys = Object.keys(operand);
    const text = operand['equals-ignore-case'];
    if (keys.length === 1 && keys[0] === 'equals-ignore-case' && typeof text === 'string') {
      return { kind, text, ignoreCase: true };
    }
  }
  throw new InvalidEventPatternError(message);
}

function foldCase(text: string): string {
  return text.toLowerCase();
}

/** `*` is any run of characters (none included); `\*` a literal star, `\\` a backslash; `**` is rejected. */
function wildcardRegex(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i);
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next !== '*' && next !== '\\') {
        throw new InvalidEventPatternError(`Invalid escape character at pos ${i + 1}`);
      }
      source += `\\${next}`;
      i++;
    } else if (c === '*') {
      if (pattern[i + 1] === '*') {
        throw new InvalidEventPatternError(`Consecutive wildcard characters at pos ${i + 1}`);
      }
      source += '.*';
    } else {
      source += c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`, 's');
}

/** The values an anything-but excludes; any other leaf value (null and other types included) matches. */
function compileAnythingBut(operand: unknown): (value: Leaf) => boolean {
  if (typeof operand === 'string') return (v) => v === operand;
  if (typeof operand === 'number') {
    const n = finite(operand);
    return (v) => v === n;
  }
  if (Array.isArray(operand)) {
    if (operand.length === 0) throw new InvalidEventPatternError('Empty arrays are not allowed');
    const strings = operand.every((v) => typeof v === 'string');
    const numbers = operand.every((v) => typeof v === 'number');
    if (!strings && !numbers) {
      throw new InvalidEventPatternError(
        'Inside anything but list, start|null|boolean is not supported (and strings and numbers are not mixed)',
      );
    }
    const excluded = new Set<unknown>(operand);
    return (v) => excluded.has(v);
  }
  if (isObject(operand) && Object.keys(operand).length === 1) {
    const operator = defined(Object.keys(operand)[0], 'the one operator');
    const value = operand[operator];
    if (operator === 'prefix' || operator === 'suffix') {
      if (isObject(value)) {
        // { prefix: { equals-ignore-case } } exists outside anything-but only.
        throw new InvalidEventPatternError(
          'Value of anything-but must be an array or single string/number value.',
        );
      }
      const affixes = stringList(value, 'prefix/suffix match pattern must be a string');
      if (affixes.includes('')) throw new InvalidEventPatternError('Null prefix/suffix not allowed');
      return operator === 'prefix'
        ? (v) => typeof v === 'string' && affixes.some((a) => v.startsWith(a))
        : (v) => typeof v === 'string' && affixes.some((a) => v.endsWith(a));
    }
    if (operator === 'equals-ignore-case') {
      const list = stringList(
        value,
        'Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.',
      );
      const folded = new Set(list.map(foldCase));
      return (v) => typeof v === 'string' && folded.has(foldCase(v));
    }
    if (operator === 'wildcard') {
      const regexes = stringList(value, 'wildcard match pattern must be a string').map(wildcardRegex);
      return (v) => typeof v === 'string' && regexes.some((r) => r.test(v));
    }
  }
  throw new InvalidEventPatternError(
    'Value of anything-but must be an array or single string/number value, or one of prefix, suffix, equals-ignore-case, wildcard',
  );
}

function stringList(value: unknown, message: string): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')) return value;
  throw new InvalidEventPatternError(message);
}

/** `["=", n]`, or a lower bound, an upper bound, or both: `[">", 0, "<=", 5]`. */
function compileNumeric(operand: unknown): (n: number) => boolean {
  if (!Array.isArray(operand)) throw new InvalidEventPatternError('Value of numeric must be an array.');
  if (operand.length === 0) throw new InvalidEventPatternError('Empty arrays are not allowed');
  const bound = (operator: unknown, value: unknown): number => {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new InvalidEventPatternError(`Value of ${String(operator)} must be numeric`);
    }
    if (Math.abs(value) > NUMERIC_LIMIT) {
      throw new InvalidEventPatternError(
        `Value of ${String(operator)} must be between -5.0E9 and 5.0E9 inclusive`,
      );
    }
    return value;
  };
  if (operand[0] === '=') {
    if (operand.length !== 2) throw new InvalidEventPatternError('Value of = must be a single number');
    const equal = bound('=', operand[1]);
    return (n) => n === equal;
  }
  let lower: { value: number; inclusive: boolean } | undefined;
  let upper: { value: number; inclusive: boolean } | undefined;
  for (let i = 0; i < operand.length; i += 2) {
    const operator = operand[i];
    if (typeof operator !== 'string' || !RANGE_OPERATORS.has(operator)) {
      throw new InvalidEventPatternError(`Unrecognized numeric range operator: ${String(operator)}`);
    }
    if (i + 1 >= operand.length) throw new InvalidEventPatternError(`Value of ${operator} must be numeric`);
    const value = bound(operator, operand[i + 1]);
    const isLower = operator.startsWith('>');
    if ((isLower && lower) || (!isLower && upper)) {
      throw new InvalidEventPatternError(`Bad numeric range operator: ${operator}`);
    }
    if (isLower) lower = { value, inclusive: operator === '>=' };
    else upper = { value, inclusive: operator === '<=' };
  }
  if (lower && upper && lower.value >= upper.value) {
    throw new InvalidEventPatternError('Bottom must be less than top');
  }
  return (n) =>
    (!lower || (lower.inclusive ? n >= lower.value : n > lower.value)) &&
    (!upper || (upper.inclusive ? n <= upper.value : n < upper.value));
}

function compileCidr(operand: unknown): (address: string) => boolean {
  if (typeof operand !== 'string') throw new InvalidEventPatternError('cidr match pattern must be a string');
  const parts = operand.split('/');
  if (parts.length !== 2) throw new InvalidEventPatternError("Malformed CIDR, one '/' required");
  const [address = '', bits = ''] = parts;
  if (!/^\d+$/.test(bits)) throw new InvalidEventPatternError('Malformed CIDR, mask bits must be an integer');
  const family = isIP(address);
  if (family === 0) throw new InvalidEventPatternError(`Nonstandard IP address: ${address}`);
  const prefix = Number(bits);
  if (prefix > (family === 4 ? 32 : 128)) {
    throw new InvalidEventPatternError(`Malformed CIDR, mask bits out of range: ${bits}`);
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const block = new BlockList();
  block.addSubnet(address, prefix, type);
  return (candidate) => isIP(candidate) === family && block.check(candidate, type);
}

// ---------------------------------------------------------------------------------------------------------
// Matching

/** A leaf of the event, with the element it sits in for every array on its way (array id → index). */
interface EventLeaf {
  readonly value: Leaf;
  readonly elements: ReadonlyMap<number, number>;
}

function flatten(event: unknown): Map<string, EventLeaf[]> {
  const leaves = new Map<string, EventLeaf[]>();
  let arrays = 0;
  const add = (path: string, leaf: EventLeaf) => {
    const list = leaves.get(path);
    if (list) list.push(leaf);
    else leaves.set(path, [leaf]);
  };
  const walk = (node: unknown, path: string, elements: ReadonlyMap<number, number>) => {
    if (Array.isArray(node)) {
      const id = arrays++;
      node.forEach((item, index) => {
        walk(item, path, new Map(elements).set(id, index));
      });
    } else if (isObject(node)) {
      for (const [key, value] of Object.entries(node)) walk(value, join(path, key), elements);
    } else if (path !== '') {
      add(path, { value: node as Leaf, elements });
    }
  };
  walk(event, '', new Map());
  return leaves;
}

function satisfies(condition: Condition, value: Leaf): boolean {
  switch (condition.kind) {
    case 'equals':
      return value === condition.value;
    case 'prefix':
    case 'suffix': {
      if (typeof value !== 'string') return false;
      const text = condition.ignoreCase ? foldCase(value) : value;
      const affix = condition.ignoreCase ? foldCase(condition.text) : condition.text;
      return condition.kind === 'prefix' ? text.startsWith(affix) : text.endsWith(affix);
    }
    case 'equals-ignore-case':
      return typeof value === 'string' && foldCase(value) === foldCase(condition.text);
    case 'wildcard':
      return typeof value === 'string' && condition.regex.test(value);
    case 'anything-but':
      return !condition.excludes(value);
    case 'numeric':
      return typeof value === 'number' && condition.test(value);
    case 'cidr':
      return typeof value === 'string' && condition.within(value);
    case 'exists':
      return condition.exists;
  }
}

/** The leaves a field may bind to, or `[undefined]` when it holds by the field's absence (exists: false). */
function candidates(rule: FieldRule, leaves: Map<string, EventLeaf[]>): (EventLeaf | undefined)[] {
  const present = leaves.get(rule.path) ?? [];
  const bound = present.filter((leaf) => rule.conditions.some((c) => satisfies(c, leaf.value)));
  const absentHolds = present.length === 0 && rule.conditions.some((c) => c.kind === 'exists' && !c.exists);
  return absentHolds ? [undefined, ...bound] : bound;
}

function consistent(a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number>): boolean {
  for (const [array, index] of a) {
    const other = b.get(array);
    if (other !== undefined && other !== index) return false;
  }
  return true;
}

/** Every field binds to a leaf, and no two bindings come from different elements of one array. */
function matchesConjunction(conjunction: Conjunction, leaves: Map<string, EventLeaf[]>): boolean {
  const options = conjunction.map((rule) => candidates(rule, leaves));
  if (options.some((o) => o.length === 0)) return false;
  const search = (i: number, elements: ReadonlyMap<number, number>): boolean => {
    if (i === options.length) return true;
    for (const leaf of options[i] ?? []) {
      if (!leaf) {
        if (search(i + 1, elements)) return true;
      } else if (consistent(elements, leaf.elements)) {
        if (search(i + 1, new Map([...elements, ...leaf.elements]))) return true;
      }
    }
    return false;
  };
  return search(0, new Map());
}

function matchesAny(conjunctions: readonly Conjunction[], event: unknown): boolean {
  const leaves = flatten(event);
  return conjunctions.some((c) => matchesConjunction(c, leaves));
}
