/**
 * One value per process under `name`, made by `create` on first use and kept on globalThis: a copy of the asking
 * module loaded afresh in the same process (the tests reload the project's modules between files) gets the same
 * value instead of making a second one (a second exit hook, a cache that starts empty).
 */
export function processWide<T>(name: string, create: () => T): T {
  const key = Symbol.for(`sluice.local.${name}`);
  const store = globalThis as Record<symbol, unknown>;
  if (!(key in store)) store[key] = create();
  return store[key] as T;
}
