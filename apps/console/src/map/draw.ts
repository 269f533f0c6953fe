/**
 * Drawing and editing one polygon on the shared map with Terra Draw (its MapLibre adapter): zones
 * and mission areas. Geometry is not validated here: the API judges it and its problem `detail`
 * is shown where the polygon was drawn, so the console and every other client get the same rules.
 */
import type { Map as MapLibreMap } from 'maplibre-gl';
import { TerraDraw, TerraDrawPolygonMode, TerraDrawSelectMode } from 'terra-draw';
import { TerraDrawMapLibreGLAdapter } from 'terra-draw-maplibre-gl-adapter';

export type Polygon = GeoJSON.Polygon;

export interface PolygonDrawing {
  /** Click to add corners, click the first corner (or double-click) to close the ring. */
  draw(): void;
  /** Shows `polygon` with draggable corners (and midpoints that add corners). */
  edit(polygon: Polygon): void;
  /** The polygon drawn or edited so far, if any. */
  polygon(): Polygon | null;
  /** Called whenever the polygon is finished or changed. */
  onChange(listener: (polygon: Polygon | null) => void): () => void;
  clear(): void;
  /** Removes Terra Draw's layers from the map. */
  stop(): void;
}

const STYLE = {
  fillColor: '#0a5bd3',
  outlineColor: '#0a5bd3',
  fillOpacity: 0.2,
  outlineWidth: 2,
  closingPointColor: '#ffffff',
  closingPointOutlineColor: '#0a5bd3',
} as const;

export function polygonDrawing(map: MapLibreMap): PolygonDrawing {
  const draw = new TerraDraw({
    adapter: new TerraDrawMapLibreGLAdapter({ map, prefixId: 'meridian-draw' }),
    modes: [
      new TerraDrawPolygonMode({ styles: STYLE }),
      new TerraDrawSelectMode({
        flags: {
          polygon: {
            feature: {
              draggable: true,
              coordinates: { midpoints: true, draggable: true, deletable: true },
            },
          },
        },
      }),
    ],
  });
  draw.start();
  const listeners = new Set<(polygon: Polygon | null) => void>();
  const current = (): Polygon | null => {
    const feature = draw.getSnapshot().find((f) => f.geometry.type === 'Polygon');
    return feature ? (feature.geometry as Polygon) : null;
  };
  const emit = () => {
    const polygon = current();
    for (const listener of listeners) listener(polygon);
  };
  draw.on('finish', (_id, context) => {
    // A finished ring (drawn, or a corner dragged in select mode): one polygon at a time.
    if (context.mode === 'polygon') {
      const finished = draw.getSnapshot().filter((f) => f.geometry.type === 'Polygon');
      const last = finished[finished.length - 1];
      if (last && finished.length > 1) draw.removeFeatures(finished.slice(0, -1).map((f) => f.id as string));
      if (last) {
        draw.setMode('select');
        draw.selectFeature(last.id as string);
      }
    }
    emit();
  });

  return {
    draw() {
      draw.clear();
      draw.setMode('polygon');
      emit();
    },
    edit(polygon) {
      draw.clear();
      draw.setMode('select');
      // Terra Draw refuses positions more precise than its coordinate precision (9 decimals): round them.
      const round = (v: number) => Math.round(v * 1e9) / 1e9;
      const geometry: Polygon = {
        type: 'Polygon',
        coordinates: polygon.coordinates.map((r) => r.map((p) => p.map(round))),
      };
      const [result] = draw.addFeatures([{ type: 'Feature', geometry, properties: { mode: 'polygon' } }]);
      if (result?.valid && result.id !== undefined) draw.selectFeature(result.id);
      emit();
    },
    polygon: current,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    clear() {
      draw.clear();
      emit();
    },
    stop() {
      listeners.clear();
      draw.stop();
    },
  };
}
