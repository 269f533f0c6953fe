/**
 * The map every screen shares: MapLibre GL with a base layer made offline from world-atlas's
 * country outlines (Natural Earth 1:50m, bundled as a file of the build), Meridian's own vector
 * tiles on top. No glyphs are needed: nothing on the map is a text label (names are HTML).
 */
import * as maplibregl from 'maplibre-gl';
import type { Map as MapLibreMap, StyleSpecification } from 'maplibre-gl';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?worker&url';
import countriesUrl from 'world-atlas/countries-50m.json?url';

// MapLibre's worker is a module of its own: Vite bundles it (with the code it shares) as a chunk of
// this build, and MapLibre starts it from there rather than from beside its main module.
maplibregl.setWorkerUrl(workerUrl);

export const EMPTY: GeoJSON.FeatureCollection = { type: 'FeatureCollection', features: [] };

const style: StyleSpecification = {
  version: 8,
  sources: { countries: { type: 'geojson', data: EMPTY } },
  layers: [
    { id: 'sea', type: 'background', paint: { 'background-color': '#d7e4ee' } },
    { id: 'countries-fill', type: 'fill', source: 'countries', paint: { 'fill-color': '#f4f2ec' } },
    {
      id: 'countries-line',
      type: 'line',
      source: 'countries',
      paint: { 'line-color': '#a9a59b', 'line-width': ['interpolate', ['linear'], ['zoom'], 1, 0.4, 8, 1.2] },
    },
  ],
};

export interface MapOptions {
  readonly container: HTMLElement;
  /** The API's base URL: requests to it carry the session's token (headers, never the URL). */
  readonly api: string;
  readonly token: () => string | null;
}

export function createMap(options: MapOptions): MapLibreMap {
  const map = new maplibregl.Map({
    container: options.container,
    style,
    center: [10, 50],
    zoom: 4,
    attributionControl: { compact: true, customAttribution: 'Natural Earth (world-atlas)' },
    // Only the API's own requests get the token.
    transformRequest: (url: string) => {
      if (!url.startsWith(`${options.api}/v1/`)) return { url };
      const token = options.token();
      return token ? { url, headers: { Authorization: `Bearer ${token}` } } : { url };
    },
  });
  map.addControl(new maplibregl.NavigationControl({ visualizePitch: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
  void loadCountries(map);
  return map;
}

async function loadCountries(map: MapLibreMap): Promise<void> {
  const response = await fetch(countriesUrl);
  const topology = (await response.json()) as Topology<{ countries: GeometryCollection }>;
  const countries = feature(topology, topology.objects.countries);
  const apply = () => (map.getSource('countries') as maplibregl.GeoJSONSource | undefined)?.setData(countries);
  if (map.isStyleLoaded()) apply();
  else map.once('load', apply);
}

/** Resolves once the style is loaded (sources and layers can be added). */
export const mapReady = (map: MapLibreMap): Promise<void> =>
  new Promise((resolve) => (map.isStyleLoaded() ? resolve() : map.once('load', () => resolve())));

/** The visible area as `minLon,minLat,maxLon,maxLat`, clamped to the world. */
export function bboxOf(map: MapLibreMap): string {
  const b = map.getBounds();
  const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
  return [
    clamp(b.getWest(), -180, 180),
    clamp(b.getSouth(), -90, 90),
    clamp(b.getEast(), -180, 180),
    clamp(b.getNorth(), -90, 90),
  ]
    .map((v) => v.toFixed(6))
    .join(',');
}
