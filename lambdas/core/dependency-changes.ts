import type { BuiltDependencies } from './model';

/**
 * The approval's lines for a build's npm packages (the approval page, email and Slack show them): what was
 * added, changed and removed since the live release, with licences, at most `limit` changes.
 */
export function dependencyDetails(d: BuiltDependencies | undefined, limit = 12): string[] {
  if (!d) return [];
  const changes = [
    ...d.added.map((p) => `added ${p}`),
    ...d.changed.map((p) => `changed ${p}`),
    ...d.removed.map((p) => `removed ${p}`),
  ];
  const shown =
    changes.length > limit
      ? [...changes.slice(0, limit), `and ${changes.length - limit} more (see the SBOM)`]
      : changes;
  const since = d.comparedWithLive ? 'since the live release' : 'nothing live to compare with: all new';
  return [
    `Dependencies: ${d.packages} npm package${d.packages === 1 ? '' : 's'} bundled, ${changes.length} change${changes.length === 1 ? '' : 's'} ${since}; npm audit not run`,
    ...shown.map((line) => `Dependency ${line}`),
  ];
}
