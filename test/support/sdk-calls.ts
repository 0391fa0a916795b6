/**
 * Which AWS SDK commands a handler's code can send, read from the code itself with the TypeScript compiler:
 * a call graph from the handler's entry module, so no hand-kept list can drift from what the code does.
 *
 * Reachability (conservative, so a command is missed only if the code hides it from the type checker):
 * - the top-level code of every module the entry imports, transitively (it runs at import);
 * - every function, method or constructor a reachable body names (called or passed as a value), and every
 *   function expression written inside a reachable body;
 * - a call through an interface or type member (a port such as `DeployTarget.invoke`) reaches the member of
 *   that name on every class the reachable code instantiates (`new C`), and their base classes;
 * - `new XxxCommand(...)` from an `@aws-sdk/client-*` or `@aws-sdk/lib-*` package is a command sent; a waiter
 *   or paginator (`waitUntil*`, `paginate*`) sends the commands its own SDK module constructs.
 * Any other use of the SDK that could send a request (an aggregated client such as `new Lambda()`, a client
 * method other than `send`, a package that itself depends on an SDK client) is reported as unsupported rather
 * than ignored, so the analysis fails closed.
 *
 * The program is the project's (its tsconfig) over the entry modules, built as tsc builds it except that JSDoc is
 * parsed only where it carries types, in JavaScript files (tsc also parses a TypeScript file's @see and @link, for
 * their errors): in TypeScript files it is documentation, which is most of the SDK's declaration files.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript-api';

/** What a request field can hold at one call site: its literal string values, and whether it can be anything. */
export interface FieldValue {
  readonly literals: readonly string[];
  readonly dynamic: boolean;
}

/** One place where the code constructs an SDK command (directly, or through a waiter or paginator). */
export interface CommandSite {
  /** The package the command comes from, e.g. `@aws-sdk/client-lambda` or `@aws-sdk/lib-dynamodb`. */
  readonly pkg: string;
  /** The command class, e.g. `InvokeCommand`. */
  readonly command: string;
  /** The waiter or paginator that sends it, when not constructed directly. */
  readonly via?: string;
  /** `file:line` relative to the project root. */
  readonly site: string;
  /**
   * The request's fields set at the call site, by dotted path (`Target.RoleArn`, `TransactItems[].Put`);
   * undefined when the input is not an object literal.
   */
  readonly fields?: ReadonlyMap<string, FieldValue>;
}

export interface HandlerCalls {
  readonly commands: readonly CommandSite[];
  /** Uses of the SDK the analysis cannot turn into commands; a correct analysis has none. */
  readonly unsupported: readonly string[];
  /** Project modules reached from the entry (for diagnostics). */
  readonly modules: readonly string[];
}

const SDK_COMMAND_PACKAGE = /^@aws-sdk\/(client-[a-z0-9-]+|lib-dynamodb)$/;

export class SdkCallAnalyzer {
  private readonly program: ts.Program;
  private readonly checker: ts.TypeChecker;
  private readonly sdkDependents = new Map<string, boolean>();
  private readonly commandsOfModule = new Map<string, string[]>();
  /** Where each file comes from, by file: asked for every declaration of every symbol the walk meets. */
  private readonly origins = new Map<ts.SourceFile, { project: boolean; pkg: string | undefined }>();

