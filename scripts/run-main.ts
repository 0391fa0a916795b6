/** Runs a script's `main` when the file is executed directly: its exit code, or 1 with the stack of a crash. */
export function runMain(main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: Error) => {
      process.stderr.write(`✘ ${error.stack ?? error.message}\n`);
      process.exitCode = 1;
    },
  );
}
