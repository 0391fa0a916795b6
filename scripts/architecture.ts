/**
 * The import graph of the project's own code, and the rules its layout keeps: no import cycle, arrows
 * that point one way (lambdas/ never imports lib/ or local/), a core without the AWS SDK or its adapters,
 * no production file over 500 lines and no constructor over 80. `npx tsx scripts/architecture.ts` prints what breaks them;
 * test/architecture.test.ts asserts that nothing does.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, sep } from 'node:path';
import * as ts from 'typescript-api';

/** Folders whose code is the product (tests are not held to the size limit). */
export const PRODUCTION_ROOTS = ['bin', 'lib', 'lambdas', 'local', 'scripts'] as const;
export const MAX_PRODUCTION_LINES = 500;
/** A constructor longer than this does several things: give each a well-named method or construct. */
export const MAX_CONSTRUCTOR_LINES = 80;

/** Where a class constructor starts (1-based line) and how many lines it spans. */
export interface ConstructorSpan {
  readonly line: number;
  readonly lines: number;
}

/** A source file and what it imports: `local` are repository paths (posix), `packages` are bare specifiers. */
export interface SourceFile {
  readonly path: string;
  readonly lines: number;
  readonly local: readonly string[];
  readonly packages: readonly string[];
  /** The class constructors it declares. @default none */
  readonly constructors?: readonly ConstructorSpan[];
}

export type ImportGraph = ReadonlyMap<string, SourceFile>;

const EXTENSIONS = ['.ts', '.mts', '.js', '.json', '/index.ts'];

function sourceFilesUnder(root: string, folder: string): string[] {
  const dir = join(root, folder);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(ts|mts)$/.test(f) && !f.endsWith('.d.ts'))
    .map((f) => posix.join(folder, f.split(sep).join('/')));
}

