/**
 * Track playback: an asset's track over a window (GET /v1/assets/{id}/track), simplified as asked,
 * drawn on the map; a time slider and Play move a marker along it, linearly between two vertices by
 * time. The asset comes from the route (`#/playback/<id>`, the live screen links there) or a search
 * by name over the asset list.
 */
import type { FilterSpecification, GeoJSONSource, LngLatBoundsLike } from 'maplibre-gl';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { AssetFeature, AssetPage } from '../../api/types';
import { useConsole } from '../../app/context';
import { go, type Route } from '../../app/route';
import { EMPTY } from '../../map/base-map';
import { Empty, ErrorMessage, formatTime, fromLocalInput, Loading, toLocalInput } from '../../ui/common';
import { type PlaybackTrack, positionAt, readTrack, type TrackReply } from './track';
import './playback.css';

const TRACK_SOURCE = 'playback-track';
const MARKER_SOURCE = 'playback-marker';
const LAYERS = ['playback-track-casing', 'playback-track-line', 'playback-track-vertices', 'playback-marker-dot'];
/** Vertices drawn as dots only up to this many (the line itself is always drawn). */
const MAX_VERTEX_DOTS = 5_000;

const HOUR = 3_600_000;
const SIMPLIFY_OPTIONS = [
  { metres: 0, label: 'None (every fix)' },
  { metres: 5, label: '5 m' },
  { metres: 20, label: '20 m' },
  { metres: 100, label: '100 m' },
] as const;
const SPEEDS = [1, 10, 60, 600] as const;

const reducedMotion = (): boolean => window.matchMedia?.('(prefers-reduced-motion: reduce)').matches ?? false;
const ceilMinute = (ms: number): number => Math.ceil(ms / 60_000) * 60_000;

export function PlaybackScreen({ route }: { route: Route }) {
  const assetId = route.rest[0];
  return (
    <div class="screen playback">
      <h2>Track playback</h2>
      <AssetSearch />
      {assetId ? (
        <Playback key={assetId} assetId={assetId} />
      ) : (
        <Empty>Choose an asset to play back its track: search for it by name above.</Empty>
      )}
    </div>
  );
}

// ---------------------------------------------------------------------------------------------
// Choosing the asset

/** Assets known for the name search, reloaded when older than this. */
const DIRECTORY_TTL_MS = 30_000;
const DIRECTORY_MAX = 50_000;
const MATCHES_SHOWN = 50;

interface DirectoryEntry {
  readonly id: string;
  readonly name: string;
  readonly kind: string;
  readonly positioned: boolean;
}

