import {
  cellToBoundary,
  cellToLatLng,
  getHexagonEdgeLengthAvg,
  gridDisk,
  latLngToCell,
  POLYGON_TO_CELLS_FLAGS,
  polygonToCellsExperimental,
  UNITS,
} from 'h3-js';
import type { Pool } from 'pg';
import type { AssetFeature, AssetPage, HeatCell, Heatmap, TrackFeature } from '@meridian/contracts/assets';
import { CodedError, type Bbox } from '@meridian/contracts/core';
import { assetAttributes, attributeColumns, type ReadScope, rowFilter, unfiltered } from '@meridian/read-model/assets';
import { can, type Permission } from '@meridian/shared/policy';
import { cellHex, COARSE_RESOLUTION, parentHex } from './cells';
import { isoMicros, utcInstant } from './instants';
import { epochMicros } from './positions.writes';

/** Errors these queries refuse with (declared with their HTTP status in `@meridian/contracts/assets`). */
export interface PositionQueryLimits {
  /** Vertices a track may hold after simplification. */
  readonly maxTrackVertices: number;
  /** Cells a heatmap may hold. */
  readonly maxHeatmapCells: number;
  /** Fixes a heatmap finer than the stored resolutions may count. */
  readonly maxHeatmapFixes: number;
  /** Codes to refuse with. */
  readonly codes: {
    readonly trackTooManyVertices: string;
    readonly heatmapTooManyCells: string;
    readonly heatmapTooManyFixes: string;
  };
}

const HOUR_MS = 3_600_000;
/** More resolution-3 cells than this in a bbox: ask the index by tenant and hour only (a continent-sized bbox). */
const MAX_COARSE_CELLS = 2_000;
const MIN_UUID = '00000000-0000-0000-0000-000000000000';
/** Widest `at` window read from the fixes in it; wider ones go asset by asset (see `at`). */
const FEW_FIXES_WINDOW_S = 3_600;
/** Average area of a resolution-3 cell (km²): a bbox much larger than this many of them is not worth listing. */
const COARSE_CELL_KM2 = 12_393;
/** A fix is what `positions:read` is about: its own point, its asset's sensitivity and team. */
const READ: Permission = 'positions:read';

interface AtRow {
  asset_id: string;
  name: string;
  kind: AssetFeature['properties']['kind'];
  status: AssetFeature['properties']['status'];
  version: number;
  lon: number;
  lat: number;
  /** `to_json(ts)`: RFC 3339 with the offset and up to microseconds. */
  ts: string;
  speed: number | null;
  heading: number | null;
  sensitivity: number;
  team: string | null;
}

interface TrackRow {
  seg: number;
  lon: number;
  lat: number;
  /** Microseconds after `from`. */
  m: number;
  /** Fixes in the window (before simplification). */
  n: number;
}

/**
 * Reads of position history (read.positions, read.position_cells). Tenant-scoped and filtered by the
 * principal's row filter for `positions:read` (each fix: its own point against the region, its
 * asset's sensitivity and team); each query's plan starts from an index (asserted with EXPLAIN in
 * `libs/read-model/data-source/src/position.queries.int.spec.ts`).
 */
export class PositionQueries {
  constructor(
    private readonly pool: Pool,
    private readonly limits: PositionQueryLimits,
    /** The H3 resolutions counted at ingest (`H3_RESOLUTIONS`). */
    private readonly cellResolutions: readonly number[],
  ) {}

