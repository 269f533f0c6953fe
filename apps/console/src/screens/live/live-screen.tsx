/**
 * Live map: assets move as telemetry arrives (LiveAssets, drawn by the shell); here: search by
 * name, an asset's details with its last fix and visits, and a heatmap over a chosen window.
 */
import type { GeoJSONSource, MapLayerMouseEvent } from 'maplibre-gl';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { AssetFeature, AssetPage, HeatmapCollection, VisitPage, ZoneFeature } from '../../api/types';
import { useConsole } from '../../app/context';
import { go, type Route } from '../../app/route';
import { ASSET_LAYERS, STATUS_COLOURS } from '../../live/live-assets';
import { bboxOf, EMPTY } from '../../map/base-map';
import { ago, Empty, ErrorMessage, formatTime, Loading } from '../../ui/common';

/** Assets known for the name search, reloaded when older than this. */
const DIRECTORY_TTL_MS = 30_000;
const DIRECTORY_MAX = 50_000;
const MATCHES_SHOWN = 50;

export function LiveScreen({ route }: { route: Route }) {
  const { map } = useConsole();
  const selected = route.rest[0];

  // Clicking an asset on the map selects it.
  useEffect(() => {
    const click = (e: MapLayerMouseEvent) => {
      const id = e.features?.[0]?.properties?.['id'] ?? e.features?.[0]?.id;
      if (id !== undefined) go('live', String(id));
    };
    const enter = () => (map.getCanvas().style.cursor = 'pointer');
    const leave = () => (map.getCanvas().style.cursor = '');
    for (const layer of ASSET_LAYERS) {
      map.on('click', layer, click);
      map.on('mouseenter', layer, enter);
      map.on('mouseleave', layer, leave);
    }
    return () => {
      for (const layer of ASSET_LAYERS) {
        map.off('click', layer, click);
        map.off('mouseenter', layer, enter);
        map.off('mouseleave', layer, leave);
      }
    };
  }, [map]);

  return (
    <div class="screen live">
      <h2>Live map</h2>
      <Search />
      {selected ? <AssetDetails id={selected} /> : <Legend />}
      <Heatmap />
    </div>
  );
}

function Legend() {
  return (
    <section aria-label="Legend" class="legend">
      <p class="hint">Select an asset on the map, or search for it by name.</p>
      <ul>
        {Object.entries(STATUS_COLOURS).map(([status, colour]) => (
          <li key={status}>
            <span class="swatch" style={{ background: colour }} aria-hidden="true" /> {status}
          </li>
        ))}
      </ul>
      <p class="hint">Pictograms: ✕ drone · ▶ vehicle · ◆ sensor · ● crew.</p>
    </section>
  );
}

/** Name search over every asset the user may see (the list API, paged; kept for half a minute). */
function Search() {
  const { api, map } = useConsole();
  const [text, setText] = useState('');
  const [directory, setDirectory] = useState<{ assets: AssetFeature[]; at: number } | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const loading = useRef(false);

  useEffect(() => {
    if (!text.trim() || loading.current) return;
    if (directory && Date.now() - directory.at < DIRECTORY_TTL_MS) return;
    loading.current = true;
    setProgress(0);
    setError(null);
    api
      .all<AssetFeature, AssetPage>('/v1/assets', { limit: 1000 }, (p) => p.features, {
        max: DIRECTORY_MAX,
        onPage: setProgress,
      })
      .then((assets) => setDirectory({ assets, at: Date.now() }), setError)
      .finally(() => {
        loading.current = false;
        setProgress(null);
      });
  }, [api, text, directory]);

  const needle = text.trim().toLowerCase();
  const matches =
    needle && directory ? directory.assets.filter((a) => a.properties.name.toLowerCase().includes(needle)) : [];

  return (
    <section class="search" aria-label="Search assets">
      <label for="asset-search">Find an asset by name</label>
      <input
        id="asset-search"
        type="search"
        placeholder="e.g. Truck 12"
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
        autocomplete="off"
      />
      {progress !== null && <Loading what={`assets (${progress.toLocaleString()} so far)`} />}
      <ErrorMessage error={error} />
      {needle && directory && matches.length === 0 && <Empty>No asset is named like “{text.trim()}”.</Empty>}
      {matches.length > 0 && (
        <ul class="results" aria-label="Matching assets">
          {matches.slice(0, MATCHES_SHOWN).map((a) => (
            <li key={a.id}>
              <button
                type="button"
                class="link"
                onClick={() => {
                  if (a.geometry) map.flyTo({ center: a.geometry.coordinates as [number, number], zoom: 13 });
                  go('live', a.id);
                }}
              >
                {a.properties.name}
              </button>{' '}
              <small>
                {a.properties.kind} · {a.properties.status}
                {a.geometry ? '' : ' · no position yet'}
              </small>
            </li>
          ))}
          {matches.length > MATCHES_SHOWN && (
            <li class="hint">{matches.length - MATCHES_SHOWN} more: type more of the name to narrow the list.</li>
          )}
        </ul>
      )}
    </section>
  );
}

