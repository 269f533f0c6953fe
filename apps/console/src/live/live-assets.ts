/**
 * Assets on the map, from two sources:
 *  - Meridian's vector tiles (`/v1/tiles/assets/…`, source layer `assets`): every asset the user may
 *    see where the map looks, as it was when the tile loaded;
 *  - the live stream: an asset that reports a position moves to a GeoJSON source (`live-assets`)
 *    and its tile copy is hidden through feature state, so it is drawn once, where it is now.
 * Updates are batched: at most one diff per animation frame reaches MapLibre (`updateData`), so a
 * burst of thousands of positions costs one worker round trip.
 */
import type {
  AddLayerObject,
  ExpressionSpecification,
  GeoJSONFeature,
  GeoJSONSource,
  Map as MapLibreMap,
} from 'maplibre-gl';
import type { Api } from '../api/client';
import type { AssetFeature, AssetKind, AssetProperties, PositionEvent } from '../api/types';
import { EMPTY } from '../map/base-map';

export const ASSET_TILES = 'asset-tiles';
export const LIVE_ASSETS = 'live-assets';
export const ASSET_LAYERS = ['asset-tiles-dot', 'asset-tiles-icon', 'live-assets-dot', 'live-assets-icon'];

export const STATUS_COLOURS: Readonly<Record<string, string>> = {
  available: '#1a7f37',
  assigned: '#0a5bd3',
  maintenance: '#bf6a02',
  registered: '#6e7781',
  retired: '#8c959f',
};
export const KINDS: readonly AssetKind[] = ['drone', 'vehicle', 'sensor', 'crew'];

type LiveFeature = GeoJSON.Feature<GeoJSON.Point, AssetProperties & { id: string }>;

interface LiveAsset {
  readonly id: string;
  properties: AssetProperties;
  lon: number;
  lat: number;
}

export interface LiveAssetsStats {
  /** Assets drawn from the live source. */
  readonly live: number;
  /** Positions applied since the start. */
  readonly positions: number;
}

export class LiveAssets {
  private readonly live = new Map<string, LiveAsset>();
  private readonly pending = new Map<string, PositionEvent>();
  private readonly details = new Map<string, Promise<AssetProperties | null>>();
  private frame = 0;
  private applied = 0;
  private readonly listeners = new Set<(id: string) => void>();

  constructor(
    private readonly map: MapLibreMap,
    private readonly api: Api,
  ) {}

  /** Adds the sources and layers; call once the style is loaded. */
  install(): void {
    const map = this.map;
    map.addSource(ASSET_TILES, {
      type: 'vector',
      tiles: [`${this.api.base}/v1/tiles/assets/{z}/{x}/{y}.mvt`],
      minzoom: 0,
      maxzoom: 16,
      promoteId: { assets: 'id' },
    });
    // Asset ids are UUIDs: MapLibre keeps string ids only as a promoted property (for updateData,
    // feature state and clicks alike).
    map.addSource(LIVE_ASSETS, { type: 'geojson', data: EMPTY, promoteId: 'id' });
    for (const image of KINDS) map.addImage(`kind-${image}`, kindIcon(image), { pixelRatio: 2 });
    const dot = (radius: number) => ({
      'circle-radius': ['interpolate', ['linear'], ['zoom'], 2, radius * 0.55, 10, radius],
      'circle-color': ['match', ['get', 'status'], ...statusMatch(), '#57606a'],
      'circle-stroke-color': '#ffffff',
      'circle-stroke-width': 1.5,
    });
    const hiddenWhenLive: ExpressionSpecification = ['case', ['boolean', ['feature-state', 'live'], false], 0, 1];
    map.addLayer({
      id: 'asset-tiles-dot',
      type: 'circle',
      source: ASSET_TILES,
      'source-layer': 'assets',
      paint: { ...dot(9), 'circle-opacity': hiddenWhenLive, 'circle-stroke-opacity': hiddenWhenLive },
    } as AddLayerObject);
    map.addLayer({
      id: 'asset-tiles-icon',
      type: 'symbol',
      source: ASSET_TILES,
      'source-layer': 'assets',
      minzoom: 6,
      layout: { 'icon-image': ['concat', 'kind-', ['get', 'kind']], 'icon-allow-overlap': true },
      paint: { 'icon-opacity': hiddenWhenLive },
    } as AddLayerObject);
    map.addLayer({ id: 'live-assets-dot', type: 'circle', source: LIVE_ASSETS, paint: dot(9) } as AddLayerObject);
    map.addLayer({
      id: 'live-assets-icon',
      type: 'symbol',
      source: LIVE_ASSETS,
      minzoom: 6,
      layout: { 'icon-image': ['concat', 'kind-', ['get', 'kind']], 'icon-allow-overlap': true },
    });
  }

