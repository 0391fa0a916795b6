/**
 * How a handler gets its ports: each handler module exports `makeHandler(ports)`, and its `handler` (what
 * Lambda runs) is that factory applied to the AWS adapters. The local runtime applies the same factories to
 * its own ports, one set per runtime: nothing process-wide, so runtimes side by side never share adapters.
 */
import type { Context } from 'aws-lambda';

/**
 * Lambda's entry for a handler module: `makeHandler` on the AWS ports, built on the first invocation (so a
 * missing environment variable fails that invocation, not the module's import) and kept for the life of the
 * container, SDK clients and caches with it.
 */
export function onAwsPorts<P, E, R>(
  makeHandler: (ports: P) => (event: E, context: Context) => Promise<R>,
  awsPorts: () => P,
): (event: E, context: Context) => Promise<R> {
  let built: ((event: E, context: Context) => Promise<R>) | undefined;
  return (event, context) => {
    built ??= makeHandler(awsPorts());
    return built(event, context);
  };
}

/** Reads a required environment variable, naming it when missing. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(
      `Environment variable ${name} is not set; the Sluice construct sets it on every handler.`,
    );
  return value;
}
