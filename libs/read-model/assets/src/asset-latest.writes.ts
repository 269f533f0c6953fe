import type { Pool } from 'pg';
import { qualifiedTable, type Queryable } from '@meridian/shared/event-store';
import { classifyFailure } from '@meridian/shared/messaging';
import { Batcher } from '@meridian/shared/util';

export interface AssetRegistration {
  readonly assetId: string;
  readonly tenantId: string;
  readonly name: string;
  readonly kind: string;
  readonly status: string;
  readonly version: number;
  /** Access attributes (asset.registered.v2); a v1 registration has none: sensitivity 0, no team. */
  readonly sensitivity?: number;
  readonly team?: string | null;
}

export interface StatusChange {
  readonly assetId: string;
  readonly tenantId: string;
  readonly status: string;
  readonly version: number;
}

export const ASSET_LATEST_TABLE = 'read.asset_latest';

export interface AssetLatestWriterOptions {
  /** The table written, schema-qualified: `read.asset_latest` (default) or, for a rebuild, its shadow. */
  readonly table?: string;
}

/**
 * Writes of workflow facts into asset_latest. Each write carries the asset stream version and
 * applies only if newer, so a redelivered or replayed event changes nothing. Writes that arrive
 * while one is in flight (the projection handles many assets' events at once) go together in one
 * statement; each is still answered on its own (applied or not). A batch naming one asset twice is
 * written one by one, in arrival order, because one statement cannot change a row twice.
 */
export class AssetLatestWriter {
  private readonly registrations: Batcher<AssetRegistration, boolean | Error>;
  private readonly statuses: Batcher<StatusChange, boolean | Error>;
  private readonly table: string;

  constructor(
    private readonly pool: Pool,
    options: AssetLatestWriterOptions = {},
  ) {
    this.table = qualifiedTable(options.table ?? ASSET_LATEST_TABLE);
    this.registrations = new Batcher((batch) => this.writeRegistrations(batch), { maxBatch: 256 });
    this.statuses = new Batcher((batch) => this.writeStatuses(batch), { maxBatch: 256 });
  }

  /** True when the registration was applied (false: the row is as new already, or of another tenant). */
  async applyRegistration(r: AssetRegistration): Promise<boolean> {
    return settled(await this.registrations.submit(r));
  }

  async applyStatus(assetId: string, tenantId: string, status: string, version: number): Promise<boolean> {
    return settled(await this.statuses.submit({ assetId, tenantId, status, version }));
  }

  /**
   * Registrations written together, as the batcher writes them: one statement, or one by one when
   * an asset is in the batch twice or the database refuses one (that one's outcome is its Error).
   * A rebuild calls it with a page's registrations on its own connection (`via`).
   */
  writeRegistrations(batch: readonly AssetRegistration[], via: Queryable = this.pool): Promise<(boolean | Error)[]> {
    return writeEach(batch, (b) => this.register(b, via));
  }

  writeStatuses(batch: readonly StatusChange[], via: Queryable = this.pool): Promise<(boolean | Error)[]> {
    return writeEach(batch, (b) => this.changeStatus(b, via));
  }

  private async register(batch: readonly AssetRegistration[], via: Queryable): Promise<boolean[]> {
    const { rows } = await via.query<{ asset_id: string }>(
      `INSERT INTO ${this.table} AS l (asset_id, tenant_id, name, kind, status, version, sensitivity, team)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::smallint[],
                            $8::text[])
       ON CONFLICT (asset_id) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind, status = EXCLUDED.status,
         version = EXCLUDED.version, sensitivity = EXCLUDED.sensitivity, team = EXCLUDED.team, updated_at = now()
       WHERE l.version < EXCLUDED.version AND l.tenant_id = EXCLUDED.tenant_id
       RETURNING asset_id`,
      [
        batch.map((r) => r.assetId),
        batch.map((r) => r.tenantId),
        batch.map((r) => r.name),
        batch.map((r) => r.kind),
        batch.map((r) => r.status),
        batch.map((r) => r.version),
        batch.map((r) => r.sensitivity ?? 0),
        batch.map((r) => r.team ?? null),
      ],
    );
    return appliedOf(batch, rows);
  }

  private async changeStatus(batch: readonly StatusChange[], via: Queryable): Promise<boolean[]> {
    const { rows } = await via.query<{ asset_id: string }>(
      `UPDATE ${this.table} a SET status = u.status, version = u.version, updated_at = now()
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[]) AS u(asset_id, tenant_id, status, version)
       WHERE a.asset_id = u.asset_id AND a.tenant_id = u.tenant_id AND a.version < u.version
       RETURNING a.asset_id`,
      [
        batch.map((c) => c.assetId),
        batch.map((c) => c.tenantId),
        batch.map((c) => c.status),
        batch.map((c) => c.version),
      ],
    );
    return appliedOf(batch, rows);
  }
}

const settled = (outcome: boolean | Error): boolean => {
  if (outcome instanceof Error) throw outcome;
  return outcome;
};

/** PostgreSQL refused the data (the consumers' own rule, `classifyFailure`): that write's failure, not the batch's. */
const refusedData = (err: unknown): boolean => classifyFailure(err) === 'data';

/**
 * Writes a batch in one statement. When one statement cannot take it (an asset twice) or the
 * database refuses the data, the writes go one by one, so a refused write fails alone and its
 * neighbours are applied. Any other failure (connection lost) fails the batch, whose callers retry.
 */
async function writeEach<T extends { readonly assetId: string }>(
  batch: readonly T[],
  write: (batch: readonly T[]) => Promise<boolean[]>,
): Promise<(boolean | Error)[]> {
  if (batch.length > 1 && new Set(batch.map((b) => b.assetId.toLowerCase())).size === batch.length) {
    try {
      return await write(batch);
    } catch (err) {
      if (!refusedData(err)) throw err;
    }
  }
  const out: (boolean | Error)[] = [];
  for (const item of batch) {
    try {
      out.push(...(await write([item])));
    } catch (err) {
      if (!refusedData(err)) throw err;
      out.push(err instanceof Error ? err : new Error(String(err)));
    }
  }
  return out;
}

const appliedOf = (
  batch: readonly { readonly assetId: string }[],
  rows: readonly { asset_id: string }[],
): boolean[] => {
  const applied = new Set(rows.map((r) => r.asset_id.toLowerCase()));
  return batch.map((b) => applied.has(b.assetId.toLowerCase()));
};
