import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServiceConfig } from '../core/catalog/types';
import type { SourceRepository } from '../core/ports';

/** Checks the service out into a fresh folder under `workDir`, runs `work` there, and always cleans up. */
export async function withCheckout<T>(
  ports: { source: SourceRepository; workDir: string },
  config: ServiceConfig,
  sha: string,
  work: (dir: string) => Promise<T>,
): Promise<T> {
  await mkdir(ports.workDir, { recursive: true });
  const dir = await mkdtemp(join(ports.workDir, `${config.name}-`));
  try {
    await ports.source.checkout(config.source, sha, dir);
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** esbuild's messages as `file:line:col: text` lines, relative to the checkout. */
export function formatEsbuildErrors(
  errors: readonly { text: string; location?: { file: string; line: number; column: number } | null }[],
): string {
  return errors
    .slice(0, 10)
    .map((e) =>
      e.location ? `${e.location.file}:${e.location.line}:${e.location.column}: ${e.text}` : e.text,
    )
    .join('\n');
}

export function isEsbuildFailure(error: unknown): error is { errors: { text: string }[] } & Error {
  return typeof error === 'object' && error !== null && Array.isArray((error as { errors?: unknown }).errors);
}