/** Every constructor declared in `text`, with its span (signature to closing brace). */
export function constructorSpans(path: string, text: string): ConstructorSpan[] {
  if (!text.includes('constructor')) return [];
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, false);
  const spans: ConstructorSpan[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isConstructorDeclaration(node) && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      spans.push({ line: first + 1, lines: last - first + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return spans;
}

/** Resolves a relative specifier the way Node and TypeScript do for this project (no path aliases). */
function resolveLocal(root: string, from: string, specifier: string): string | undefined {
  const base = posix.normalize(posix.join(posix.dirname(from), specifier));
  return [base, ...EXTENSIONS.map((e) => base + e)].find((candidate) => {
    const full = join(root, candidate);
    return existsSync(full) && statSync(full).isFile();
  });
}

/** Reads the imports (static, dynamic, `export … from`, `require`) of every .ts file under `folders`. */
export function readImportGraph(root: string, folders: readonly string[]): ImportGraph {
  const graph = new Map<string, SourceFile>();
  for (const path of folders.flatMap((f) => sourceFilesUnder(root, f))) {
    const text = readFileSync(join(root, path), 'utf8');
    const { importedFiles } = ts.preProcessFile(text, true, true);
    const local: string[] = [];
    const packages: string[] = [];
    for (const { fileName } of importedFiles) {
      if (fileName.startsWith('.')) {
        const target = resolveLocal(root, path, fileName);
        if (!target) throw new Error(`${path}: cannot resolve ${fileName}`);
        local.push(target);
      } else packages.push(fileName);
    }
    graph.set(path, {
      path,
      lines: text.split('\n').length - (text.endsWith('\n') ? 1 : 0),
      local,
      packages,
      constructors: constructorSpans(path, text),
    });
  }
  return graph;
}

/** Every import cycle, each as the files around it (first file repeated at the end); one per cycle. */
export function findCycles(graph: ImportGraph): string[][] {
  // Tarjan's strongly connected components: a component with more than one file, or a file importing
  // itself, holds a cycle; one shortest cycle through its first file names it.
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const edges = (file: string) => (graph.get(file)?.local ?? []).filter((t) => graph.has(t));
  const visit = (file: string): void => {
    indexOf.set(file, index);
    low.set(file, index++);
    stack.push(file);
    onStack.add(file);
    for (const next of edges(file)) {
      if (!indexOf.has(next)) {
        visit(next);
        low.set(file, Math.min(low.get(file)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(file, Math.min(low.get(file)!, indexOf.get(next)!));
    }
    if (low.get(file) === indexOf.get(file)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== file);
      if (component.length > 1 || edges(file).includes(file)) components.push(component);
    }
  };
  for (const file of [...graph.keys()].sort()) if (!indexOf.has(file)) visit(file);
  return components.map((component) => shortestCycle(component.sort()[0]!, new Set(component), edges));
}

function shortestCycle(start: string, within: ReadonlySet<string>, edges: (f: string) => string[]): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const next of edges(file).filter((t) => within.has(t))) {
      if (next === start) {
        const path = [file];
        while (path[0] !== start) path.unshift(previous.get(path[0]!)!);
        return [...path, start];
      }
      if (!previous.has(next)) {
        previous.set(next, file);
        queue.push(next);
      }
    }
  }
  return [start, start];
}

/** A rule on imports: files under `from` may not import what `forbids` matches. */
export interface LayerRule {
  readonly from: string;
  readonly forbids: (imported: string, kind: 'local' | 'package') => boolean;
  readonly why: string;
}

const under = (folder: string) => (path: string) => path === folder || path.startsWith(`${folder}/`);

export const LAYER_RULES: readonly LayerRule[] = [
  {
    from: 'lambdas',
    forbids: (p, kind) => kind === 'local' && (under('lib')(p) || under('local')(p)),
    why: 'the runtime may not depend on CDK code or on the local runtime',
  },
  {
    from: 'lambdas/core',
    forbids: (p, kind) => (kind === 'package' ? p.startsWith('@aws-sdk/') : under('lambdas/adapters')(p)),
    why: 'the core holds pure rules: no AWS SDK, no adapters',
  },
];

/** Each import that breaks a rule, as `file -> import (why)`. */
export function layerViolations(graph: ImportGraph, rules: readonly LayerRule[] = LAYER_RULES): string[] {
  const found: string[] = [];
  for (const file of graph.values()) {
    for (const rule of rules.filter((r) => under(r.from)(file.path))) {
      const imports = [
        ...file.local.map((p) => [p, 'local'] as const),
        ...file.packages.map((p) => [p, 'package'] as const),
      ];
      for (const [imported, kind] of imports)
        if (rule.forbids(imported, kind)) found.push(`${file.path} -> ${imported} (${rule.why})`);
    }
  }
  return found.sort();
}

/** Production files (under PRODUCTION_ROOTS) longer than `max` lines, with their length. */
export function oversizedFiles(graph: ImportGraph, max = MAX_PRODUCTION_LINES): string[] {
  return [...graph.values()]
    .filter((f) => PRODUCTION_ROOTS.some((root) => under(root)(f.path)) && f.lines > max)
    .map((f) => `${f.path} (${f.lines} lines)`)
    .sort();
}

/** Constructors in production files longer than `max` lines, as `file:line (n lines)`. */
export function longConstructors(graph: ImportGraph, max = MAX_CONSTRUCTOR_LINES): string[] {
  return [...graph.values()]
    .filter((f) => PRODUCTION_ROOTS.some((root) => under(root)(f.path)))
    .flatMap((f) =>
      (f.constructors ?? [])
        .filter((c) => c.lines > max)
        .map((c) => `${f.path}:${c.line} (${c.lines} lines)`),
    )
    .sort();
}

if (require.main === module) {
  const root = join(__dirname, '..');
  const graph = readImportGraph(root, [...PRODUCTION_ROOTS, 'test']);
  const problems = [
    ...findCycles(graph).map((c) => `cycle: ${c.join(' -> ')}`),
    ...layerViolations(graph).map((v) => `layer: ${v}`),
    ...oversizedFiles(graph).map((f) => `size: ${f}`),
    ...longConstructors(graph).map((c) => `constructor: ${c}`),
  ];
  console.log(problems.length === 0 ? `${graph.size} files, no problem` : problems.join('\n'));
  process.exitCode = problems.length === 0 ? 0 : 1;
}
