import type { Account, FindAccount } from 'oidc-provider';
import type { IdentityDirectory, LoginAccount } from '@meridian/identity/domain';

/**
 * The provider's account id is `<tenant>/<userId>` (the principal key): sessions, grants and refresh
 * tokens then know the tenant without another lookup, and two tenants' users never collide. Access
 * tokens carry the bare user id as `sub` and the tenant as `tenant` (see `tokenClaims`); the ID
 * token, made for the console alone, keeps the tenant-qualified id, unique within the issuer as
 * OpenID Connect requires of `sub`.
 */
export const accountIdOf = (tenantId: string, subject: string): string => `${tenantId}/${subject}`;

export function parseAccountId(accountId: string): { tenantId: string; subject: string } | null {
  const slash = accountId.indexOf('/');
  if (slash <= 0 || slash === accountId.length - 1) return null;
  return { tenantId: accountId.slice(0, slash), subject: accountId.slice(slash + 1) };
}

export function accountOf(account: LoginAccount): Account {
  const accountId = accountIdOf(account.tenantId, account.subject);
  return {
    accountId,
    claims: () => ({
      sub: accountId,
      name: account.displayName,
      preferred_username: account.username,
      ...(account.email ? { email: account.email } : {}),
      tenant: account.tenantId,
    }),
  };
}

/** Accounts come from the directory on every use: a disabled user can no longer refresh. */
export const findAccountIn =
  (directory: IdentityDirectory): FindAccount =>
  async (_ctx, id) => {
    const parsed = parseAccountId(id);
    if (!parsed) return undefined;
    const account = await directory.findAccount(parsed.tenantId, parsed.subject);
    return account ? accountOf(account) : undefined;
  };
