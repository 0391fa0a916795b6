/**
 * A step that a test needs to have happened first, done once per file: in file order the first test that needs
 * it does it (and asserts on it), and a test run alone (`vitest run FILE -t NAME`) does it itself.
 */
export function once<T>(step: () => Promise<T>): () => Promise<T> {
  let done: Promise<T> | undefined;
  return () => {
    done ??= step();
    return done;
  };
}
