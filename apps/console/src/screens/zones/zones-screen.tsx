/**
 * Zones: the tenant's zones in a list and on the map; draw a new one (Terra Draw), edit or archive
 * the selected one (`#/zones/<id>`), and the geofence events of the live stream as they happen.
 * Mission areas (kind `mission_area`) belong to their missions: listed on request, read-only here.
 */
import './zones.css';
import type { Polygon } from 'geojson';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Api } from '../../api/client';
import type { ZoneFeature, ZoneKind, ZonePage } from '../../api/types';
import { useConsole } from '../../app/context';
import { go, type Route } from '../../app/route';
import { polygonDrawing, type PolygonDrawing } from '../../map/draw';
import { Empty, ErrorMessage, formatTime, Loading } from '../../ui/common';
import { GeofenceFeed } from './geofence-feed';
import {
  archiveZone,
  catchUpMs,
  createZone,
  EDITABLE_KINDS,
  getZone,
  isConflict,
  isPending,
  KIND_COLOURS,
  KIND_LABELS,
  replaceZone,
  waitForZone,
} from './zone-api';
import { instantOf, NEW_ZONE, valuesOf, ZoneForm, type ZoneFormValues } from './zone-form';
import { fitZone, useZonesLayer } from './zones-map';

/** Zones loaded at most (pages of PAGE_SIZE); beyond, the kind filter narrows the list. */
const ZONES_MAX = 5000;
const PAGE_SIZE = 1000;
/** List rows drawn at most; the name search narrows them. */
const ROWS_SHOWN = 200;

type KindFilter = 'editable' | ZoneKind;
const FILTERS: readonly { readonly value: KindFilter; readonly label: string }[] = [
  { value: 'editable', label: 'All zones (not mission areas)' },
  ...EDITABLE_KINDS.map((k) => ({ value: k, label: KIND_LABELS[k] })),
  { value: 'mission_area', label: 'Mission areas (read-only)' },
];

type Mode =
  { readonly kind: 'view' } | { readonly kind: 'create' } | { readonly kind: 'edit'; readonly zone: ZoneFeature };

