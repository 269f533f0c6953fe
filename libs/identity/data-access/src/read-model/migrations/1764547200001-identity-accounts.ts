import type { MigrationInterface, QueryRunner } from 'typeorm';

/** identity.users and identity.service_accounts (see IdentityUser, IdentityServiceAccount). */
export class IdentityAccounts1764547200001 implements MigrationInterface {
  name = 'IdentityAccounts1764547200001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE IF NOT EXISTS identity.users (
        tenant_id text NOT NULL,
        user_id uuid NOT NULL,
        username text NOT NULL,
        display_name text NOT NULL,
        email text,
        password_hash text,
        federated_issuer text,
        federated_subject text,
        roles text[] NOT NULL,
        attributes jsonb NOT NULL,
        active boolean NOT NULL,
        version int NOT NULL,
        created_at timestamptz NOT NULL,
        changed_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, user_id)
      )`);
    // Logins look users up by name; the username streams keep names unique, this index agrees.
    await q.query(`CREATE UNIQUE INDEX IF NOT EXISTS users_username ON identity.users (tenant_id, username)`);
    await q.query(`
      CREATE TABLE IF NOT EXISTS identity.service_accounts (
        client_id text PRIMARY KEY,
        tenant_id text NOT NULL,
        name text NOT NULL,
        secret text NOT NULL,
        roles text[] NOT NULL,
        attributes jsonb NOT NULL,
        platform_admin boolean NOT NULL,
        active boolean NOT NULL,
        version int NOT NULL,
        created_at timestamptz NOT NULL,
        changed_at timestamptz NOT NULL
      )`);
    await q.query(
      `CREATE INDEX IF NOT EXISTS service_accounts_tenant ON identity.service_accounts (tenant_id, client_id)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS identity.service_accounts`);
    await q.query(`DROP TABLE IF EXISTS identity.users`);
  }
}