function AssetDetails({ id }: { id: string }) {
  const { api, assets } = useConsole();
  const [asset, setAsset] = useState<AssetFeature | null>(null);
  const [visits, setVisits] = useState<{ zone: string; enteredAt: string; exitedAt: string | null }[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [, setTick] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    setAsset(null);
    setVisits(null);
    setError(null);
    const from = new Date(Date.now() - 24 * 3_600_000).toISOString();
    api.get<AssetFeature>(`/v1/assets/${encodeURIComponent(id)}`, {}, controller.signal).then(setAsset, setError);
    api
      .get<VisitPage>(`/v1/assets/${encodeURIComponent(id)}/visits`, { from, limit: 20 }, controller.signal)
      .then(async (page) => {
        const names = new Map<string, string>();
        for (const zoneId of new Set(page.visits.map((v) => v.zoneId))) {
          const zone = await api.get<ZoneFeature>(`/v1/zones/${zoneId}`).catch(() => null);
          names.set(zoneId, zone?.properties.name ?? 'a zone you cannot see');
        }
        setVisits(page.visits.map((v) => ({ zone: names.get(v.zoneId) ?? v.zoneId, ...v })));
      })
      .catch((err: unknown) => !controller.signal.aborted && setError(err));
    return () => controller.abort();
  }, [api, id]);

  // The last fix follows the live stream.
  useEffect(() => assets.onMove((moved) => moved === id && setTick((t) => t + 1)), [assets, id]);

  const live = assets.where(id);
  const coords = live ? [live.lon, live.lat] : asset?.geometry?.coordinates;
  const lastSeen = live ? (live.properties.lastSeen ?? asset?.properties.lastSeen) : asset?.properties.lastSeen;

  return (
    <section class="details" aria-label="Asset details" data-testid="asset-details">
      <button type="button" class="link back" onClick={() => go('live')}>
        ← All assets
      </button>
      <ErrorMessage error={error} />
      {!asset && !error && <Loading what="the asset" />}
      {asset && (
        <>
          <h3>{asset.properties.name}</h3>
          <dl>
            <dt>Kind</dt>
            <dd>{asset.properties.kind}</dd>
            <dt>Status</dt>
            <dd>{asset.properties.status}</dd>
            <dt>Last fix</dt>
            <dd data-testid="last-fix">
              {coords ? `${coords[1]?.toFixed(5)}, ${coords[0]?.toFixed(5)}` : 'no position yet'}
              {lastSeen && (
                <>
                  {' '}
                  <small title={formatTime(lastSeen)}>({ago(lastSeen)})</small>
                </>
              )}
            </dd>
            {asset.properties.speed != null && (
              <>
                <dt>Speed</dt>
                <dd>{asset.properties.speed.toFixed(1)} m/s</dd>
              </>
            )}
            {asset.properties.team && (
              <>
                <dt>Team</dt>
                <dd>{asset.properties.team}</dd>
              </>
            )}
          </dl>
          <a href={`#/playback/${id}`}>Play back its track</a>
        </>
      )}
      <h4>Visits (last 24 hours)</h4>
      {visits === null && !error && <Loading what="visits" />}
      {visits && visits.length === 0 && <Empty>No zone visited in the last 24 hours.</Empty>}
      {visits && visits.length > 0 && (
        <ul class="visits">
          {visits.map((v) => (
            <li key={`${v.zone}-${v.enteredAt}`}>
              <strong>{v.zone}</strong>: {formatTime(v.enteredAt)} →{' '}
              {v.exitedAt ? formatTime(v.exitedAt) : 'still inside'}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

const HEAT_WINDOWS = [
  { label: 'Last hour', ms: 3_600_000 },
  { label: 'Last 6 hours', ms: 6 * 3_600_000 },
  { label: 'Last 24 hours', ms: 24 * 3_600_000 },
  { label: 'Last 7 days', ms: 7 * 24 * 3_600_000 },
] as const;

/** Fix counts per H3 cell (GET /v1/heatmap) in the visible area, over a chosen window. */
function Heatmap() {
  const { api, map } = useConsole();
  const [on, setOn] = useState(false);
  const [windowMs, setWindowMs] = useState<number>(HEAT_WINDOWS[0].ms);
  const [state, setState] = useState<{ loading: boolean; cells?: number; error?: unknown }>({ loading: false });

  useEffect(() => {
    if (!on) return;
    map.addSource('heatmap', { type: 'geojson', data: EMPTY });
    map.addLayer(
      {
        id: 'heatmap-cells',
        type: 'fill',
        source: 'heatmap',
        paint: {
          'fill-color': ['interpolate', ['linear'], ['get', 'weight'], 0, '#fde68a', 0.5, '#f97316', 1, '#b91c1c'],
          'fill-opacity': 0.55,
        },
      },
      'asset-tiles-dot',
    );
    let controller = new AbortController();
    const load = () => {
      controller.abort();
      controller = new AbortController();
      const signal = controller.signal;
      setState({ loading: true });
      const to = new Date();
      const from = new Date(to.getTime() - windowMs);
      api
        .get<HeatmapCollection>(
          '/v1/heatmap',
          { bbox: bboxOf(map), from: from.toISOString(), to: to.toISOString() },
          signal,
        )
        .then((cells) => {
          const max = Math.max(1, ...cells.features.map((f) => f.properties.count));
          for (const f of cells.features) Object.assign(f.properties, { weight: f.properties.count / max });
          (map.getSource('heatmap') as GeoJSONSource | undefined)?.setData(cells);
          setState({ loading: false, cells: cells.features.length });
        })
        .catch((error: unknown) => !signal.aborted && setState({ loading: false, error }));
    };
    load();
    map.on('moveend', load);
    return () => {
      controller.abort();
      map.off('moveend', load);
      map.removeLayer('heatmap-cells');
      map.removeSource('heatmap');
    };
  }, [api, map, on, windowMs]);

  return (
    <section class="heatmap" aria-label="Heatmap">
      <label class="check">
        <input type="checkbox" checked={on} onChange={(e) => setOn(e.currentTarget.checked)} /> Heatmap of fixes
      </label>
      <label for="heat-window">Window</label>
      <select id="heat-window" value={windowMs} onChange={(e) => setWindowMs(Number(e.currentTarget.value))}>
        {HEAT_WINDOWS.map((w) => (
          <option key={w.ms} value={w.ms}>
            {w.label}
          </option>
        ))}
      </select>
      {on && state.loading && <Loading what="the heatmap" />}
      {on && !state.loading && state.cells === 0 && <Empty>No fixes in this area and window.</Empty>}
      {on && state.cells ? <p class="hint">{state.cells.toLocaleString()} cells with fixes.</p> : null}
      {on && <ErrorMessage error={state.error} />}
    </section>
  );
}
