/**
 * Narrowing where the type checker cannot see what the code guarantees (an index inside the array it came
 * from, a regular expression's required group): absence there is a bug in Sluice, reported by name.
 */

/** A value the code's own logic guarantees was absent. */
export class MissingValueError extends Error {
  override readonly name = 'MissingValueError';
}

/** `value`, or a MissingValueError naming `what` when it is undefined. */
export function defined<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new MissingValueError(`${what} is missing: this is a bug in Sluice`);
  return value;
}

/** The median of numbers sorted ascending; undefined for none. */
export function medianOfSorted(sorted: readonly number[]): number | undefined {
  if (sorted.length === 0) return undefined;
  const mid = Math.floor(sorted.length / 2);
  const upper = defined(sorted[mid], 'the middle sample');
  return sorted.length % 2 === 1 ? upper : (defined(sorted[mid - 1], 'the lower middle sample') + upper) / 2;
}