export function ZonesScreen({ route }: { route: Route }) {
  const { api, map } = useConsole();
  const selectedId = route.rest[0];
  const [filter, setFilter] = useState<KindFilter>('editable');
  const list = useZoneList(api, filter);
  const selected = useZone(api, selectedId, list.byId);
  const [mode, setMode] = useState<Mode>({ kind: 'view' });
  const [notice, setNotice] = useState<string | null>(null);

  // Another zone (or none) selected: whatever was being drawn or edited is dropped.
  useEffect(() => setMode({ kind: 'view' }), [selectedId]);

  // The selected zone, whole, on the map: once per selection.
  const fitted = useRef<string | undefined>(undefined);
  useEffect(() => {
    if (!selected.zone) {
      if (!selectedId) fitted.current = undefined;
      return;
    }
    if (fitted.current === selected.zone.id) return;
    fitted.current = selected.zone.id;
    fitZone(map, selected.zone);
  }, [map, selected.zone, selectedId]);

  const editingId = mode.kind === 'edit' ? mode.zone.id : undefined;
  const onMapClick = useCallback((id: string) => go('zones', id), []);
  useZonesLayer(map, {
    zones: list.zones ?? [],
    selected: selectedId,
    hidden: editingId,
    onClick: onMapClick,
    clickable: mode.kind === 'view',
  });

  const drawing = useDrawing(mode);

  const startCreate = () => {
    setNotice(null);
    setMode({ kind: 'create' });
  };

  const saveNew = async (values: ZoneFormValues, progress: (words: string) => void) => {
    const geometry = drawing.polygon;
    if (!geometry) throw new Error('Draw the zone on the map first: click its corners, then the first corner again.');
    const reply = await createZone(api, {
      name: values.name,
      kind: values.kind,
      geometry,
      validFrom: instantOf(values.validFrom),
      validTo: instantOf(values.validTo),
      sensitivity: values.sensitivity,
    });
    progress('Saved. Waiting for the zone to be readable…');
    const zone = await waitForZone(api, reply.id, () => true, catchUpMs(reply));
    setMode({ kind: 'view' });
    if (zone) {
      list.upsert(zone);
      setNotice(`Zone “${zone.properties.name}” saved.`);
      go('zones', zone.id);
    } else {
      setNotice(`Meridian accepted “${values.name}” but does not show it yet: reload the list in a moment.`);
    }
  };

  const saveEdit = async (zone: ZoneFeature, values: ZoneFormValues, progress: (words: string) => void) => {
    const geometry = zone.geometry.type === 'Polygon' ? drawing.polygon : zone.geometry;
    if (!geometry) throw new Error('The zone has no outline: use “Undo shape changes” to get it back.');
    const reply = await replaceZone(api, zone.id, zone.properties.version, {
      name: values.name,
      geometry,
      validFrom: instantOf(values.validFrom),
      validTo: instantOf(values.validTo),
      sensitivity: values.sensitivity,
      team: zone.properties.team ?? null,
    });
    progress('Saved. Waiting for the change to be readable…');
    const target = isPending(reply) ? zone.properties.version + 1 : reply.version;
    const fresh = await waitForZone(api, zone.id, (z) => z.properties.version >= target, catchUpMs(reply));
    setMode({ kind: 'view' });
    if (fresh) {
      list.upsert(fresh);
      selected.set(fresh);
      setNotice(`Zone “${fresh.properties.name}” saved.`);
    } else {
      setNotice('Meridian accepted the change but does not show it yet: reload in a moment.');
    }
  };

  const reloadForEdit = async (id: string) => {
    try {
      const fresh = await getZone(api, id);
      list.upsert(fresh);
      selected.set(fresh);
      setMode({ kind: 'edit', zone: fresh });
    } catch (err) {
      selected.fail(err);
      setMode({ kind: 'view' });
    }
  };

  return (
    <div class="screen zones">
      <h2>Zones</h2>
      {mode.kind === 'create' ? (
        <ZoneForm
          key="create"
          id="zones-new"
          title="New zone"
          initial={NEW_ZONE}
          polygon={drawing.polygon}
          shapeHint={
            drawing.polygon
              ? 'Drag corners to adjust it, or start over.'
              : 'Click the map to add corners; click the first corner again to close the outline.'
          }
          shapeReset={{ label: 'Start over', run: drawing.restart }}
          onTypedOutline={drawing.show}
          onSave={saveNew}
          onCancel={() => setMode({ kind: 'view' })}
        />
      ) : mode.kind === 'edit' ? (
        <ZoneForm
          key={`edit-${mode.zone.id}-${mode.zone.properties.version}`}
          id="zones-edit"
          title={`Edit “${mode.zone.properties.name}”`}
          initial={valuesOf(mode.zone)}
          fixedKind={mode.zone.properties.kind}
          polygon={mode.zone.geometry.type === 'Polygon' ? drawing.polygon : null}
          shapeHint={
            mode.zone.geometry.type === 'Polygon'
              ? 'Drag its corners on the map; drag a midpoint to add a corner.'
              : 'Its outline has several parts (a MultiPolygon): it cannot be reshaped here, the rest can be edited.'
          }
          {...(mode.zone.geometry.type === 'Polygon'
            ? { shapeReset: { label: 'Undo shape changes', run: drawing.restart }, onTypedOutline: drawing.show }
            : {})}
          onSave={(values, progress) => saveEdit(mode.zone, values, progress)}
          onCancel={() => setMode({ kind: 'view' })}
          onReload={() => void reloadForEdit(mode.zone.id)}
        />
      ) : (
        <>
          <div class="zones-toolbar">
            <button type="button" class="primary" onClick={startCreate}>
              Draw zone
            </button>
          </div>
          {notice && (
            <p class="zones-notice" role="status">
              {notice}
            </p>
          )}
          {selectedId && (
            <ZoneDetails
              id={selectedId}
              state={selected}
              onEdit={(zone) => {
                setNotice(null);
                setMode({ kind: 'edit', zone });
              }}
              onArchived={(name, id) => {
                list.remove(id);
                setNotice(`Zone “${name}” archived.`);
                go('zones');
              }}
              onReloaded={(zone) => list.upsert(zone)}
            />
          )}
        </>
      )}
      <GeofenceFeed zoneName={list.nameOf} />
      <ZoneList list={list} filter={filter} onFilter={setFilter} selectedId={selectedId} />
    </div>
  );
}

// ---------------------------------------------------------------------------------------------
// Drawing