  /**
   * Where each asset was at `at`: its last fix in `(at − maxAge, at]`, inside `bbox` if given, one
   * page in asset id order. Two plans, by the width of the window:
   *
   * - up to `FEW_FIXES_WINDOW_S`: an asset whose last fix lies in the bbox has a fix in the window
   *   and the bbox (that fix), so the candidates are the assets with a fix in the window (BRIN on
   *   ts, or GiST on geom with a bbox; only the window's partitions) — few rows for a short window;
   * - wider: the tenant's assets in id order (asset_latest's tenant index), stopping at the page.
   *
   * Either way each candidate's last fix is one backwards probe of (asset_id, ts). The row filter
   * applies to that last fix, where the asset was at `at`: an asset outside the principal's region
   * then is left out, not shown at an older fix inside it. The answer is assets, so the role must
   * grant `assets:read` as well.
   */
  async at(
    scope: ReadScope,
    at: string,
    maxAgeSeconds: number,
    bbox: Bbox | undefined,
    limit: number,
    after?: string,
  ): Promise<AssetPage> {
    if (!can(scope.principal, 'assets:read', scope.now)) return { items: [], after: null };
    const tenantId = scope.principal.tenantId;
    const values: unknown[] = [tenantId, at, maxAgeSeconds, after ?? MIN_UUID, limit + 1, ...(bbox ?? [])];
    const filter = rowFilter(scope, READ, { ...attributeColumns('a.'), geom: 'f.geom' }, values.length + 1);
    values.push(...filter.params);
    const envelope = bbox ? 'ST_MakeEnvelope($6, $7, $8, $9, 4326)' : null;
    const where = envelope
      ? `WHERE ST_Intersects(f.geom, ${envelope})${filter.sql}`
      : filter.sql && `WHERE TRUE${filter.sql}`;
    const candidates =
      maxAgeSeconds <= FEW_FIXES_WINDOW_S
        ? `SELECT DISTINCT asset_id FROM read.positions
           WHERE tenant_id = $1 AND ts <= $2::timestamptz AND ts > $2::timestamptz - make_interval(secs => $3)
             AND asset_id > $4::uuid ${envelope ? `AND geom && ${envelope}` : ''}`
        : `SELECT asset_id FROM read.asset_latest
           WHERE tenant_id = $1 AND asset_id > $4::uuid AND name IS NOT NULL
             AND ts > $2::timestamptz - make_interval(secs => $3)`;
    const { rows } = await this.pool.query<AtRow>(
      `WITH candidates AS (${candidates})
       SELECT a.asset_id, a.name, a.kind, a.status, a.version, ST_X(f.geom) AS lon, ST_Y(f.geom) AS lat,
              to_json(f.ts) #>> '{}' AS ts, f.speed, f.heading, a.sensitivity, a.team
       FROM candidates c
       CROSS JOIN LATERAL (
         SELECT p.ts, p.geom, p.speed, p.heading FROM read.positions p
         WHERE p.asset_id = c.asset_id AND p.ts <= $2::timestamptz
           AND p.ts > $2::timestamptz - make_interval(secs => $3)
         ORDER BY p.ts DESC LIMIT 1
       ) f
       JOIN read.asset_latest a ON a.asset_id = c.asset_id AND a.tenant_id = $1 AND a.name IS NOT NULL
       ${where}
       ORDER BY c.asset_id LIMIT $5`,
      values,
    );
    const more = rows.length > limit;
    const page = more ? rows.slice(0, limit) : rows;
    return {
      items: page.map((r) => ({
        type: 'Feature',
        id: r.asset_id,
        geometry: { type: 'Point', coordinates: [r.lon, r.lat] },
        properties: {
          name: r.name,
          kind: r.kind,
          status: r.status,
          lastSeen: utcInstant(r.ts),
          speed: r.speed,
          heading: r.heading,
          version: r.version,
          sensitivity: r.sensitivity,
          team: r.team,
        },
      })),
      after: more ? page[page.length - 1].asset_id : null,
    };
  }

