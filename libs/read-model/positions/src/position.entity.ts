import type { Point } from 'geojson';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A stored fix. The table is partitioned by day (see the migration), which TypeORM cannot declare:
 * the entity serves reads; writes go through PositionsWriter (COPY, and unnest for late fixes).
 */
@Entity({ schema: 'read', name: 'positions' })
export class Position {
  @PrimaryColumn({ name: 'asset_id', type: 'uuid' })
  assetId!: string;

  @PrimaryColumn({ type: 'timestamptz' })
  ts!: Date;

  @Column({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  // GiST per partition (migration 1764460800005): tiles, OGC items and fine heatmaps read history by envelope.
  @Index('positions_geom', { spatial: true })
  @Column({ type: 'geometry', spatialFeatureType: 'Point', srid: 4326 })
  geom!: Point;

  @Column({ type: 'real', nullable: true }) alt!: number | null;
  @Column({ type: 'real', nullable: true }) speed!: number | null;
  @Column({ type: 'real', nullable: true }) heading!: number | null;
  @Column({ type: 'real', nullable: true }) battery!: number | null;
  @Column({ type: 'real', nullable: true }) accuracy!: number | null;

  @Column({ name: 'received_at', type: 'timestamptz', default: () => 'now()' })
  receivedAt!: Date;

  /** Store order (a sequence): rebuilds replay fixes in it. */
  @Column({ name: 'ingest_seq', type: 'bigint', default: () => "nextval('read.positions_ingest_seq')" })
  ingestSeq!: string;
}
