/**
 * The JSONPath subset EventBridge evaluates in a target's InputPath and an input transformer's InputPathsMap
 * ("input transformation": dot notation, dashes, underscores, alphanumeric characters, forward slashes, array
 * indices and wildcards), plus bracketed quoted names, which InputPath also accepts.
 */

/** A path EventBridge would refuse in PutTargets. */
export class InvalidJsonPathError extends Error {
  override readonly name = 'InvalidJsonPathError';
}

type Step = { readonly name: string } | { readonly index: number } | { readonly wildcard: true };

export interface JsonPath {
  readonly text: string;
  /** True when the path has a wildcard: it selects a list of values rather than one. */
  readonly wildcard: boolean;
  /** The values the path selects, in document order (none when it names nothing in `document`). */
  select(document: unknown): unknown[];
}

const NAME = /^[A-Za-z0-9_\-/$@:]+/;

export function parseJsonPath(text: string): JsonPath {
  if (typeof text !== 'string' || !text.startsWith('$')) {
    throw new InvalidJsonPathError(`${JSON.stringify(text)} is not a JSON path: it must start with $`);
  }
  const steps: Step[] = [];
  let rest = text.slice(1);
  while (rest.length > 0) {
    if (rest.startsWith('.*')) {
      steps.push({ wildcard: true });
      rest = rest.slice(2);
    } else if (rest.startsWith('.')) {
      const name = NAME.exec(rest.slice(1))?.[0];
      if (!name) throw new InvalidJsonPathError(`${text}: expected a field name after "."`);
      steps.push({ name });
      rest = rest.slice(1 + name.length);
    } else if (rest.startsWith('[')) {
      const bracket = /^\[(?:(\d+)|(\*)|'([^']*)'|"([^"]*)")\]/.exec(rest);
      if (!bracket) throw new InvalidJsonPathError(`${text}: unsupported bracket ${rest.slice(0, 20)}`);
      if (bracket[1] !== undefined) steps.push({ index: Number(bracket[1]) });
      else if (bracket[2] !== undefined) steps.push({ wildcard: true });
      else steps.push({ name: bracket[3] ?? bracket[4] ?? '' });
      rest = rest.slice(bracket[0].length);
    } else {
      throw new InvalidJsonPathError(`${text}: unexpected ${JSON.stringify(rest.slice(0, 20))}`);
    }
  }
  const wildcard = steps.some((s) => 'wildcard' in s);
  return {
    text,
    wildcard,
    select: (document) => {
      let current: unknown[] = [document];
      for (const step of steps) {
        const next: unknown[] = [];
        for (const node of current) {
          if ('wildcard' in step) {
            if (Array.isArray(node)) next.push(...node);
            else if (typeof node === 'object' && node !== null) next.push(...Object.values(node));
          } else if ('index' in step) {
            if (Array.isArray(node) && step.index < node.length) next.push(node[step.index]);
          } else if (typeof node === 'object' && node !== null && !Array.isArray(node)) {
            if (Object.hasOwn(node, step.name)) next.push((node as Record<string, unknown>)[step.name]);
          }
        }
        current = next;
      }
      return current;
    },
  };
}