  constructor(
    private readonly projectRoot: string,
    entries: readonly string[],
  ) {
    const config = ts.readConfigFile(path.join(projectRoot, 'tsconfig.json'), ts.sys.readFile);
    const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, projectRoot);
    const options = { ...parsed.options, noEmit: true };
    const host = ts.createCompilerHost(options);
    // Types, symbols and modifier flags of TypeScript files never come from JSDoc (see the header).
    host.jsDocParsingMode = ts.JSDocParsingMode.ParseForTypeInfo;
    this.program = ts.createProgram({ rootNames: [...entries], options, host });
    this.checker = this.program.getTypeChecker();
  }

  /** The commands the module `entry` (e.g. lambdas/stage/index.ts) can send once loaded and its exports called. */
  analyze(entry: string): HandlerCalls {
    const source = this.program.getSourceFile(path.resolve(entry));
    if (!source) throw new Error(`SdkCallAnalyzer: ${entry} is not part of the program`);
    return new Reachability(this, source).run();
  }

  /** @internal */
  get typeChecker(): ts.TypeChecker {
    return this.checker;
  }

  /** @internal Project code: under the root, not a declaration file, not a dependency. */
  isProjectFile(file: ts.SourceFile): boolean {
    return this.originOf(file).project;
  }

  /** @internal The package a file belongs to (see packageOf). */
  packageOfFile(file: ts.SourceFile): string | undefined {
    return this.originOf(file).pkg;
  }

  private originOf(file: ts.SourceFile): { project: boolean; pkg: string | undefined } {
    const known = this.origins.get(file);
    if (known) return known;
    const name = path.resolve(file.fileName);
    const origin = {
      project:
        !file.isDeclarationFile &&
        name.startsWith(this.projectRoot + path.sep) &&
        !name.includes(`${path.sep}node_modules${path.sep}`),
      pkg: packageOf(name),
    };
    this.origins.set(file, origin);
    return origin;
  }

  /** @internal */
  relative(node: ts.Node): string {
    const file = node.getSourceFile();
    const { line } = file.getLineAndCharacterOfPosition(node.getStart());
    return `${path.relative(this.projectRoot, file.fileName)}:${line + 1}`;
  }

  /** @internal Whether a dependency (other than the SDK command packages) itself depends on an SDK client. */
  dependsOnSdk(pkg: string, fileName: string): boolean {
    const known = this.sdkDependents.get(pkg);
    if (known !== undefined) return known;
    const root = packageRootOf(fileName, pkg);
    let result = false;
    try {
      const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
        dependencies?: Record<string, string>;
        peerDependencies?: Record<string, string>;
      };
      result = Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies }).some((dep) =>
        SDK_COMMAND_PACKAGE.test(dep),
      );
    } catch {
      result = false;
    }
    this.sdkDependents.set(pkg, result);
    return result;
  }

  /**
   * @internal The commands an SDK waiter or paginator constructs, read from its ES module next to the
   * declaration file (`dist-types/waiters/x.d.ts` -> `dist-es/waiters/x.js`).
   */
  commandsConstructedBy(declarationFile: string): string[] {
    const cached = this.commandsOfModule.get(declarationFile);
    if (cached) return cached;
    const implementation = declarationFile
      .replace(`${path.sep}dist-types${path.sep}`, `${path.sep}dist-es${path.sep}`)
      .replace(/\.d\.ts$/, '.js');
    const text = fs.existsSync(implementation) ? fs.readFileSync(implementation, 'utf8') : '';
    const commands = [...new Set([...text.matchAll(/new (\w+Command)\(/g)].map((m) => m[1] as string))];
    this.commandsOfModule.set(declarationFile, commands);
    return commands;
  }
}

/** `@aws-sdk/client-lambda` for a file under node_modules/@aws-sdk/client-lambda/... */
export function packageOf(fileName: string): string | undefined {
  const parts = path.resolve(fileName).split(path.sep);
  const at = parts.lastIndexOf('node_modules');
  if (at < 0) return undefined;
  const first = parts[at + 1];
  if (!first) return undefined;
  return first.startsWith('@') ? `${first}/${parts[at + 2]}` : first;
}

function packageRootOf(fileName: string, pkg: string): string {
  const resolved = path.resolve(fileName);
  const marker = `${path.sep}node_modules${path.sep}${pkg.split('/').join(path.sep)}${path.sep}`;
  const at = resolved.lastIndexOf(marker);
  return resolved.slice(0, at + marker.length - 1);
}

type Body = ts.Node;

interface RecordedCall {
  readonly targets: readonly ts.Declaration[];
  readonly args: readonly ts.Expression[];
}

class Reachability {
  private readonly checker: ts.TypeChecker;
  private readonly queue: Body[] = [];
  private readonly seen = new Set<Body>();
  private readonly modules = new Set<ts.SourceFile>();
  private readonly instantiated = new Set<ts.ClassLikeDeclaration>();
  /** Members called through an interface, type or base class: by name, the types they were called on. */
  private readonly virtualCalls = new Map<string, Set<ts.Type | undefined>>();
  private readonly calls: RecordedCall[] = [];
  private readonly commandNodes: { node: ts.Node; pkg: string; command: string; via?: string }[] = [];
  private readonly unsupported = new Set<string>();