interface Drawing {
  /** The outline drawn (a closed ring) or edited so far. */
  readonly polygon: Polygon | null;
  readonly restart: () => void;
  /** Shows `polygon` with draggable corners (typed corners). */
  readonly show: (polygon: Polygon) => void;
}

/** A Terra Draw session while a zone is created or edited; none otherwise. */
function useDrawing(mode: Mode): Drawing {
  const { map } = useConsole();
  const [polygon, setPolygon] = useState<Polygon | null>(null);
  const session = useRef<PolygonDrawing | null>(null);
  const original = mode.kind === 'edit' && mode.zone.geometry.type === 'Polygon' ? mode.zone.geometry : null;
  const key = mode.kind === 'edit' ? `edit:${mode.zone.id}:${mode.zone.properties.version}` : mode.kind;
  const start = useRef<() => void>(() => undefined);
  start.current = () => {
    if (mode.kind === 'create') session.current?.draw();
    else if (original) session.current?.edit(original);
  };

  useEffect(() => {
    if (key === 'view' || (key !== 'create' && !original)) return;
    const drawing = polygonDrawing(map);
    session.current = drawing;
    const off = drawing.onChange(setPolygon);
    start.current();
    return () => {
      off();
      drawing.stop();
      session.current = null;
      setPolygon(null);
    };
    // `original` changes with `key` (the zone's id and version).
  }, [map, key]);

  return useMemo(
    () => ({ polygon, restart: () => start.current(), show: (p: Polygon) => session.current?.edit(p) }),
    [polygon],
  );
}

// ---------------------------------------------------------------------------------------------
// The list

interface ZoneList {
  readonly zones: readonly ZoneFeature[] | null;
  /** Zones loaded so far while loading. */
  readonly progress: number | null;
  readonly error: unknown;
  /** More zones match than were loaded (ZONES_MAX). */
  readonly truncated: boolean;
  readonly byId: (id: string) => ZoneFeature | undefined;
  readonly nameOf: (id: string) => string | undefined;
  readonly reload: () => void;
  readonly upsert: (zone: ZoneFeature) => void;
  readonly remove: (id: string) => void;
}

/** Every zone of the filter (GET /v1/zones, following `next` links), up to ZONES_MAX. */
function useZoneList(api: Api, filter: KindFilter): ZoneList {
  const [zones, setZones] = useState<readonly ZoneFeature[] | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [truncated, setTruncated] = useState(false);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    const signal = controller.signal;
    setZones(null);
    setError(null);
    setProgress(0);
    setTruncated(false);
    void (async () => {
      const out: ZoneFeature[] = [];
      let next: string | null = api.url('/v1/zones', {
        limit: PAGE_SIZE,
        kind: filter === 'editable' ? undefined : filter,
      });
      while (next && out.length < ZONES_MAX) {
        const page: ZonePage = await api.get<ZonePage>(next, {}, signal);
        const features: readonly ZoneFeature[] = page.features;
        out.push(...features.filter((z) => filter !== 'editable' || z.properties.kind !== 'mission_area'));
        setProgress(out.length);
        next = page.links.find((l) => l.rel === 'next')?.href ?? null;
      }
      if (signal.aborted) return;
      setTruncated(next !== null);
      setZones(out);
      setProgress(null);
    })().catch((err: unknown) => {
      if (signal.aborted) return;
      setError(err);
      setProgress(null);
    });
    return () => controller.abort();
  }, [api, filter, attempt]);

  const index = useMemo(() => new Map((zones ?? []).map((z) => [z.id, z])), [zones]);
  const matches = useCallback(
    (zone: ZoneFeature) =>
      filter === 'editable' ? zone.properties.kind !== 'mission_area' : zone.properties.kind === filter,
    [filter],
  );

  return {
    zones,
    progress,
    error,
    truncated,
    byId: useCallback((id: string) => index.get(id), [index]),
    nameOf: useCallback((id: string) => index.get(id)?.properties.name, [index]),
    reload: useCallback(() => setAttempt((n) => n + 1), []),
    upsert: useCallback(
      (zone: ZoneFeature) =>
        setZones((list) => {
          if (!list) return list;
          const rest = list.filter((z) => z.id !== zone.id);
          return matches(zone) && !zone.properties.archivedAt ? [...rest, zone] : rest;
        }),
      [matches],
    ),
    remove: useCallback((id: string) => setZones((list) => list && list.filter((z) => z.id !== id)), []),
  };
}