  /**
   * The track of an asset in `[from, to)`. Fixes come by (asset_id, ts) across the partitions the
   * window touches; a new line starts after a gap longer than `gapSeconds`; each line is simplified
   * (Douglas–Peucker, `ST_Simplify`) in the UTM zone of the first fix, so `simplifyMeters` is metres,
   * and keeps each kept vertex's time (as its M value, microseconds after `from`). A lone fix between
   * two gaps is a line of two equal vertices (GeoJSON lines need two). `null` geometry: no fixes.
   * Only the fixes the row filter lets through are read: a region-restricted principal's track is
   * its pieces inside the region, split where it left (when away longer than `gapSeconds`).
   */
  async track(
    scope: ReadScope,
    assetId: string,
    window: { readonly from: string; readonly to: string },
    simplifyMeters: number,
    gapSeconds: number,
  ): Promise<TrackFeature> {
    const { columns, join } = assetAttributes(scope.principal, 'p', 'p.geom');
    const filter = rowFilter(scope, READ, columns, 8);
    const { rows } = await this.pool.query<TrackRow>(
      `WITH fixes AS (
         SELECT p.ts, p.geom FROM read.positions p${join}
         WHERE p.asset_id = $1 AND p.tenant_id = $2 AND p.ts >= $3::timestamptz AND p.ts < $4::timestamptz${filter.sql}
       ),
       breaks AS (
         SELECT ts, geom, CASE WHEN ts - lag(ts) OVER (ORDER BY ts) > make_interval(secs => $5) THEN 1 ELSE 0 END AS brk
         FROM fixes
       ),
       numbered AS (SELECT ts, geom, sum(brk) OVER (ORDER BY ts) AS seg FROM breaks),
       zone AS (
         SELECT CASE WHEN ST_Y(geom) >= 0 THEN 32600 ELSE 32700 END
                + least(60, floor((ST_X(geom) + 180) / 6)::int + 1) AS srid
         FROM numbered ORDER BY ts LIMIT 1
       ),
       lines AS (
         SELECT seg, ST_MakeLine(
                  ST_SetSRID(
                    ST_MakePointM(ST_X(geom), ST_Y(geom), extract(epoch FROM ts - $3::timestamptz) * 1000000), 4326
                  )
                  ORDER BY ts
                ) AS line
         FROM numbered GROUP BY seg
       ),
       simplified AS (
         SELECT seg, CASE WHEN $6::float8 > 0 AND ST_NPoints(line) > 2
                     THEN ST_Transform(ST_Simplify(ST_Transform(line, zone.srid), $6::float8, true), 4326)
                     ELSE line END AS line
         FROM lines, zone
       )
       SELECT seg::int, ST_X(d.geom) AS lon, ST_Y(d.geom) AS lat, ST_M(d.geom) AS m,
              (SELECT count(*) FROM fixes)::int AS n
       FROM simplified, LATERAL ST_DumpPoints(line) d
       ORDER BY seg, d.path[1]
       LIMIT $7`,
      [
        assetId,
        scope.principal.tenantId,
        window.from,
        window.to,
        gapSeconds,
        simplifyMeters,
        this.limits.maxTrackVertices + 1,
        ...filter.params,
      ],
    );
    if (rows.length > this.limits.maxTrackVertices) {
      throw new CodedError(
        this.limits.codes.trackTooManyVertices,
        `the track has more than ${this.limits.maxTrackVertices} vertices` +
          (simplifyMeters > 0 ? ` simplified at ${simplifyMeters} m` : ' unsimplified') +
          ': ask for a larger simplify or a shorter window',
      );
    }
    return trackFeature(assetId, window, rows, simplifyMeters, gapSeconds);
  }