/** Name search over every asset the user may see (the list API, paged; kept for half a minute). */
function AssetSearch() {
  const { api } = useConsole();
  const [text, setText] = useState('');
  const [directory, setDirectory] = useState<{ assets: DirectoryEntry[]; at: number } | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  const loading = useRef(false);
  const controller = useRef<AbortController | null>(null);
  useEffect(() => () => controller.current?.abort(), []);

  useEffect(() => {
    if (!text.trim() || loading.current) return;
    if (directory && Date.now() - directory.at < DIRECTORY_TTL_MS) return;
    const signal = (controller.current = new AbortController()).signal;
    loading.current = true;
    setProgress(0);
    setError(null);
    api
      .all<AssetFeature, AssetPage>('/v1/assets', { limit: 1000 }, (p) => p.features, {
        max: DIRECTORY_MAX,
        onPage: setProgress,
        signal,
      })
      .then(
        (assets) =>
          setDirectory({
            assets: assets.map((a) => ({
              id: a.id,
              name: a.properties.name,
              kind: a.properties.kind,
              positioned: a.geometry !== null,
            })),
            at: Date.now(),
          }),
        (err: unknown) => !signal.aborted && setError(err),
      )
      .finally(() => {
        loading.current = false;
        if (!signal.aborted) setProgress(null);
      });
    // `attempt`: "Try again" after an error.
  }, [api, text, directory, attempt]);

  const needle = text.trim().toLowerCase();
  const matches = needle && directory ? directory.assets.filter((a) => a.name.toLowerCase().includes(needle)) : [];

  return (
    <section class="search" aria-label="Choose an asset">
      <label for="playback-asset-search">Find an asset by name</label>
      <input
        id="playback-asset-search"
        type="search"
        placeholder="e.g. Truck 12"
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
        autocomplete="off"
      />
      {progress !== null && <Loading what={`assets (${progress.toLocaleString()} so far)`} />}
      <ErrorMessage error={error} onRetry={() => setAttempt((n) => n + 1)} />
      {needle && directory && matches.length === 0 && <Empty>No asset is named like “{text.trim()}”.</Empty>}
      {matches.length > 0 && (
        <ul class="results" aria-label="Matching assets">
          {matches.slice(0, MATCHES_SHOWN).map((a) => (
            <li key={a.id}>
              <button
                type="button"
                class="link"
                onClick={() => {
                  setText('');
                  go('playback', a.id);
                }}
              >
                {a.name}
              </button>{' '}
              <small>
                {a.kind}
                {a.positioned ? '' : ' · no position yet'}
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

// ---------------------------------------------------------------------------------------------
// The window, the request, the track on the map

type TrackState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'loading' }
  | { readonly kind: 'error'; readonly error: unknown }
  | { readonly kind: 'empty'; readonly from: string; readonly to: string }
  | { readonly kind: 'loaded'; readonly track: PlaybackTrack; readonly serial: number };

/** The map's sources and layers of this screen, while it shows an asset. */
function usePlaybackLayers(): void {
  const { map } = useConsole();
  useEffect(() => {
    map.addSource(TRACK_SOURCE, { type: 'geojson', data: EMPTY });
    map.addSource(MARKER_SOURCE, { type: 'geojson', data: EMPTY });
    const lines: FilterSpecification = ['==', ['geometry-type'], 'LineString'];
    map.addLayer({
      id: 'playback-track-casing',
      type: 'line',
      source: TRACK_SOURCE,
      filter: lines,
      layout: { 'line-join': 'round', 'line-cap': 'round' },
      paint: { 'line-color': '#ffffff', 'line-width': 7, 'line-opacity': 0.9 },
    });
    map.addLayer({
      id: 'playback-track-line',
      type: 'line',
      source: TRACK_SOURCE,
      filter: lines,
      layout: { 'line-join': 'round', 'line-cap': 'round' },
      paint: { 'line-color': '#8250df', 'line-width': 3.5 },
    });
    map.addLayer({
      id: 'playback-track-vertices',
      type: 'circle',
      source: TRACK_SOURCE,
      minzoom: 11,
      filter: ['==', ['geometry-type'], 'Point'],
      paint: {
        'circle-radius': 3,
        'circle-color': '#ffffff',
        'circle-stroke-color': '#8250df',
        'circle-stroke-width': 1.5,
      },
    });
    map.addLayer({
      id: 'playback-marker-dot',
      type: 'circle',
      source: MARKER_SOURCE,
      paint: {
        'circle-radius': 9,
        'circle-color': '#cf222e',
        'circle-stroke-color': '#ffffff',
        'circle-stroke-width': 3,
      },
    });
    return () => {
      for (const layer of [...LAYERS].reverse()) if (map.getLayer(layer)) map.removeLayer(layer);
      for (const source of [TRACK_SOURCE, MARKER_SOURCE]) if (map.getSource(source)) map.removeSource(source);
    };
  }, [map]);
}

/** The track's lines (one feature each: lines apart at gaps) and, when few, its vertices as dots. */
function trackGeoJson(track: PlaybackTrack): GeoJSON.FeatureCollection {
  const features: GeoJSON.Feature[] = track.lines.map((line, i) => ({
    type: 'Feature',
    properties: { line: i },
    geometry: { type: 'LineString', coordinates: line.coordinates.map(([lon, lat]) => [lon, lat]) },
  }));
  if (track.vertices <= MAX_VERTEX_DOTS) {
    for (const line of track.lines) {
      for (const [lon, lat] of line.coordinates) {
        features.push({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [lon, lat] } });
      }
    }
  }
  return { type: 'FeatureCollection', features };
}

function Playback({ assetId }: { assetId: string }) {
  const { api, map } = useConsole();
  usePlaybackLayers();

  const [asset, setAsset] = useState<AssetFeature | null>(null);
  const [assetError, setAssetError] = useState<unknown>(null);
  useEffect(() => {
    const controller = new AbortController();
    api
      .get<AssetFeature>(`/v1/assets/${encodeURIComponent(assetId)}`, {}, controller.signal)
      .then(setAsset, (err: unknown) => !controller.signal.aborted && setAssetError(err));
    return () => controller.abort();
  }, [api, assetId]);

  const [from, setFrom] = useState(() => toLocalInput(Date.now() - HOUR));
  const [to, setTo] = useState(() => toLocalInput(ceilMinute(Date.now())));
  const [simplify, setSimplify] = useState<number>(0);
  const [state, setState] = useState<TrackState>({ kind: 'idle' });
  const request = useRef<AbortController | null>(null);
  const serial = useRef(0);
  useEffect(() => () => request.current?.abort(), []);

  const pick = (fromMs: number) => {
    setFrom(toLocalInput(fromMs));
    setTo(toLocalInput(ceilMinute(Date.now())));
  };

  const show = () => {
    const fromMs = Date.parse(from);
    const toMs = Date.parse(to);
    if (Number.isNaN(fromMs) || Number.isNaN(toMs)) {
      setState({ kind: 'error', error: new Error('Enter both the start and the end of the window.') });
      return;
    }
    if (toMs <= fromMs) {
      setState({ kind: 'error', error: new Error('The window must end after it starts.') });
      return;
    }
    request.current?.abort();
    const controller = new AbortController();
    request.current = controller;
    setState({ kind: 'loading' });
    const window = { from: fromLocalInput(from), to: fromLocalInput(to) };
    api
      .get<TrackReply>(
        `/v1/assets/${encodeURIComponent(assetId)}/track`,
        { ...window, simplify: simplify || undefined },
        controller.signal,
      )
      .then((reply) => {
        const track = readTrack(reply);
        serial.current += 1;
        setState(track ? { kind: 'loaded', track, serial: serial.current } : { kind: 'empty', ...window });
      })
      .catch((error: unknown) => !controller.signal.aborted && setState({ kind: 'error', error }));
  };

  // The track on the map, which fits to it.
  const track = state.kind === 'loaded' ? state.track : null;
  useEffect(() => {
    (map.getSource(TRACK_SOURCE) as GeoJSONSource | undefined)?.setData(track ? trackGeoJson(track) : EMPTY);
    if (!track) return;
    const [w, s, e, n] = track.bounds;
    const bounds: LngLatBoundsLike = [
      [w, s],
      [e, n],
    ];
    map.fitBounds(bounds, { padding: 48, maxZoom: 16, ...(reducedMotion() ? { animate: false } : { duration: 800 }) });
  }, [map, track]);

  const name = asset?.properties.name;
  return (
    <>
      <section class="playback-asset" aria-label="Asset">
        {asset && (
          <h3 data-testid="playback-asset">
            {asset.properties.name} <small>({asset.properties.kind})</small>
          </h3>
        )}
        {!asset && !assetError && <Loading what="the asset" />}
        <ErrorMessage error={assetError} />
      </section>
      <form
        class="playback-form"
        aria-label="Track window"
        onSubmit={(e) => {
          e.preventDefault();
          show();
        }}
      >
        <fieldset>
          <legend>Window</legend>
          <div class="playback-quick" role="group" aria-label="Quick picks">
            <button type="button" onClick={() => pick(Date.now() - HOUR)}>
              Last hour
            </button>
            <button type="button" onClick={() => pick(new Date().setHours(0, 0, 0, 0))}>
              Today
            </button>
            <button type="button" onClick={() => pick(Date.now() - 24 * HOUR)}>
              Last 24 h
            </button>
          </div>
          <div class="playback-window">
            <div>
              <label for="playback-from">From</label>
              <input
                id="playback-from"
                type="datetime-local"
                required
                value={from}
                onInput={(e) => setFrom(e.currentTarget.value)}
              />
            </div>
            <div>
              <label for="playback-to">To</label>
              <input
                id="playback-to"
                type="datetime-local"
                required
                value={to}
                onInput={(e) => setTo(e.currentTarget.value)}
              />
            </div>
          </div>
          <p class="hint">At most 31 days.</p>
        </fieldset>
        <label for="playback-simplify">Simplification</label>
        <select id="playback-simplify" value={simplify} onChange={(e) => setSimplify(Number(e.currentTarget.value))}>
          {SIMPLIFY_OPTIONS.map((o) => (
            <option key={o.metres} value={o.metres}>
              {o.label}
            </option>
          ))}
        </select>
        <div class="playback-actions">
          <button type="submit" class="primary" disabled={state.kind === 'loading'}>
            Show track
          </button>
        </div>
      </form>
      {state.kind === 'loading' && <Loading what="the track" />}
      {state.kind === 'error' && <ErrorMessage error={state.error} onRetry={show} />}
      {state.kind === 'empty' && (
        <Empty>
          No fixes of {name ?? 'this asset'} between {formatTime(state.from)} and {formatTime(state.to)}: try a longer
          window.
        </Empty>
      )}
      {state.kind === 'loaded' && <Player key={state.serial} track={state.track} />}
    </>
  );
}

// ---------------------------------------------------------------------------------------------
// Playing it back

/** Slider steps (seconds): the largest that still leaves ~300 positions along the track. */
const STEPS = [1, 5, 10, 30, 60, 300, 600, 1800, 3600] as const;
function sliderStep(seconds: number): number {
  let step = 1;
  for (const s of STEPS) if (seconds / s >= 300) step = s;
  return step;
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h} h ${m} min` : m > 0 ? `${m} min ${sec} s` : `${sec} s`;
}

function Summary({ track }: { track: PlaybackTrack }) {
  const simplified = track.simplifyMeters > 0 ? `simplified to ${track.simplifyMeters} m` : 'not simplified';
  return (
    <p class="playback-summary" data-testid="playback-summary" role="status">
      {track.fixes.toLocaleString()} fixes → {track.vertices.toLocaleString()} vertices ({simplified})
      {track.lines.length > 1 && (
        <>
          {' '}
          in {track.lines.length} pieces, split where fixes are more than {track.gapSeconds} s apart
        </>
      )}
      . {duration(track.end - track.start)} from {formatTime(new Date(track.start).toISOString())}.
    </p>
  );
}

function Player({ track }: { track: PlaybackTrack }) {
  const { map } = useConsole();
  const [time, setTime] = useState(track.start);
  const timeRef = useRef(track.start);
  const [playing, setPlaying] = useState(false);
  const [speed, setSpeed] = useState<number>(60);

  const moveTo = (t: number) => {
    const clamped = Math.min(track.end, Math.max(track.start, t));
    timeRef.current = clamped;
    setTime(clamped);
  };

  // One step per animation frame while playing, `speed` seconds of track per second.
  useEffect(() => {
    if (!playing) return;
    let frame = 0;
    let last = performance.now();
    const step = (now: number) => {
      // A tab in the background gets no frames: resume where it was rather than jump.
      const elapsed = Math.min(250, Math.max(0, now - last));
      last = now;
      const next = Math.min(track.end, timeRef.current + elapsed * speed);
      timeRef.current = next;
      setTime(next);
      if (next >= track.end) setPlaying(false);
      else frame = requestAnimationFrame(step);
    };
    frame = requestAnimationFrame(step);
    return () => cancelAnimationFrame(frame);
  }, [playing, speed, track]);

  const position = useMemo(() => positionAt(track, time), [track, time]);
  useEffect(() => {
    const point: GeoJSON.Feature = {
      type: 'Feature',
      properties: { time: new Date(time).toISOString() },
      geometry: { type: 'Point', coordinates: [position.lon, position.lat] },
    };
    (map.getSource(MARKER_SOURCE) as GeoJSONSource | undefined)?.setData({
      type: 'FeatureCollection',
      features: [point],
    });
  }, [map, position, time]);
  // The marker goes with the player.
  useEffect(() => () => void (map.getSource(MARKER_SOURCE) as GeoJSONSource | undefined)?.setData(EMPTY), [map]);

  const seconds = (track.end - track.start) / 1000;
  const step = sliderStep(seconds);
  const max = Math.max(step, Math.ceil(seconds / step) * step);
  const value = Math.min(max, Math.round((time - track.start) / 1000 / step) * step);
  const timeText = formatTime(new Date(time).toISOString());

  return (
    <section class="playback-player" aria-label="Playback">
      <Summary track={track} />
      <label for="playback-slider">Time</label>
      <input
        id="playback-slider"
        type="range"
        min={0}
        max={max}
        step={step}
        value={value}
        aria-valuetext={timeText}
        onInput={(e) => moveTo(track.start + Number(e.currentTarget.value) * 1000)}
      />
      <div class="playback-controls">
        <button
          type="button"
          class="primary"
          onClick={() => {
            if (!playing && timeRef.current >= track.end) moveTo(track.start);
            setPlaying(!playing);
          }}
        >
          {playing ? 'Pause' : 'Play'}
        </button>
        <label for="playback-speed">Speed</label>
        <select id="playback-speed" value={speed} onChange={(e) => setSpeed(Number(e.currentTarget.value))}>
          {SPEEDS.map((s) => (
            <option key={s} value={s}>
              {s}×
            </option>
          ))}
        </select>
      </div>
      <dl class="playback-readout">
        <dt>Time</dt>
        <dd>
          <span data-testid="playback-time">{timeText}</span>{' '}
          <small>
            (+{duration(time - track.start)} of {duration(track.end - track.start)})
          </small>
        </dd>
        <dt>Position</dt>
        <dd>
          <span data-testid="playback-position">
            {position.lat.toFixed(5)}, {position.lon.toFixed(5)}
          </span>
          {position.inGap && <small> (no fixes here: last seen position)</small>}
        </dd>
      </dl>
    </section>
  );
}
