import type { Point } from 'geojson';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One row per asset: registration facts (from workflow events, guarded by stream version) and the
 * newest fix (from telemetry, guarded by its timestamp). Either may arrive first; a row whose
 * registration has not arrived yet (`name` null) is not an asset to readers.
 */
@Entity({ schema: 'read', name: 'asset_latest' })
@Index('asset_latest_tenant', ['tenantId', 'assetId'])
export class AssetLatest {
  @PrimaryColumn({ name: 'asset_id', type: 'uuid' })
  assetId!: string;

  @Column({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @Column({ type: 'text', nullable: true })
  name!: string | null;

  @Column({ type: 'text', nullable: true })
  kind!: string | null;

  @Column({ type: 'text', nullable: true })
  status!: string | null;

  @Column({ type: 'int', default: 0 })
  version!: number;

  /** Access attributes (docs/permissions.md): 0–4, which a principal's clearance must reach. */
  @Column({ type: 'smallint', default: 0 })
  sensitivity!: number;

  /** The owning team; null: none, visible to every team. */
  @Column({ type: 'text', nullable: true })
  team!: string | null;

  @Index('asset_latest_geom', { spatial: true })
  @Column({ type: 'geometry', spatialFeatureType: 'Point', srid: 4326, nullable: true })
  geom!: Point | null;

  @Column({ type: 'timestamptz', nullable: true })
  ts!: Date | null;

  /** The newest fix's time before the last update (kept by the telemetry write path). */
  @Column({ name: 'previous_ts', type: 'timestamptz', nullable: true })
  previousTs!: Date | null;

  @Column({ type: 'real', nullable: true }) alt!: number | null;
  @Column({ type: 'real', nullable: true }) speed!: number | null;
  @Column({ type: 'real', nullable: true }) heading!: number | null;
  @Column({ type: 'real', nullable: true }) battery!: number | null;
  @Column({ type: 'real', nullable: true }) accuracy!: number | null;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
