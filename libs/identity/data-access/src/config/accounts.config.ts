import { z } from 'zod';
import { DisplayName } from '@meridian/contracts/core';
import { PrincipalAttributes, Roles, TenantId, Username } from '@meridian/contracts/identity';
import { type BaseConfig, ConfigError } from '@meridian/shared/service-kit';

/** A demo user created (once) at start: IDENTITY_BOOTSTRAP_USERS is a JSON array of these. */
export const BootstrapUser = z.strictObject({
  tenantId: TenantId,
  username: Username,
  password: z.string().min(8).max(256),
  displayName: DisplayName,
  roles: Roles,
  attributes: PrincipalAttributes.prefault({}),
});
export type BootstrapUser = z.infer<typeof BootstrapUser>;

/** Development defaults: published here, so every one of them is refused in production. */
export const DEV_PLATFORM_CLIENT_SECRET = 'dev-platform-admin-secret';
export const DEV_TENANT_ADMIN_SECRET = 'dev-tenant-admin-secret';
const DEV_DEMO_PASSWORD = 'demo-operator-password';
export const DEV_BOOTSTRAP_USERS = JSON.stringify([
  {
    tenantId: 'demo',
    username: 'demo-operator',
    password: DEV_DEMO_PASSWORD,
    displayName: 'Demo Operator',
    roles: ['operator'],
  },
]);

const jsonArray = z.string().transform((text, ctx) => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'not JSON' });
    return z.NEVER;
  }
});

/**
 * The bootstrap accounts' settings, spread into identity's config schema (apps/identity/src/config.ts)
 * beside IDENTITY_BOOTSTRAP_TENANTS.
 */
export const identityAccountsEnv = {
  /** Secret of the platform administrator's service account (client id `platform-admin`, tenant `platform`). */
  IDENTITY_PLATFORM_CLIENT_SECRET: z.string().min(16).max(256).default(DEV_PLATFORM_CLIENT_SECRET),
  /** Secret of each bootstrap tenant's first administrator, the service account `<tenant>-admin` (role admin). */
  IDENTITY_BOOTSTRAP_ADMIN_SECRET: z.string().min(16).max(256).default(DEV_TENANT_ADMIN_SECRET),
  /** Demo users, a JSON array of {tenantId, username, password, displayName, roles, attributes?}; `[]` for none. */
  IDENTITY_BOOTSTRAP_USERS: z
    .string()
    .default(DEV_BOOTSTRAP_USERS)
    .pipe(jsonArray)
    .pipe(z.array(BootstrapUser).max(1000)),
};

/** What the account features read of identity's validated config. */
export type IdentityAccountsConfig = Pick<BaseConfig, 'NODE_ENV' | 'SECRETS_KEY'> & {
  readonly IDENTITY_BOOTSTRAP_TENANTS: readonly string[];
  readonly IDENTITY_PLATFORM_CLIENT_SECRET: string;
  readonly IDENTITY_BOOTSTRAP_ADMIN_SECRET: string;
  readonly IDENTITY_BOOTSTRAP_USERS: readonly BootstrapUser[];
};

export interface BootstrapAccounts {
  readonly tenants: readonly string[];
  readonly platformClientSecret: string;
  readonly tenantAdminSecret: string;
  readonly users: readonly BootstrapUser[];
}

/** The bootstrap settings; a ConfigError in production while a development default is in use. */
export function bootstrapAccountsOf(config: IdentityAccountsConfig): BootstrapAccounts {
  if (config.NODE_ENV === 'production') {
    const dev = [
      config.IDENTITY_PLATFORM_CLIENT_SECRET === DEV_PLATFORM_CLIENT_SECRET && 'IDENTITY_PLATFORM_CLIENT_SECRET',
      config.IDENTITY_BOOTSTRAP_ADMIN_SECRET === DEV_TENANT_ADMIN_SECRET && 'IDENTITY_BOOTSTRAP_ADMIN_SECRET',
      config.IDENTITY_BOOTSTRAP_USERS.some((u) => u.password === DEV_DEMO_PASSWORD) && 'IDENTITY_BOOTSTRAP_USERS',
    ].filter((name): name is string => typeof name === 'string');
    if (dev.length) {
      const lines = dev.map((name) => `  ${name}: the development default must not be used in production`);
      throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
    }
  }
  return {
    tenants: config.IDENTITY_BOOTSTRAP_TENANTS,
    platformClientSecret: config.IDENTITY_PLATFORM_CLIENT_SECRET,
    tenantAdminSecret: config.IDENTITY_BOOTSTRAP_ADMIN_SECRET,
    users: config.IDENTITY_BOOTSTRAP_USERS,
  };
}
