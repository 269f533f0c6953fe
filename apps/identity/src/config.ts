import { z } from 'zod';
import { TenantId } from '@meridian/contracts/identity';
import { identityAccountsEnv } from '@meridian/identity/data-access';
import { federationEnv } from '@meridian/identity/feature-federation';
import { oidcEnv } from '@meridian/identity/feature-oidc';
import { baseConfigSchema } from '@meridian/shared/service-kit';

export const identityConfigSchema = baseConfigSchema.extend({
  IDENTITY_HTTP_PORT: z.coerce.number().int().min(1).max(65535).default(8081),
  /** Tenants that must exist; registered idempotently at every start. */
  IDENTITY_BOOTSTRAP_TENANTS: z
    .string()
    .default('demo')
    .transform((s) =>
      s
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
    )
    .pipe(z.array(TenantId)),
  // Accounts: the platform administrator, each bootstrap tenant's administrator, demo users.
  ...identityAccountsEnv,
  // The OpenID Connect server (its own port), tokens and signing keys.
  ...oidcEnv,
  // Log in at an organisation's own identity provider (IDENTITY_FEDERATION), docs/identity.md.
  ...federationEnv,
});
export type IdentityConfig = z.infer<typeof identityConfigSchema>;
