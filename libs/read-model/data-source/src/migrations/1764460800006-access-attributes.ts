import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The access attributes the policy compares with a principal (issue 9, docs/permissions.md):
 * `sensitivity` 0–4 (against its clearance) and `team` (against its teams; null: no team, visible to
 * every team) on asset_latest and zones. Positions and zone visits take their asset's and zone's.
 * zones already had `sensitivity` (NOT NULL, no default): it gets the same default. No index: the
 * row filters are extra predicates on rows the tenant and GiST indexes already find.
 */
export class AccessAttributes1764460800006 implements MigrationInterface {
  name = 'AccessAttributes1764460800006';

  async up(q: QueryRunner): Promise<void> {
    for (const table of ['read.asset_latest', 'read.zones']) {
      await q.query(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS sensitivity smallint NOT NULL DEFAULT 0`);
      await q.query(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS team text NULL`);
    }
    await q.query(`ALTER TABLE read.zones ALTER COLUMN sensitivity SET DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE read.zones ALTER COLUMN sensitivity DROP DEFAULT`);
    await q.query(`ALTER TABLE read.zones DROP COLUMN IF EXISTS team`);
    await q.query(`ALTER TABLE read.asset_latest DROP COLUMN IF EXISTS team`);
    await q.query(`ALTER TABLE read.asset_latest DROP COLUMN IF EXISTS sensitivity`);
  }
}