  /**
   * Fix counts per H3 cell whose centre lies in `bbox`. At or below the finest resolution counted
   * at ingest: sums of the hourly counts (window widened to whole hours, said in the answer), the
   * bbox turned into resolution-3 cells for the index; finer: counted from the fixes (GiST on geom,
   * partitions pruned), at most `maxHeatmapFixes` of them.
   *
   * The hourly counts know neither regions nor their fixes' assets: a principal whose row filter
   * hides anything (region, clearance, teams) is always counted from the fixes it may see, over the
   * exact window, each fix in the cell the counts would put it in — so its counts never exceed an
   * unrestricted principal's. Past `maxHeatmapFixes` that is `heatmapTooManyFixes` (a smaller bbox
   * or a shorter window), never an unfiltered count.
   */
  async heatmap(
    scope: ReadScope,
    bbox: Bbox,
    window: { readonly from: string; readonly to: string },
    resolution: number,
  ): Promise<Heatmap> {
    const stored = this.storedAtOrFiner(resolution);
    const rollup = stored !== undefined && unfiltered(scope, READ);
    const counts = rollup
      ? await this.sumCells(scope.principal.tenantId, bbox, window, resolution, stored)
      : await this.countFixes(scope, bbox, window, resolution, stored);
    if (counts === null) {
      const why =
        stored === undefined
          ? `finer than the resolutions counted at ingest, ${this.cellResolutions.join(', ') || 'none'}`
          : "the hourly counts cannot be filtered by the principal's region, clearance or teams";
      throw new CodedError(
        this.limits.codes.heatmapTooManyFixes,
        `more than ${this.limits.maxHeatmapFixes} fixes to count at resolution ${resolution} (${why}): choose a ` +
          `${stored === undefined ? 'coarser resolution, a ' : ''}smaller bbox or a shorter window`,
      );
    }
    const cells = [...counts.cells].filter(([hex]) => centreIn(hex, bbox));
    if (cells.length > this.limits.maxHeatmapCells) {
      throw new CodedError(
        this.limits.codes.heatmapTooManyCells,
        `${cells.length} cells at resolution ${resolution} (at most ${this.limits.maxHeatmapCells}): ` +
          'choose a coarser resolution or a smaller bbox',
      );
    }
    cells.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return {
      items: cells.map(([hex, count]) => heatCell(hex, count)),
      resolution,
      source: rollup ? 'rollup' : 'fixes',
      from: counts.from,
      to: counts.to,
    };
  }

  /**
   * Fix counts per cell (centre in `bbox`) from the hourly counts kept at ingest, with each cell's
   * centre — for aggregated map layers; null when `resolution` is finer than every stored one.
   * The window is widened to whole hours (`from`, `to` say which). For a principal whose row filter
   * hides anything, counted from the fixes it may see over the exact window (see `heatmap`); null
   * when more than `maxHeatmapFixes` are there (the caller then reads the fixes, capped).
   */
  async cellCounts(
    scope: ReadScope,
    bbox: Bbox,
    window: { readonly from: string; readonly to: string },
    resolution: number,
  ): Promise<{ cells: { cell: string; lon: number; lat: number; count: number }[]; from: string; to: string } | null> {
    const stored = this.storedAtOrFiner(resolution);
    if (stored === undefined) return null;
    const counts = unfiltered(scope, READ)
      ? await this.sumCells(scope.principal.tenantId, bbox, window, resolution, stored)
      : await this.countFixes(scope, bbox, window, resolution, stored);
    if (counts === null) return null;
    const cells: { cell: string; lon: number; lat: number; count: number }[] = [];
    for (const [cell, count] of counts.cells) {
      const [lat, lon] = cellToLatLng(cell);
      if (inside(lon, lat, bbox)) cells.push({ cell, lon, lat, count });
    }
    return { cells, from: counts.from, to: counts.to };
  }

  /** The coarsest stored resolution at or finer than `resolution` (its counts roll up exactly to parents). */
  private storedAtOrFiner(resolution: number): number | undefined {
    return [...this.cellResolutions].sort((a, b) => a - b).find((r) => r >= resolution);
  }