  constructor(
    private readonly analyzer: SdkCallAnalyzer,
    private readonly entry: ts.SourceFile,
  ) {
    this.checker = analyzer.typeChecker;
  }

  run(): HandlerCalls {
    this.enqueueModule(this.entry);
    for (;;) {
      while (this.queue.length > 0) this.visitBody(this.queue.shift() as Body);
      if (!this.dispatchVirtualCalls()) break;
    }
    return {
      commands: this.commandNodes.map((c) => this.toSite(c)),
      unsupported: [...this.unsupported].sort(),
      modules: [...this.modules].map((m) => path.relative(process.cwd(), m.fileName)).sort(),
    };
  }

  private enqueue(body: Body | undefined): void {
    if (!body || this.seen.has(body)) return;
    this.seen.add(body);
    this.queue.push(body);
  }

  private enqueueModule(file: ts.SourceFile): void {
    if (this.modules.has(file) || !this.analyzer.isProjectFile(file)) return;
    this.modules.add(file);
    this.enqueue(file);
  }

  /** Runs through one body: a module's top-level code, a function, or a class's instance initializers. */
  private visitBody(body: Body): void {
    if (ts.isSourceFile(body)) {
      for (const statement of body.statements) {
        if (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) {
          this.followImport(statement);
        } else if (ts.isClassDeclaration(statement)) {
          // Static initializers run when the module loads.
          for (const member of statement.members) {
            if (ts.isClassStaticBlockDeclaration(member)) this.visit(member.body);
            else if (ts.isPropertyDeclaration(member) && isStatic(member) && member.initializer)
              this.visit(member.initializer);
          }
        } else if (!ts.isFunctionDeclaration(statement)) {
          this.visit(statement);
        }
      }
      return;
    }
    if (ts.isClassLike(body)) {
      for (const member of body.members) {
        if (ts.isPropertyDeclaration(member) && !isStatic(member) && member.initializer)
          this.visit(member.initializer);
      }
      return;
    }
    const fn = body as ts.FunctionLikeDeclaration;
    if (fn.body) this.visit(fn.body);
    // Default parameter values run with the function.
    for (const parameter of fn.parameters ?? []) if (parameter.initializer) this.visit(parameter.initializer);
  }

  private followImport(statement: ts.ImportDeclaration | ts.ExportDeclaration): void {
    if (ts.isImportDeclaration(statement) && statement.importClause?.isTypeOnly) return;
    if (ts.isExportDeclaration(statement) && statement.isTypeOnly) return;
    const specifier = statement.moduleSpecifier;
    if (!specifier) return;
    const symbol = this.checker.getSymbolAtLocation(specifier);
    const file = symbol?.valueDeclaration;
    if (file && ts.isSourceFile(file)) this.enqueueModule(file);
  }

