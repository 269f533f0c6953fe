import { canonicalRoles, type PrincipalRole } from '../user/membership';
import type { FederationSettings } from './federation';

/**
 * A federated user's roles: the union of the roles of its groups, or the tenant's default roles
 * when none of its groups is mapped. A group mapped to [] counts as mapped (and gives nothing).
 * Group names match exactly, as the IdP's `groups` claim carries them.
 */
export function rolesForGroups(
  mapping: Pick<FederationSettings, 'groupRoles' | 'defaultRoles'>,
  groups: readonly string[],
): PrincipalRole[] {
  const mapped = groups.filter((group) => Object.hasOwn(mapping.groupRoles, group));
  if (mapped.length === 0) return canonicalRoles(mapping.defaultRoles);
  return canonicalRoles(mapped.flatMap((group) => mapping.groupRoles[group] ?? []));
}

const USERNAME = /^[a-z0-9._-]{2,64}$/;

/**
 * A Meridian username from the IdP's login name (`preferred_username`, else the e-mail address,
 * else the subject): lowercased, every other character than letters, digits, `.`, `_` and `-`
 * replaced by `-`. Null when nothing usable remains (shorter than 2 or longer than 64 characters).
 */
export function federatedUsername(candidates: readonly (string | null | undefined)[]): string | null {
  for (const candidate of candidates) {
    if (typeof candidate !== 'string') continue;
    const name = candidate
      .trim()
      .toLowerCase()
      .replace(/[^a-z0-9._-]/g, '-');
    if (USERNAME.test(name)) return name;
  }
  return null;
}