  private async sumCells(
    tenantId: string,
    bbox: Bbox,
    window: { readonly from: string; readonly to: string },
    resolution: number,
    stored: number,
  ): Promise<{ cells: Map<string, number>; from: string; to: string }> {
    const from = Math.floor(Date.parse(window.from) / HOUR_MS) * HOUR_MS;
    const to = Math.ceil(Date.parse(window.to) / HOUR_MS) * HOUR_MS;
    const coarse = coarseCells(bbox, resolution);
    const { rows } = await this.pool.query<{ cell: string; fixes: number }>(
      `SELECT cell::text AS cell, sum(fixes)::int AS fixes FROM read.position_cells
       WHERE tenant_id = $1 AND resolution = $2 AND hour >= $3 AND hour < $4
         ${coarse ? 'AND coarse = ANY($5::bigint[])' : ''}
       GROUP BY cell`,
      [tenantId, stored, new Date(from).toISOString(), new Date(to).toISOString(), ...(coarse ? [coarse] : [])],
    );
    const cells = new Map<string, number>();
    for (const r of rows) {
      const hex = stored === resolution ? cellHex(r.cell) : parentHex(cellHex(r.cell), resolution);
      cells.set(hex, (cells.get(hex) ?? 0) + r.fixes);
    }
    return { cells, from: new Date(from).toISOString(), to: new Date(to).toISOString() };
  }

  /**
   * Counts per cell of the fixes the scope may see, at most `maxHeatmapFixes` of them (null past
   * that). Each fix goes where the hourly counts put it: the parent of its cell at the stored
   * resolution `stored`, or its own cell at `resolution` when none is stored at or finer.
   */
  private async countFixes(
    scope: ReadScope,
    bbox: Bbox,
    window: { readonly from: string; readonly to: string },
    resolution: number,
    stored: number | undefined,
  ): Promise<{ cells: Map<string, number>; from: string; to: string } | null> {
    const { columns, join } = assetAttributes(scope.principal, 'p', 'p.geom');
    const filter = rowFilter(scope, READ, columns, 9);
    // A cell whose centre is in the bbox may reach beyond it: read its fixes there too, so it is
    // counted whole, as the hourly counts count it.
    const { rows } = await this.pool.query<{ lon: number; lat: number }>(
      `SELECT ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat FROM read.positions p${join}
       WHERE p.tenant_id = $1 AND p.ts >= $2::timestamptz AND p.ts < $3::timestamptz
         AND p.geom && ST_MakeEnvelope($4, $5, $6, $7, 4326)${filter.sql}
       LIMIT $8`,
      [
        scope.principal.tenantId,
        window.from,
        window.to,
        ...widened(bbox, resolution),
        this.limits.maxHeatmapFixes + 1,
        ...filter.params,
      ],
    );
    if (rows.length > this.limits.maxHeatmapFixes) return null;
    const cells = new Map<string, number>();
    for (const r of rows) {
      const hex =
        stored === undefined || stored === resolution
          ? latLngToCell(r.lat, r.lon, resolution)
          : parentHex(latLngToCell(r.lat, r.lon, stored), resolution);
      cells.set(hex, (cells.get(hex) ?? 0) + 1);
    }
    return { cells, from: window.from, to: window.to };
  }
}

/** The resolution-3 cells a bbox overlaps (decimal), or null when there are too many to be worth it. */
function coarseCells(bbox: Bbox, resolution: number): string[] | null {
  const [minLon, minLat, maxLon, maxLat] = bbox;
  // A bbox wider than a hemisphere is not a polygon H3 reads the way the caller means it; cells
  // coarser than the coarse ones reach beyond their resolution-3 neighbours.
  if (maxLon - minLon >= 180 || resolution < COARSE_RESOLUTION) return null;
  // Estimated before listing: listing a continent's cells costs tens of milliseconds.
  const midLat = Math.cos((((minLat + maxLat) / 2) * Math.PI) / 180);
  const km2 = (maxLon - minLon) * 111.32 * midLat * (maxLat - minLat) * 110.57;
  if (km2 / COARSE_CELL_KM2 > MAX_COARSE_CELLS / 2) return null;
  const ring = [
    [minLon, minLat],
    [maxLon, minLat],
    [maxLon, maxLat],
    [minLon, maxLat],
    [minLon, minLat],
  ];
  const cells = polygonToCellsExperimental(
    [ring],
    COARSE_RESOLUTION,
    POLYGON_TO_CELLS_FLAGS.containmentOverlapping,
    true,
  );
  if (cells.length === 0 || cells.length > MAX_COARSE_CELLS) return null;
  // A cell's H3 parent does not always overlap everything its children cover: take the neighbours too.
  const near = new Set(cells.flatMap((hex) => gridDisk(hex, 1)));
  if (near.size > MAX_COARSE_CELLS) return null;
  return [...near].map((hex) => BigInt(`0x${hex}`).toString());
}

