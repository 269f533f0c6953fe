import type { Pool } from 'pg';

export interface AssetRegistration {
  readonly assetId: string;
  readonly tenantId: string;
  readonly name: string;
  readonly kind: string;
  readonly status: string;
  readonly version: number;
}

/**
 * Writes of workflow facts into asset_latest. Each write carries the asset stream version and
 * applies only if newer, so a redelivered or replayed event changes nothing.
 */
export class AssetLatestWriter {
  constructor(private readonly pool: Pool) {}

  async applyRegistration(r: AssetRegistration): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `INSERT INTO read.asset_latest (asset_id, tenant_id, name, kind, status, version)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (asset_id) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind, status = EXCLUDED.status,
         version = EXCLUDED.version, updated_at = now()
       WHERE read.asset_latest.version < EXCLUDED.version AND read.asset_latest.tenant_id = EXCLUDED.tenant_id`,
      [r.assetId, r.tenantId, r.name, r.kind, r.status, r.version],
    );
    return rowCount === 1;
  }

  async applyStatus(assetId: string, tenantId: string, status: string, version: number): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE read.asset_latest SET status = $3, version = $4, updated_at = now()
       WHERE asset_id = $1 AND tenant_id = $2 AND version < $4`,
      [assetId, tenantId, status, version],
    );
    return rowCount === 1;
  }
}
