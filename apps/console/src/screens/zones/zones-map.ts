/**
 * The zones on the shared map while the zones screen is open: one GeoJSON source (`zones`), a fill
 * and an outline per kind colour, and a thicker outline for the selected zone. Added on mount,
 * removed on unmount; under the assets, so they stay clickable.
 */
import type {
  ExpressionSpecification,
  FilterSpecification,
  GeoJSONSource,
  Map as MapLibreMap,
  MapLayerMouseEvent,
} from 'maplibre-gl';
import { useEffect, useRef } from 'preact/hooks';
import type { ZoneFeature } from '../../api/types';
import { EMPTY } from '../../map/base-map';
import { boundsOf, KIND_COLOURS } from './zone-api';

const SOURCE = 'zones';
const FILL = 'zones-fill';
const LINE = 'zones-line';
const SELECTED = 'zones-selected-line';
const LAYERS = [FILL, LINE, SELECTED];
/** The first asset layer: zones go below it. */
const BELOW = 'asset-tiles-dot';

const kindColour: ExpressionSpecification = [
  'match',
  ['get', 'kind'],
  'geofence',
  KIND_COLOURS.geofence,
  'restricted',
  KIND_COLOURS.restricted,
  'area_of_interest',
  KIND_COLOURS.area_of_interest,
  'mission_area',
  KIND_COLOURS.mission_area,
  '#57606a',
];

const NOTHING: FilterSpecification = ['==', ['get', 'zoneId'], ''];
export interface ZonesLayerOptions {
  readonly zones: readonly ZoneFeature[];
  readonly selected: string | undefined;
  /** A zone not drawn (being edited: Terra Draw draws it meanwhile). */
  readonly hidden: string | undefined;
  /** Clicking a zone; not called while `clickable` is false (drawing). */
  readonly onClick: (id: string) => void;
  readonly clickable: boolean;
}

export function useZonesLayer(map: MapLibreMap, options: ZonesLayerOptions): void {
  const { zones, selected, hidden, onClick, clickable } = options;
  const click = useRef({ onClick, clickable });
  click.current = { onClick, clickable };

  useEffect(() => {
    map.addSource(SOURCE, { type: 'geojson', data: EMPTY });
    const before = map.getLayer(BELOW) ? BELOW : undefined;
    map.addLayer(
      {
        id: FILL,
        type: 'fill',
        source: SOURCE,
        paint: {
          'fill-color': kindColour,
          'fill-opacity': 0.15,
        },
      },
      before,
    );
    map.addLayer(
      { id: LINE, type: 'line', source: SOURCE, paint: { 'line-color': kindColour, 'line-width': 1.5 } },
      before,
    );
    map.addLayer(
      {
        id: SELECTED,
        type: 'line',
        source: SOURCE,
        filter: NOTHING,
        paint: { 'line-color': '#1f2328', 'line-width': 3.5, 'line-dasharray': [2, 1] },
      },
      before,
    );
    const onFeature = (e: MapLayerMouseEvent) => {
      const id = e.features?.[0]?.properties?.['zoneId'];
      if (typeof id === 'string' && click.current.clickable) click.current.onClick(id);
    };
    const enter = () => {
      if (click.current.clickable) map.getCanvas().style.cursor = 'pointer';
    };
    const leave = () => (map.getCanvas().style.cursor = '');
    map.on('click', FILL, onFeature);
    map.on('mouseenter', FILL, enter);
    map.on('mouseleave', FILL, leave);
    return () => {
      map.off('click', FILL, onFeature);
      map.off('mouseenter', FILL, enter);
      map.off('mouseleave', FILL, leave);
      map.getCanvas().style.cursor = '';
      for (const layer of LAYERS) if (map.getLayer(layer)) map.removeLayer(layer);
      if (map.getSource(SOURCE)) map.removeSource(SOURCE);
    };
  }, [map]);

  useEffect(() => {
    const features = zones
      .filter((z) => z.id !== hidden)
      .map((z) => ({
        type: 'Feature' as const,
        geometry: z.geometry,
        properties: { zoneId: z.id, kind: z.properties.kind },
      }));
    (map.getSource(SOURCE) as GeoJSONSource | undefined)?.setData({ type: 'FeatureCollection', features });
  }, [map, zones, hidden]);

  useEffect(() => {
    if (!map.getLayer(SELECTED)) return;
    const id = selected ?? '';
    map.setFilter(SELECTED, ['==', ['get', 'zoneId'], id]);
    map.setPaintProperty(FILL, 'fill-opacity', ['case', ['==', ['get', 'zoneId'], id], 0.35, 0.15]);
  }, [map, selected]);
}

/** Moves the map to show a zone whole. */
export function fitZone(map: MapLibreMap, zone: ZoneFeature): void {
  const bounds = boundsOf(zone.geometry);
  if (!bounds) return;
  const reduced = window.matchMedia?.('(prefers-reduced-motion: reduce)').matches ?? false;
  map.fitBounds(bounds, { padding: 48, maxZoom: 15, animate: !reduced, duration: 600 });
}