/** A bbox grown by about one cell of `resolution` on every side (clamped to the globe). */
function widened([minLon, minLat, maxLon, maxLat]: Bbox, resolution: number): Bbox {
  const km = 1.2 * getHexagonEdgeLengthAvg(resolution, UNITS.km);
  const dLat = km / 110.57;
  const cos = Math.max(0.01, Math.cos((Math.max(Math.abs(minLat), Math.abs(maxLat)) * Math.PI) / 180));
  const dLon = km / (111.32 * cos);
  return [
    Math.max(-180, minLon - dLon),
    Math.max(-90, minLat - dLat),
    Math.min(180, maxLon + dLon),
    Math.min(90, maxLat + dLat),
  ];
}

const inside = (lon: number, lat: number, [minLon, minLat, maxLon, maxLat]: Bbox): boolean =>
  lon >= minLon && lon <= maxLon && lat >= minLat && lat <= maxLat;

function centreIn(hex: string, bbox: Bbox): boolean {
  const [lat, lon] = cellToLatLng(hex);
  return inside(lon, lat, bbox);
}

const round6 = (v: number): number => Math.round(v * 1e6) / 1e6;

const heatCell = (hex: string, count: number): HeatCell => ({
  type: 'Feature',
  id: hex,
  // Six decimals (about 0.1 m) are exact enough for a cell's outline and halve the answer's size.
  geometry: {
    type: 'Polygon',
    coordinates: [(cellToBoundary(hex, true) as [number, number][]).map(([lon, lat]) => [round6(lon), round6(lat)])],
  },
  properties: { cell: hex, count },
});

/** The Feature of a track from its vertices (ordered by line, then time). Pure: exported for tests. */
export function trackFeature(
  assetId: string,
  window: { readonly from: string; readonly to: string },
  rows: readonly TrackRow[],
  simplifyMeters: number,
  gapSeconds: number,
): TrackFeature {
  const fromMicros = epochMicros(window.from);
  const lines: { coordinates: [number, number][]; times: string[] }[] = [];
  let current: { coordinates: [number, number][]; times: string[] } | undefined;
  let seg = -1;
  for (const r of rows) {
    if (r.seg !== seg || !current) {
      current = { coordinates: [], times: [] };
      lines.push(current);
      seg = r.seg;
    }
    current.coordinates.push([r.lon, r.lat]);
    current.times.push(isoMicros(fromMicros + Math.round(r.m)));
  }
  for (const line of lines) {
    if (line.coordinates.length === 1) {
      line.coordinates.push(line.coordinates[0]);
      line.times.push(line.times[0]);
    }
  }
  const properties = {
    from: window.from,
    to: window.to,
    fixes: rows.length > 0 ? rows[0].n : 0,
    vertices: lines.reduce((n, l) => n + l.coordinates.length, 0),
    simplifyMeters,
    gapSeconds,
  };
  if (lines.length === 0)
    return { type: 'Feature', id: assetId, geometry: null, properties: { ...properties, times: [] } };
  if (lines.length === 1) {
    return {
      type: 'Feature',
      id: assetId,
      geometry: { type: 'LineString', coordinates: lines[0].coordinates },
      properties: { ...properties, times: lines[0].times },
    };
  }
  return {
    type: 'Feature',
    id: assetId,
    geometry: { type: 'MultiLineString', coordinates: lines.map((l) => l.coordinates) },
    properties: { ...properties, times: lines.map((l) => l.times) },
  };
}
