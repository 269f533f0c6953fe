/**
 * Mission areas on the shared map: a GeoJSON source and two layers per view (`missions-<view>-…`),
 * added when the view mounts and removed when it goes; the data follows the view's missions.
 */
import type { ExpressionSpecification, GeoJSONSource, Map as MapLibreMap, MapLayerMouseEvent } from 'maplibre-gl';
import { useEffect } from 'preact/hooks';
import { EMPTY } from '../../map/base-map';

export interface AreaOnMap {
  readonly id: string;
  readonly title: string;
  readonly area: GeoJSON.Polygon;
  readonly late: boolean;
  readonly done: boolean;
}

/** Asset layers stay on top of mission areas (the first of them, when the shell has added it). */
const BELOW = 'asset-tiles-dot';

const collection = (areas: readonly AreaOnMap[]): GeoJSON.FeatureCollection => ({
  type: 'FeatureCollection',
  features: areas.map((a) => ({
    type: 'Feature',
    id: a.id,
    geometry: a.area,
    properties: { id: a.id, title: a.title, late: a.late, done: a.done },
  })),
});

const COLOUR: ExpressionSpecification = ['case', ['get', 'late'], '#a40e26', ['get', 'done'], '#6e7781', '#0a5bd3'];

/**
 * Shows `areas` on the map while the calling component is mounted; `onClick` (optional) gets the
 * id of a clicked area.
 */
export function useMissionAreas(
  map: MapLibreMap,
  view: string,
  areas: readonly AreaOnMap[],
  onClick?: (id: string) => void,
): void {
  const source = `missions-${view}`;
  const fill = `missions-${view}-fill`;
  const line = `missions-${view}-line`;

  useEffect(() => {
    const before = map.getLayer(BELOW) ? BELOW : undefined;
    map.addSource(source, { type: 'geojson', data: EMPTY });
    map.addLayer(
      {
        id: fill,
        type: 'fill',
        source,
        paint: { 'fill-color': COLOUR, 'fill-opacity': ['case', ['get', 'done'], 0.08, 0.18] },
      },
      before,
    );
    map.addLayer(
      {
        id: line,
        type: 'line',
        source,
        paint: { 'line-color': COLOUR, 'line-width': ['case', ['get', 'late'], 3, 2] },
      },
      before,
    );
    return () => {
      if (map.getLayer(line)) map.removeLayer(line);
      if (map.getLayer(fill)) map.removeLayer(fill);
      if (map.getSource(source)) map.removeSource(source);
    };
  }, [map, source, fill, line]);

  useEffect(() => {
    (map.getSource(source) as GeoJSONSource | undefined)?.setData(collection(areas));
  }, [map, source, areas]);

  useEffect(() => {
    if (!onClick) return;
    const click = (e: MapLayerMouseEvent) => {
      const id = e.features?.[0]?.properties?.['id'];
      if (typeof id === 'string') onClick(id);
    };
    const enter = () => (map.getCanvas().style.cursor = 'pointer');
    const leave = () => (map.getCanvas().style.cursor = '');
    map.on('click', fill, click);
    map.on('mouseenter', fill, enter);
    map.on('mouseleave', fill, leave);
    return () => {
      map.off('click', fill, click);
      map.off('mouseenter', fill, enter);
      map.off('mouseleave', fill, leave);
      map.getCanvas().style.cursor = '';
    };
  }, [map, fill, onClick]);
}