function ZoneList(props: {
  list: ZoneList;
  filter: KindFilter;
  onFilter: (filter: KindFilter) => void;
  selectedId: string | undefined;
}) {
  const { list, filter, onFilter, selectedId } = props;
  const [text, setText] = useState('');
  const needle = text.trim().toLowerCase();
  const sorted = useMemo(
    () =>
      [...(list.zones ?? [])]
        .filter((z) => !needle || z.properties.name.toLowerCase().includes(needle))
        .sort((a, b) => a.properties.name.localeCompare(b.properties.name)),
    [list.zones, needle],
  );

  return (
    <section class="zones-list-section" aria-label="Zone list">
      <h3>Zones</h3>
      <div class="zones-filters">
        <div>
          <label for="zones-kind">Kind</label>
          <select id="zones-kind" value={filter} onChange={(e) => onFilter(e.currentTarget.value as KindFilter)}>
            {FILTERS.map((f) => (
              <option key={f.value} value={f.value}>
                {f.label}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="zones-find">Find a zone by name</label>
          <input
            id="zones-find"
            type="search"
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
            autocomplete="off"
          />
        </div>
      </div>
      {list.progress !== null && <Loading what={`zones (${list.progress.toLocaleString()} so far)`} />}
      <ErrorMessage error={list.error} onRetry={list.reload} />
      {list.zones && list.zones.length === 0 && (
        <Empty>
          {filter === 'editable' ? 'No zones yet: draw one.' : `No zones of kind “${KIND_LABELS[filter]}”.`}
        </Empty>
      )}
      {list.zones && list.zones.length > 0 && sorted.length === 0 && (
        <Empty>No zone is named like “{text.trim()}”.</Empty>
      )}
      {list.truncated && (
        <p class="hint">
          Only the first {ZONES_MAX.toLocaleString()} zones are loaded: choose a kind to see the others.
        </p>
      )}
      {sorted.length > 0 && (
        <ul class="zones-list" aria-label="Zones">
          {sorted.slice(0, ROWS_SHOWN).map((z) => (
            <li key={z.id}>
              <button
                type="button"
                class="zones-item"
                aria-current={z.id === selectedId ? 'true' : undefined}
                onClick={() => go('zones', z.id)}
              >
                <span class="swatch" style={{ background: KIND_COLOURS[z.properties.kind] }} aria-hidden="true" />
                <span class="zones-name">{z.properties.name}</span>
                <small>
                  {KIND_LABELS[z.properties.kind]} · {validity(z)}
                </small>
              </button>
            </li>
          ))}
          {sorted.length > ROWS_SHOWN && (
            <li class="hint">{sorted.length - ROWS_SHOWN} more: type part of a name to narrow the list.</li>
          )}
        </ul>
      )}
    </section>
  );
}

/** When a zone counts for geofencing, in words. */
function validity(zone: ZoneFeature, now = Date.now()): string {
  const { validFrom, validTo } = zone.properties;
  if (validTo && Date.parse(validTo) <= now) return `expired ${formatTime(validTo)}`;
  if (validFrom && Date.parse(validFrom) > now)
    return `from ${formatTime(validFrom)}${validTo ? ` to ${formatTime(validTo)}` : ''}`;
  if (validTo) return `valid until ${formatTime(validTo)}`;
  if (validFrom) return `valid since ${formatTime(validFrom)}`;
  return 'always valid';
}

// ---------------------------------------------------------------------------------------------
// The selected zone

interface ZoneState {
  readonly zone: ZoneFeature | null;
  readonly error: unknown;
  readonly set: (zone: ZoneFeature) => void;
  readonly fail: (error: unknown) => void;
  readonly reload: () => void;
}

/** The selected zone, read afresh (its current version); the list's copy meanwhile. */
function useZone(api: Api, id: string | undefined, fromList: (id: string) => ZoneFeature | undefined): ZoneState {
  const [zone, setZone] = useState<ZoneFeature | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    setZone(null);
    setError(null);
    if (!id) return;
    const controller = new AbortController();
    getZone(api, id, controller.signal).then(setZone, (err: unknown) => !controller.signal.aborted && setError(err));
    return () => controller.abort();
  }, [api, id, attempt]);

  const shown = zone && zone.id === id ? zone : id ? (fromList(id) ?? null) : null;
  return {
    zone: shown,
    error,
    set: useCallback((z: ZoneFeature) => setZone(z), []),
    fail: useCallback((err: unknown) => setError(err), []),
    reload: useCallback(() => setAttempt((n) => n + 1), []),
  };
}

function ZoneDetails(props: {
  id: string;
  state: ZoneState;
  onEdit: (zone: ZoneFeature) => void;
  onArchived: (name: string, id: string) => void;
  onReloaded: (zone: ZoneFeature) => void;
}) {
  const { id, state, onEdit, onArchived, onReloaded } = props;
  const { api } = useConsole();
  const [confirming, setConfirming] = useState(false);
  const [archiving, setArchiving] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const confirmButton = useRef<HTMLButtonElement>(null);
  const zone = state.zone;

  useEffect(() => {
    setConfirming(false);
    setError(null);
  }, [id]);
  useEffect(() => {
    if (confirming) confirmButton.current?.focus();
  }, [confirming]);

  const archive = async (z: ZoneFeature) => {
    setArchiving(true);
    setError(null);
    try {
      const reply = await archiveZone(api, z.id, z.properties.version);
      const archived = await waitForZone(api, z.id, (r) => r.properties.archivedAt !== null, catchUpMs(reply));
      if (!archived) throw new Error('Meridian accepted the archiving but does not show it yet: reload in a moment.');
      onArchived(z.properties.name, z.id);
    } catch (err) {
      setError(err);
      setConfirming(false);
    } finally {
      setArchiving(false);
    }
  };

  const reload = async () => {
    setError(null);
    try {
      const fresh = await getZone(api, id);
      state.set(fresh);
      onReloaded(fresh);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section class="details zones-details" aria-label="Zone details" data-testid="zone-details">
      <button type="button" class="link back" onClick={() => go('zones')}>
        ← All zones
      </button>
      <ErrorMessage error={state.error} onRetry={state.reload} />
      {!zone && !state.error && <Loading what="the zone" />}
      {zone && (
        <>
          <h3>{zone.properties.name}</h3>
          {zone.properties.archivedAt && (
            <p class="state">Archived {formatTime(zone.properties.archivedAt)}: it no longer counts for geofencing.</p>
          )}
          <dl>
            <dt>Kind</dt>
            <dd>{KIND_LABELS[zone.properties.kind]}</dd>
            <dt>Validity</dt>
            <dd>{validity(zone)}</dd>
            <dt>Sensitivity</dt>
            <dd>{zone.properties.sensitivity ?? 0}</dd>
            {zone.properties.team && (
              <>
                <dt>Team</dt>
                <dd>{zone.properties.team}</dd>
              </>
            )}
            <dt>Version</dt>
            <dd>{zone.properties.version}</dd>
            <dt>Updated</dt>
            <dd>{formatTime(zone.properties.updatedAt)}</dd>
          </dl>
          {zone.properties.kind === 'mission_area' ? (
            <p class="hint">
              The area of a mission: it changes with its mission. <a href={`#/missions/${zone.id}`}>Open the mission</a>
            </p>
          ) : zone.properties.archivedAt ? null : confirming ? (
            <div class="zones-confirm" role="group" aria-label="Confirm archiving">
              <p>
                Archive “{zone.properties.name}”? It stops counting for geofencing (assets inside leave it) and leaves
                the list.
              </p>
              <button
                type="button"
                class="danger"
                ref={confirmButton}
                disabled={archiving}
                onClick={() => void archive(zone)}
              >
                Yes, archive
              </button>{' '}
              <button type="button" disabled={archiving} onClick={() => setConfirming(false)}>
                Cancel
              </button>
              {archiving && (
                <p class="state loading" role="status">
                  <span class="spinner" aria-hidden="true" /> Archiving…
                </p>
              )}
            </div>
          ) : (
            <div class="zones-actions">
              <button type="button" onClick={() => onEdit(zone)}>
                Edit
              </button>
              <button type="button" class="danger" onClick={() => setConfirming(true)}>
                Archive…
              </button>
            </div>
          )}
          {isConflict(error) ? (
            <div class="state error" role="alert">
              <span>
                Someone else changed this zone meanwhile, so it was not archived. Reload it to see the change.
              </span>
              <button type="button" onClick={() => void reload()}>
                Reload
              </button>
            </div>
          ) : (
            <ErrorMessage error={error} />
          )}
        </>
      )}
    </section>
  );
}
