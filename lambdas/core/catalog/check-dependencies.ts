/**
 * A service's `dependencies` block: which install scripts may run, the secret holding a private registry's .npmrc,
 * the licences and the npm audit severity that stop a build.
 */
import { type Checker, childPath } from './checker';
import type { DependenciesConfig } from './types';

const DEPENDENCIES_KEYS = ['allowInstallScripts', 'npmrcSecret', 'deniedLicenses', 'auditLevel'] as const;
/** npm audit severities that may stop a build, lowest first (npm's `info` is never a reason to). */
export const AUDIT_LEVELS = ['low', 'moderate', 'high', 'critical'] as const;
/** SPDX licence ids (LicenseRef-… included). */
const LICENSE_ID = /^[A-Za-z0-9][A-Za-z0-9.+-]*$/;
/** npm package names: optionally scoped, lowercase, URL-safe. */
const PACKAGE_NAME = /^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;
/** Secrets Manager secret names (the local runtime keeps them as files of the same name). */
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

export function checkDependencies(c: Checker, value: unknown, path: string): DependenciesConfig {
  const o = c.object(value, path, DEPENDENCIES_KEYS, undefined) ?? {};
  let allowInstallScripts: string[] | undefined;
  const list = o.allowInstallScripts;
  if (list !== undefined) {
    const at = childPath(path, 'allowInstallScripts');
    if (!Array.isArray(list) || !list.every((n) => typeof n === 'string' && PACKAGE_NAME.test(n))) {
      c.add(at, list, 'use a list of npm package names whose install scripts may run, e.g. ["esbuild"]');
    } else {
      allowInstallScripts = [...new Set(list as string[])].sort();
    }
  }
  const npmrcSecret =
    o.npmrcSecret === undefined
      ? undefined
      : c.string(o, 'npmrcSecret', path, {
          problem: (name) =>
            SECRET_NAME.test(name) && !name.includes('..')
              ? undefined
              : 'use a secret name (letters, digits and /_+=.@-), e.g. "sluice/npmrc/team"',
        });
  let deniedLicenses: string[] | undefined;
  const denied = o.deniedLicenses;
  if (denied !== undefined) {
    if (!Array.isArray(denied) || !denied.every((n) => typeof n === 'string' && LICENSE_ID.test(n))) {
      c.add(
        childPath(path, 'deniedLicenses'),
        denied,
        'use a list of SPDX licence ids, e.g. ["AGPL-3.0", "SSPL-1.0"]',
      );
    } else {
      deniedLicenses = [...new Set(denied as string[])].sort();
    }
  }
  const auditLevel =
    o.auditLevel === undefined ? undefined : c.oneOf(o, 'auditLevel', path, AUDIT_LEVELS, undefined);
  return {
    ...(auditLevel !== undefined ? { auditLevel } : {}),
    ...(deniedLicenses !== undefined ? { deniedLicenses } : {}),
    ...(allowInstallScripts !== undefined ? { allowInstallScripts } : {}),
    ...(npmrcSecret !== undefined ? { npmrcSecret } : {}),
  };
}
