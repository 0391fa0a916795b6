/**
 * The parser of CloudWatch metric math ("Using metric math"): expressions become a tree, never code to run.
 */

/** An expression the local CloudWatch cannot parse or evaluate, with where and why. */
export class MetricMathError extends Error {
  override readonly name = 'MetricMathError';
}

export type BinaryOp = '+' | '-' | '*' | '/' | '^' | '==' | '!=' | '<' | '>' | '<=' | '>=' | 'AND' | 'OR';

export type Expr =
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'string'; readonly value: string }
  /** A metric or expression Id (starts with a lowercase letter). */
  | { readonly kind: 'id'; readonly name: string }
  /** An uppercase word that is not a call: REPEAT, LINEAR, ASC, DESC, … */
  | { readonly kind: 'keyword'; readonly name: string }
  | { readonly kind: 'call'; readonly fn: string; readonly args: readonly Expr[] }
  | { readonly kind: 'array'; readonly items: readonly Expr[] }
  | { readonly kind: 'negate'; readonly arg: Expr }
  | { readonly kind: 'binary'; readonly op: BinaryOp; readonly left: Expr; readonly right: Expr };

interface Token {
  readonly type: 'number' | 'string' | 'word' | 'op' | 'punct';
  readonly text: string;
  readonly at: number;
}

const OPERATORS = ['&&', '||', '==', '!=', '<=', '>=', '<', '>', '+', '-', '*', '/', '^'];

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const number = /^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?/i.exec(source.slice(i));
    if (number) {
      tokens.push({ type: 'number', text: number[0], at: i });
      i += number[0].length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i));
    if (word) {
      tokens.push({ type: 'word', text: word[0], at: i });
      i += word[0].length;
      continue;
    }
    if (c === '"' || c === '“') {
      const close = source.slice(i + 1).search(/["”]/);
      if (close < 0) throw new MetricMathError(`unterminated string at ${i} in ${JSON.stringify(source)}`);
      tokens.push({ type: 'string', text: source.slice(i + 1, i + 1 + close), at: i });
      i += close + 2;
      continue;
    }
    const op = OPERATORS.find((o) => source.startsWith(o, i));
    if (op) {
      tokens.push({ type: 'op', text: op, at: i });
      i += op.length;
      continue;
    }
    if ('()[],'.includes(c)) {
      tokens.push({ type: 'punct', text: c, at: i });
      i++;
      continue;
    }
    throw new MetricMathError(`unexpected ${JSON.stringify(c)} at ${i} in ${JSON.stringify(source)}`);
  }
  return tokens;
}

/** Parses one metric math expression. Precedence, lowest first: OR, AND, comparisons, + -, * /, ^, unary -. */
export function parseExpression(source: string): Expr {
  const tokens = tokenize(source);
  let at = 0;
  const peek = (): Token | undefined => tokens[at];
  const fail = (why: string): never => {
    const token = peek();
    throw new MetricMathError(
      `${why} ${token ? `at ${JSON.stringify(token.text)} (${token.at})` : 'at the end'} in ${JSON.stringify(source)}`,
    );
  };
  const accept = (text: string): boolean => {
    const token = peek();
    if (
      token &&
      (token.type === 'op' || token.type === 'punct' || token.type === 'word') &&
      token.text === text
    ) {
      at++;
      return true;
    }
    return false;
  };
  const expect = (text: string): void => {
    if (!accept(text)) fail(`expected ${JSON.stringify(text)}`);
  };

  const binaryLevel =
    (
      ops: readonly string[],
      next: () => Expr,
      normalize: (op: string) => BinaryOp = (op) => op as BinaryOp,
    ) =>
    (): Expr => {
      let left = next();
      for (;;) {
        const op = ops.find((o) => accept(o));
        if (!op) return left;
        left = { kind: 'binary', op: normalize(op), left, right: next() };
      }
    };

  const primary = (): Expr => {
    const token = peek();
    if (!token) return fail('expected a value');
    if (token.type === 'number') {
      at++;
      return { kind: 'number', value: Number(token.text) };
    }
    if (token.type === 'string') {
      at++;
      return { kind: 'string', value: token.text };
    }
    if (accept('(')) {
      const inner = or();
      expect(')');
      return inner;
    }
    if (accept('[')) {
      const items: Expr[] = [];
      if (!accept(']')) {
        do items.push(or());
        while (accept(','));
        expect(']');
      }
      return { kind: 'array', items };
    }
    if (token.type === 'word') {
      at++;
      if (/^[a-z]/.test(token.text)) return { kind: 'id', name: token.text };
      if (accept('(')) {
        const args: Expr[] = [];
        if (!accept(')')) {
          do args.push(or());
          while (accept(','));
          expect(')');
        }
        return { kind: 'call', fn: token.text, args };
      }
      return { kind: 'keyword', name: token.text };
    }
    return fail('expected a value');
  };
  const unary = (): Expr => (accept('-') ? { kind: 'negate', arg: unary() } : power());
  // Right-associative: 2^3^2 is 2^(3^2).
  const power = (): Expr => {
    const base = primary();
    return accept('^') ? { kind: 'binary', op: '^', left: base, right: unary() } : base;
  };
  const product = binaryLevel(['*', '/'], unary);
  const sum = binaryLevel(['+', '-'], product);
  const comparison = binaryLevel(['==', '!=', '<=', '>=', '<', '>'], sum);
  const and = binaryLevel(['&&', 'AND'], comparison, () => 'AND');
  const or = binaryLevel(['||', 'OR'], and, () => 'OR');

  const expr = or();
  if (at < tokens.length) fail('unexpected');
  return expr;
}

/** The Ids an expression reads (metrics or other expressions). */
export function referencedIds(expr: Expr): string[] {
  switch (expr.kind) {
    case 'id':
      return [expr.name];
    case 'call':
      return expr.args.flatMap(referencedIds);
    case 'array':
      return expr.items.flatMap(referencedIds);
    case 'negate':
      return referencedIds(expr.arg);
    case 'binary':
      return [...referencedIds(expr.left), ...referencedIds(expr.right)];
    default:
      return [];
  }
}
