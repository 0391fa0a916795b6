import { SourceNotFoundError } from './errors';

/**
 * The catalog's `source.path` as a folder relative to the repository root: `''` for the root, no `.`
 * segments, no doubled or trailing slashes. A path that leaves the repository is refused.
 */
export function repositoryFolderOf(path: string): string {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) {
    throw new SourceNotFoundError(
      `source.path ${JSON.stringify(path)} leaves the repository; use a folder inside it, e.g. "services/api".`,
    );
  }
  return parts.join('/');
}