  /** Called when an asset moved (after the map has it). */
  onMove(listener: (id: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A position from the live stream: queued, drawn with the next frame. */
  position(event: PositionEvent): void {
    this.pending.set(event.assetId, event);
    if (!this.frame) this.frame = requestAnimationFrame(() => void this.flush());
  }

  stats(): LiveAssetsStats {
    return { live: this.live.size, positions: this.applied };
  }

  /** Where an asset is now, when the map knows it live. */
  where(id: string): { lon: number; lat: number; properties: AssetProperties } | undefined {
    const asset = this.live.get(id);
    return asset && { lon: asset.lon, lat: asset.lat, properties: asset.properties };
  }

  /** Forgets everything live (after a sign-out or a tenant change). */
  clear(): void {
    this.live.clear();
    this.pending.clear();
    this.details.clear();
    (this.map.getSource(LIVE_ASSETS) as GeoJSONSource | undefined)?.setData(EMPTY);
    this.map.removeFeatureState({ source: ASSET_TILES, sourceLayer: 'assets' });
  }

  private async flush(): Promise<void> {
    this.frame = 0;
    const batch = [...this.pending.values()];
    this.pending.clear();
    const source = this.map.getSource(LIVE_ASSETS) as GeoJSONSource | undefined;
    if (!source || batch.length === 0) return;
    const add: LiveFeature[] = [];
    const update: {
      id: string;
      newGeometry: GeoJSON.Point;
      addOrUpdateProperties: { key: string; value: unknown }[];
    }[] = [];
    const unknown: PositionEvent[] = [];
    let tiles: Map<string, AssetProperties> | undefined;
    for (const event of batch) {
      const asset = this.live.get(event.assetId);
      if (asset) {
        asset.lon = event.lon;
        asset.lat = event.lat;
        update.push({
          id: event.assetId,
          newGeometry: { type: 'Point', coordinates: [event.lon, event.lat] },
          addOrUpdateProperties: [{ key: 'lastSeen', value: event.ts }],
        });
        continue;
      }
      tiles ??= this.tileIndex();
      const properties = tiles.get(event.assetId);
      if (properties) add.push(this.adopt(event, properties));
      else unknown.push(event);
    }
    this.applied += add.length + update.length;
    if (add.length || update.length) await source.updateData({ add, update });
    for (const id of [...add.map((f) => f.properties.id), ...update.map((u) => u.id)]) this.emit(id);
    // Assets the loaded tiles do not show (outside the view, new): their name, kind and status once.
    for (const event of unknown) void this.adoptLater(event);
  }

  private adopt(event: PositionEvent, properties: AssetProperties): LiveFeature {
    this.live.set(event.assetId, { id: event.assetId, properties, lon: event.lon, lat: event.lat });
    this.map.setFeatureState({ source: ASSET_TILES, sourceLayer: 'assets', id: event.assetId }, { live: true });
    return {
      type: 'Feature',
      id: event.assetId,
      geometry: { type: 'Point', coordinates: [event.lon, event.lat] },
      properties: { ...properties, id: event.assetId, lastSeen: event.ts },
    };
  }

  private async adoptLater(event: PositionEvent): Promise<void> {
    let request = this.details.get(event.assetId);
    if (!request) {
      request = this.api
        .get<AssetFeature>(`/v1/assets/${encodeURIComponent(event.assetId)}`)
        .then((f) => f.properties)
        .catch(() => null);
      this.details.set(event.assetId, request);
    }
    const properties = await request;
    if (!properties) return; // not visible to this user (or gone): never drawn
    if (this.live.has(event.assetId)) return; // adopted meanwhile: its updates go the usual way
    // A newer position may have arrived meanwhile: it wins.
    const latest = this.pending.get(event.assetId) ?? event;
    this.pending.delete(event.assetId);
    const source = this.map.getSource(LIVE_ASSETS) as GeoJSONSource | undefined;
    await source?.updateData({ add: [this.adopt(latest, properties)] });
    this.applied += 1;
    this.emit(event.assetId);
  }

  /**
   * The loaded tiles' assets by id, read once per flush: one unfiltered query instead of a filtered
   * one per newly live asset (which decoded every tile feature per asset: a 49 s frame at 10k assets
   * in `npm run bench -- console`).
   */
  private tileIndex(): Map<string, AssetProperties> {
    const index = new Map<string, AssetProperties>();
    for (const feature of this.map.querySourceFeatures(ASSET_TILES, { sourceLayer: 'assets' })) {
      const p = (feature as GeoJSONFeature).properties as Record<string, unknown>;
      const id = p['id'];
      if (typeof id !== 'string' || index.has(id)) continue;
      index.set(id, {
        name: String(p['name'] ?? ''),
        kind: String(p['kind'] ?? 'sensor') as AssetKind,
        status: String(p['status'] ?? 'registered'),
        lastSeen: typeof p['ts'] === 'number' ? new Date(p['ts']).toISOString() : null,
      });
    }
    return index;
  }

  private emit(id: string): void {
    for (const listener of this.listeners) listener(id);
  }
}

function statusMatch(): string[] {
  return Object.entries(STATUS_COLOURS).flat();
}

/** A white pictogram per kind, drawn on a canvas (no sprite server): drone ✕, vehicle ▶, sensor ◆, crew ●. */
function kindIcon(kind: AssetKind): ImageData {
  const size = 24;
  const canvas = document.createElement('canvas');
  canvas.width = size;
  canvas.height = size;
  const g = canvas.getContext('2d');
  if (!g) return new ImageData(size, size);
  g.fillStyle = '#ffffff';
  g.strokeStyle = '#ffffff';
  g.lineWidth = 3;
  g.beginPath();
  if (kind === 'drone') {
    g.moveTo(6, 6);
    g.lineTo(18, 18);
    g.moveTo(18, 6);
    g.lineTo(6, 18);
    g.stroke();
  } else if (kind === 'vehicle') {
    g.moveTo(7, 5);
    g.lineTo(19, 12);
    g.lineTo(7, 19);
    g.closePath();
    g.fill();
  } else if (kind === 'sensor') {
    g.moveTo(12, 4);
    g.lineTo(20, 12);
    g.lineTo(12, 20);
    g.lineTo(4, 12);
    g.closePath();
    g.fill();
  } else {
    g.arc(12, 12, 6, 0, Math.PI * 2);
    g.fill();
  }
  return g.getImageData(0, 0, size, size);
}