  private visit(node: ts.Node): void {
    if (ts.isTypeNode(node) || ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)) return;
    // Named functions and classes run only when referenced; their references are followed.
    if (ts.isFunctionDeclaration(node) || ts.isClassDeclaration(node) || ts.isClassExpression(node)) return;
    if (ts.isNewExpression(node)) this.onNew(node);
    else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      if (
        callee.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(callee) && callee.text === 'require')
      ) {
        this.unsupported.add(`${this.analyzer.relative(node)}: a dynamic import the analysis cannot follow`);
      }
      this.onCall(node);
    }
    if (ts.isIdentifier(node) || ts.isPrivateIdentifier(node)) this.onReference(node);
    else if (ts.isShorthandPropertyAssignment(node)) {
      const value = this.checker.getShorthandAssignmentValueSymbol(node);
      if (value) this.onSymbol(value, node.name);
    }
    ts.forEachChild(node, (child) => {
      if (ts.isShorthandPropertyAssignment(node) && child === node.name) return;
      this.visit(child);
    });
  }

  private onReference(node: ts.Identifier | ts.PrivateIdentifier): void {
    const symbol = this.checker.getSymbolAtLocation(node);
    if (symbol) this.onSymbol(symbol, node);
  }

  private resolve(symbol: ts.Symbol): ts.Symbol {
    return symbol.flags & ts.SymbolFlags.Alias ? this.checker.getAliasedSymbol(symbol) : symbol;
  }

  private onSymbol(raw: ts.Symbol, at: ts.Node): void {
    const symbol = this.resolve(raw);
    for (const declaration of symbol.declarations ?? []) {
      const file = declaration.getSourceFile();
      if (this.analyzer.isProjectFile(file)) this.onProjectDeclaration(declaration);
      else this.onDependencyDeclaration(declaration, symbol, at);
    }
  }

  private onProjectDeclaration(declaration: ts.Declaration): void {
    if (isFunctionLike(declaration)) {
      this.enqueue(declaration);
    } else if (
      (ts.isVariableDeclaration(declaration) ||
        ts.isPropertyDeclaration(declaration) ||
        ts.isPropertyAssignment(declaration)) &&
      declaration.initializer &&
      isFunctionLike(declaration.initializer)
    ) {
      this.enqueue(declaration.initializer);
    }
    // A member of an interface or type: whatever implements it may run (resolved against `new`ed classes), and
    // a class member may be overridden by an instantiated subclass.
    const owner = declaration.parent;
    const isMember =
      ((ts.isMethodSignature(declaration) || ts.isPropertySignature(declaration)) &&
        (ts.isInterfaceDeclaration(owner) || ts.isTypeLiteralNode(owner))) ||
      ((ts.isMethodDeclaration(declaration) || ts.isPropertyDeclaration(declaration)) &&
        ts.isClassLike(owner));
    if (isMember && declaration.name && ts.isIdentifier(declaration.name)) {
      this.addVirtual(declaration.name.text, this.ownerType(owner));
    }
  }

  /**
   * The type a member was called on: an interface's or class's declared type, a type literal's type; undefined
   * (any class with a member of that name) for a generic interface, whose declared type no class matches.
   */
  private ownerType(owner: ts.Node): ts.Type | undefined {
    if (ts.isTypeLiteralNode(owner)) return this.checker.getTypeAtLocation(owner);
    if (!ts.isInterfaceDeclaration(owner) && !ts.isClassLike(owner)) return undefined;
    if (owner.typeParameters?.length) return undefined;
    const symbol = owner.name && this.checker.getSymbolAtLocation(owner.name);
    return symbol ? this.checker.getDeclaredTypeOfSymbol(symbol) : undefined;
  }

  private addVirtual(name: string, owner: ts.Type | undefined): void {
    let owners = this.virtualCalls.get(name);
    if (!owners) {
      owners = new Set();
      this.virtualCalls.set(name, owners);
    }
    owners.add(owner);
  }

  private onDependencyDeclaration(declaration: ts.Declaration, symbol: ts.Symbol, at: ts.Node): void {
    const source = declaration.getSourceFile();
    const file = source.fileName;
    const pkg = this.analyzer.packageOfFile(source);
    if (!pkg) return; // TypeScript's own lib declarations
    if (!SDK_COMMAND_PACKAGE.test(pkg)) {
      if (pkg.startsWith('@aws-sdk/lib-') || this.analyzer.dependsOnSdk(pkg, file)) {
        this.unsupported.add(
          `${this.analyzer.relative(at)}: ${pkg} (${symbol.name}) may send AWS requests the analysis cannot see`,
        );
      }
      return;
    }
    const name = symbol.name;
    if (ts.isClassDeclaration(declaration)) {
      if (/Command$/.test(name)) {
        const parent = at.parent;
        const isNew = parent && ts.isNewExpression(parent) && parent.expression === at;
        if (!isNew) this.unsupported.add(`${this.analyzer.relative(at)}: ${name} used other than with new`);
        return;
      }
      if (/(Client|Exception|ServiceException)$/.test(name)) return;
      this.unsupported.add(`${this.analyzer.relative(at)}: ${pkg} class ${name} (aggregated client?)`);
      return;
    }
    if (isSdkHelper(declaration, name)) return; // expanded at the call
    if (ts.isMethodDeclaration(declaration) || ts.isMethodSignature(declaration)) {
      const owner = declaration.parent;
      const ownerName =
        owner && (ts.isClassDeclaration(owner) || ts.isInterfaceDeclaration(owner)) ? owner.name?.text : '';
      if (['send', 'destroy', 'from'].includes(name)) return;
      this.unsupported.add(`${this.analyzer.relative(at)}: SDK method ${ownerName}.${name}`);
    }
  }

  private onNew(node: ts.NewExpression): void {
    const symbol = this.symbolOf(node.expression);
    if (!symbol) return;
    for (const declaration of symbol.declarations ?? []) {
      const file = declaration.getSourceFile();
      if (this.analyzer.isProjectFile(file)) {
        if (ts.isClassLike(declaration)) this.instantiate(declaration);
        continue;
      }
      const pkg = this.analyzer.packageOfFile(file);
      if (pkg && SDK_COMMAND_PACKAGE.test(pkg) && /Command$/.test(symbol.name)) {
        this.commandNodes.push({ node, pkg, command: symbol.name });
      }
    }
    this.recordCall(node, symbol);
  }

  private onCall(node: ts.CallExpression): void {
    const symbol = this.symbolOf(node.expression);
    if (!symbol) return;
    for (const declaration of symbol.declarations ?? []) {
      const file = declaration.getSourceFile();
      const pkg = this.analyzer.packageOfFile(file);
      if (pkg && SDK_COMMAND_PACKAGE.test(pkg) && isSdkHelper(declaration, symbol.name)) {
        const commands = this.analyzer.commandsConstructedBy(file.fileName);
        if (commands.length === 0) {
          this.unsupported.add(`${this.analyzer.relative(node)}: no command found behind ${symbol.name}`);
        }
        for (const command of commands) this.commandNodes.push({ node, pkg, command, via: symbol.name });
      }
    }
    this.recordCall(node, symbol);
  }

  private recordCall(node: ts.CallExpression | ts.NewExpression, symbol: ts.Symbol): void {
    const targets: ts.Declaration[] = [];
    for (const declaration of symbol.declarations ?? []) {
      if (ts.isClassLike(declaration)) {
        const init = declaration.members.find(ts.isConstructorDeclaration);
        if (init) targets.push(init);
      } else {
        targets.push(declaration);
      }
    }
    this.calls.push({ targets, args: [...(node.arguments ?? [])] });
  }

  private symbolOf(expression: ts.Expression): ts.Symbol | undefined {
    const target = ts.isPropertyAccessExpression(expression) ? expression.name : expression;
    const symbol = this.checker.getSymbolAtLocation(target);
    return symbol ? this.resolve(symbol) : undefined;
  }

  private instantiate(declaration: ts.ClassLikeDeclaration): void {
    if (this.instantiated.has(declaration)) return;
    this.instantiated.add(declaration);
    this.enqueue(declaration.members.find(ts.isConstructorDeclaration));
    this.enqueue(declaration); // instance property initializers
    for (const clause of declaration.heritageClauses ?? []) {
      if (clause.token !== ts.SyntaxKind.ExtendsKeyword) continue;
      for (const type of clause.types) {
        const base = this.symbolOf(type.expression);
        for (const baseDeclaration of base?.declarations ?? []) {
          if (ts.isClassLike(baseDeclaration) && this.analyzer.isProjectFile(baseDeclaration.getSourceFile()))
            this.instantiate(baseDeclaration);
        }
      }
    }
  }

  /**
   * Members called through an interface, type or base class, on every instantiated class whose instances are
   * of that type (structurally, as the checker assigns them). Returns whether anything new was queued.
   */
  private dispatchVirtualCalls(): boolean {
    const before = this.queue.length;
    for (const cls of this.instantiated) {
      const symbol = cls.name && this.checker.getSymbolAtLocation(cls.name);
      // A generic class's declared type matches nothing: match its members by name alone.
      const instance =
        symbol && !cls.typeParameters?.length ? this.checker.getDeclaredTypeOfSymbol(symbol) : undefined;
      for (const member of cls.members) {
        const name = member.name && ts.isIdentifier(member.name) ? member.name.text : undefined;
        const owners = name === undefined ? undefined : this.virtualCalls.get(name);
        if (!owners) continue;
        const matches = [...owners].some(
          (owner) => owner === undefined || !instance || this.checker.isTypeAssignableTo(instance, owner),
        );
        if (!matches) continue;
        if (isFunctionLike(member)) this.enqueue(member);
        else if (ts.isPropertyDeclaration(member) && member.initializer && isFunctionLike(member.initializer))
          this.enqueue(member.initializer);
      }
    }
    return this.queue.length > before;
  }

  private toSite(found: { node: ts.Node; pkg: string; command: string; via?: string }): CommandSite {
    const call = found.node as ts.NewExpression | ts.CallExpression;
    // A command takes its input first; a waiter or paginator takes (configuration, input).
    const input = found.via ? call.arguments?.[1] : call.arguments?.[0];
    let fields: Map<string, FieldValue> | undefined;
    if (input && ts.isObjectLiteralExpression(skipParens(input))) {
      fields = new Map();
      this.collectFields(skipParens(input) as ts.ObjectLiteralExpression, '', fields);
    }
    return {
      pkg: found.pkg,
      command: found.command,
      ...(found.via ? { via: found.via } : {}),
      site: this.analyzer.relative(call),
      ...(fields ? { fields } : {}),
    };
  }

  private collectFields(
    object: ts.ObjectLiteralExpression,
    prefix: string,
    into: Map<string, FieldValue>,
  ): void {
    const put = (key: string, value: FieldValue) => {
      const existing = into.get(key);
      into.set(
        key,
        existing
          ? {
              literals: [...new Set([...existing.literals, ...value.literals])],
              dynamic: existing.dynamic || value.dynamic,
            }
          : value,
      );
    };
    for (const property of object.properties) {
      if (ts.isSpreadAssignment(property)) {
        for (const spread of this.spreadLiterals(property.expression))
          this.collectFields(spread, prefix, into);
        continue;
      }
      const name = property.name && propertyName(property.name);
      if (name === undefined) continue;
      const key = prefix + name;
      if (ts.isShorthandPropertyAssignment(property)) {
        put(key, this.valueOf(property.name, 0));
      } else if (ts.isPropertyAssignment(property)) {
        const value = skipParens(property.initializer);
        put(key, this.valueOf(value, 0));
        if (ts.isObjectLiteralExpression(value)) this.collectFields(value, `${key}.`, into);
        if (ts.isArrayLiteralExpression(value)) {
          for (const element of value.elements) {
            const item = skipParens(element);
            if (ts.isObjectLiteralExpression(item)) this.collectFields(item, `${key}[].`, into);
            else put(`${key}[]`, this.valueOf(item, 0));
          }
        }
      }
    }
  }

  /**
   * The object literals a spread can contribute: `...{}`, `...(c ? {} : {})`, `...(c && {})`, leaving out a
   * branch whose condition no reachable call can make true (a rollback's `ignoreAlarms` in a handler that
   * never rolls back).
   */
  private spreadLiterals(expression: ts.Expression): ts.ObjectLiteralExpression[] {
    const node = skipParens(expression);
    if (ts.isObjectLiteralExpression(node)) return [node];
    if (ts.isConditionalExpression(node)) {
      return [
        ...(this.mayBeTruthy(node.condition, 0) ? this.spreadLiterals(node.whenTrue) : []),
        ...this.spreadLiterals(node.whenFalse),
      ];
    }
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken) {
      return this.mayBeTruthy(node.left, 0) ? this.spreadLiterals(node.right) : [];
    }
    return [];
  }

  /**
   * Whether a condition can be true in this handler. Only `param.flag` is followed (to the object literals
   * reachable calls pass); anything else may be true.
   */
  private mayBeTruthy(expression: ts.Expression, depth: number): boolean {
    const node = skipParens(expression);
    if (node.kind === ts.SyntaxKind.FalseKeyword || node.kind === ts.SyntaxKind.NullKeyword) return false;
    if (ts.isIdentifier(node) && node.text === 'undefined') return false;
    if (depth < 4 && ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression)) {
      const parameter = this.parameterOf(node.expression);
      const args = parameter && this.argumentsAt(parameter.fn, parameter.index);
      if (args) return args.some((arg) => this.propertyMayBeTruthy(arg, node.name.text, depth + 1));
    }
    return true;
  }

  /** Whether property `name` of the object `expression` evaluates to can be true. */
  private propertyMayBeTruthy(expression: ts.Expression, name: string, depth: number): boolean {
    const node = skipParens(expression);
    if (ts.isObjectLiteralExpression(node)) {
      for (const property of node.properties) {
        if (ts.isSpreadAssignment(property)) {
          const inner = skipParens(property.expression);
          // A spread of anything but literals (`...other`) may carry the property.
          const literalOnly =
            ts.isObjectLiteralExpression(inner) ||
            ts.isConditionalExpression(inner) ||
            ts.isBinaryExpression(inner);
          if (!literalOnly) return true;
          if (this.spreadLiterals(inner).some((literal) => this.propertyMayBeTruthy(literal, name, depth)))
            return true;
        } else if (property.name && propertyName(property.name) === name) {
          return ts.isPropertyAssignment(property) ? this.mayBeTruthy(property.initializer, depth) : true;
        }
      }
      return false;
    }
    if (depth < 4 && ts.isIdentifier(node)) {
      const parameter = this.parameterOf(node);
      const args = parameter && this.argumentsAt(parameter.fn, parameter.index);
      if (args) return args.some((arg) => this.propertyMayBeTruthy(arg, name, depth + 1));
    }
    return true;
  }

  private parameterOf(identifier: ts.Identifier): { fn: ts.SignatureDeclaration; index: number } | undefined {
    const declaration = this.checker.getSymbolAtLocation(identifier)?.valueDeclaration;
    if (!declaration || !ts.isParameter(declaration) || !isFunctionLike(declaration.parent)) return undefined;
    return { fn: declaration.parent, index: declaration.parent.parameters.indexOf(declaration) };
  }

  /**
   * The arguments reachable calls pass at `index` to `fn` (or to an interface member of its name); undefined
   * when there is no such call or one passes nothing there.
   */
  private argumentsAt(fn: ts.SignatureDeclaration, index: number): ts.Expression[] | undefined {
    const name = fn.name && ts.isIdentifier(fn.name) ? fn.name.text : undefined;
    const args: ts.Expression[] = [];
    for (const call of this.calls) {
      const matches = call.targets.some(
        (target) =>
          target === fn ||
          (name !== undefined &&
            (ts.isMethodSignature(target) || ts.isPropertySignature(target)) &&
            target.name !== undefined &&
            ts.isIdentifier(target.name) &&
            target.name.text === name),
      );
      if (!matches) continue;
      const arg = call.args[index];
      if (!arg) return undefined;
      args.push(arg);
    }
    return args.length > 0 ? args : undefined;
  }

  /** The literal strings an expression can evaluate to, following a parameter to its reachable call sites. */
  private valueOf(expression: ts.Expression, depth: number): FieldValue {
    const type = this.checker.getTypeAtLocation(expression);
    const parts = type.isUnion() ? type.types : [type];
    if (parts.every((t) => t.isStringLiteral())) {
      return { literals: parts.map((t) => (t as ts.StringLiteralType).value), dynamic: false };
    }
    if (ts.isIdentifier(expression) && depth < 3) {
      const parameter = this.parameterOf(expression);
      if (parameter) return this.argumentsFor(parameter.fn, parameter.index, depth);
    }
    return { literals: [], dynamic: true };
  }

  private argumentsFor(fn: ts.SignatureDeclaration, index: number, depth: number): FieldValue {
    const args = this.argumentsAt(fn, index);
    if (!args) return { literals: [], dynamic: true };
    const literals = new Set<string>();
    let dynamic = false;
    for (const arg of args) {
      const value = this.valueOf(skipParens(arg), depth + 1);
      for (const literal of value.literals) literals.add(literal);
      dynamic ||= value.dynamic;
    }
    return { literals: [...literals], dynamic };
  }
}

/** A waiter or paginator: declared as a function or as a `const` holding one. */
function isSdkHelper(declaration: ts.Declaration, name: string): boolean {
  return (
    (ts.isFunctionDeclaration(declaration) || ts.isVariableDeclaration(declaration)) &&
    /^(waitUntil|waitFor|paginate)[A-Z]/.test(name)
  );
}

function isStatic(member: ts.ClassElement): boolean {
  return (ts.getCombinedModifierFlags(member as ts.Declaration) & ts.ModifierFlags.Static) !== 0;
}

function isFunctionLike(node: ts.Node): node is ts.FunctionLikeDeclaration {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isConstructorDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node) ||
    ts.isArrowFunction(node) ||
    ts.isFunctionExpression(node)
  );
}

function skipParens(node: ts.Expression): ts.Expression {
  let current = node;
  while (
    ts.isParenthesizedExpression(current) ||
    ts.isAsExpression(current) ||
    ts.isSatisfiesExpression(current)
  )
    current = current.expression;
  return current;
}

function propertyName(name: ts.PropertyName): string | undefined {
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name)) return name.text;
  return undefined;
}
