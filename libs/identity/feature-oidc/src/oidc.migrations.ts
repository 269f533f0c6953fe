import type { Pool } from 'pg';
import { migrate, type Migration } from '@meridian/shared/event-store';

/** Identity's schema; the event store's migrations (ids 1–2) and identity's read models live there too. */
export const OIDC_SCHEMA = 'identity';

/**
 * The provider's own tables. Ids 9101+ are this feature's range in `identity.migrations`, clear of
 * the event store's and the read models' ids.
 */
export const oidcMigrations: readonly Migration[] = [
  {
    id: 9101,
    name: 'oidc-payloads',
    // oidc-provider's state (sessions, interactions, grants, codes, refresh tokens) for every
    // instance and every Provider rebuilt by a key rotation. JWT access tokens are not stored.
    sql: `
      CREATE TABLE identity.oidc_payloads (
        model text NOT NULL,
        id text NOT NULL,
        payload jsonb NOT NULL,
        grant_id text,
        uid text,
        user_code text,
        expires_at timestamptz,
        consumed_at timestamptz,
        PRIMARY KEY (model, id)
      );
      CREATE INDEX oidc_payloads_grant_id ON identity.oidc_payloads (model, grant_id) WHERE grant_id IS NOT NULL;
      CREATE INDEX oidc_payloads_uid ON identity.oidc_payloads (model, uid) WHERE uid IS NOT NULL;
      CREATE INDEX oidc_payloads_user_code ON identity.oidc_payloads (model, user_code) WHERE user_code IS NOT NULL;
      CREATE INDEX oidc_payloads_expires_at ON identity.oidc_payloads (expires_at) WHERE expires_at IS NOT NULL;
    `,
  },
  {
    id: 9102,
    name: 'signing-keys',
    // The private JWK is sealed with SECRETS_KEY (libs/shared/util secrets.ts): never stored in clear.
    sql: `
      CREATE TABLE identity.signing_keys (
        kid text PRIMARY KEY,
        private_jwk text NOT NULL,
        public_jwk jsonb NOT NULL,
        created_at timestamptz NOT NULL,
        activates_at timestamptz NOT NULL,
        retired_at timestamptz,
        expires_at timestamptz,
        CHECK ((retired_at IS NULL) = (expires_at IS NULL))
      );
    `,
  },
];

/** Applies the provider's migrations (idempotent, under the schema's migration lock). */
export function migrateOidc(pool: Pool): Promise<number[]> {
  return migrate(pool, OIDC_SCHEMA, oidcMigrations);
}
