/**
 * Deliberately broken (demo of a failed Build stage): the handler below is missing its closing braces, so
 * esbuild refuses to bundle it. Excluded from biome and tsc for that reason.
 */

export async function handler(event: { rawPath?: string }) {
  if (event.rawPath === '/') {
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"message":"Hello"}' ;
