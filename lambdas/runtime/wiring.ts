/**
 * How a handler gets its ports. In Lambda, each handler builds its AWS adapters once, lazily, at module
 * scope. The local runtime registers local implementations before it invokes the same handler modules.
 */

import type { Ports } from '../core/ports';

let localPorts: Ports | undefined;

/** Called by the local runtime before it invokes any handler. */
export function useLocalPorts(ports: Ports | undefined): void {
  localPorts = ports;
}

/**
 * Returns a getter for the ports a handler needs: the local ones when registered, else the AWS defaults,
 * built on first use and kept for the life of the Lambda container.
 */
export function portsFor<K extends keyof Ports>(awsDefaults: () => Pick<Ports, K>): () => Pick<Ports, K> {
  let built: Pick<Ports, K> | undefined;
  return () => {
    if (localPorts) return localPorts;
    built ??= awsDefaults();
    return built;
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
