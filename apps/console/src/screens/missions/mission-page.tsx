/**
 * One mission: its details and area (the map fits it), a button for each event the signed-in user
 * may send it now (`allowedEvents`, sent with `If-Match` of the version read), an asset picker for
 * `assign`, and its history. Live mission events reload it.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError } from '../../api/client';
import type { AssetFeature, AssetPage, Mission, MissionHistoryEntry, MissionHistoryPage } from '../../api/types';
import { useConsole } from '../../app/context';
import { go } from '../../app/route';
import { Empty, ErrorMessage, formatTime, Loading } from '../../ui/common';
import { type AreaOnMap, useMissionAreas } from './mission-areas';
import {
  actorLabel,
  allPages,
  apiSubject,
  boundsOf,
  eventLabel,
  type EventReply,
  latenessOf,
  missionEventOf,
  stateLabel,
} from './mission-model';

const HISTORY_MAX = 1000;
const ASSETS_MAX = 5000;
const MATCHES_SHOWN = 20;
/** At most this many assets in one assignment (the API's limit). */
const ASSIGN_MAX = 50;
/** Reads that still show an older version than one known to exist are retried this often. */
const STALE_RETRIES = 8;

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

type Notice = { readonly kind: 'info' | 'success' | 'warn'; readonly text: string };

export function MissionPage({ id }: { id: string }) {
  const { api, map, events, session } = useConsole();
  const me = useMemo(
    () => (session.user ? { subject: apiSubject(session.user), name: session.user.name } : null),
    [session.user],
  );
  const [mission, setMission] = useState<Mission | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [history, setHistory] = useState<{ entries: MissionHistoryEntry[]; more: boolean } | null>(null);
  const [historyError, setHistoryError] = useState<unknown>(null);
  const [reloads, setReloads] = useState(0);
  const [refreshing, setRefreshing] = useState(false);
  const [notice, setNotice] = useState<Notice | null>(null);
  /** The newest version known to exist (a reply, a live event): reads wait for it. */
  const wanted = useRef(0);
  const path = `/v1/missions/${encodeURIComponent(id)}`;

  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    setRefreshing(true);
    (async () => {
      let read = await api.get<Mission>(path, undefined, signal);
      for (let attempt = 1; read.version < wanted.current && attempt <= STALE_RETRIES; attempt += 1) {
        await sleep(200 * attempt, signal);
        read = await api.get<Mission>(path, undefined, signal);
      }
      setMission(read);
      setError(null);
      try {
        const start = api.url(`${path}/history`, { limit: 200 });
        const pages = await allPages<MissionHistoryEntry, MissionHistoryPage>(
          api,
          start,
          (p) => p.entries,
          HISTORY_MAX,
          signal,
        );
        setHistory({ entries: pages.items, more: pages.more });
        setHistoryError(null);
      } catch (err) {
        if (!signal.aborted) setHistoryError(err);
      }
    })()
      .catch((err: unknown) => !signal.aborted && setError(err))
      .finally(() => !signal.aborted && setRefreshing(false));
    return () => controller.abort();
  }, [api, path, reloads]);

  // Live: this mission's events reload it (debounced: a saga sends a few at once).
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const off = events.on('mission.', (data, type) => {
      const e = missionEventOf(data);
      if (!e || e.missionId !== id) return;
      if (e.version !== null) wanted.current = Math.max(wanted.current, e.version);
      if (type === 'mission.assignment-changed' && e.outcome === 'failed') {
        setNotice({ kind: 'warn', text: `The assignment failed: ${e.reason ?? 'no reason given'}.` });
      } else if (type === 'mission.transitioned' && e.state) {
        const by = e.actor ? ` by ${actorLabel(e.actor, me)}` : '';
        setNotice({ kind: 'info', text: `Now ${stateLabel(e.state)}${by}.` });
      }
      clearTimeout(timer);
      timer = setTimeout(() => setReloads((r) => r + 1), 300);
    });
    return () => {
      off();
      clearTimeout(timer);
    };
  }, [events, id, me]);

  // The area on the map; the map fits it when the mission is first read.
  const areas = useMemo<AreaOnMap[]>(
    () =>
      mission
        ? [
            {
              id: mission.id,
              title: mission.title,
              area: mission.area,
              late: latenessOf(mission, Date.now()).late,
              done: mission.done,
            },
          ]
        : [],
    [mission],
  );
  useMissionAreas(map, 'page', areas);
  const fitted = useRef(false);
  useEffect(() => {
    if (!mission || fitted.current) return;
    const bounds = boundsOf(mission.area);
    if (bounds) map.fitBounds(bounds, { padding: 60, maxZoom: 15, duration: 0 });
    fitted.current = true;
  }, [map, mission]);

  const reload = useCallback(() => setReloads((r) => r + 1), []);

  return (
    <section class="details missions-page" aria-label="Mission" data-testid="mission-page">
      <button type="button" class="link back" onClick={() => go('missions')}>
        ← All missions
      </button>
      <ErrorMessage error={error} onRetry={reload} />
      {!mission && !error && <Loading what="the mission" />}
      {mission && (
        <>
          <h2>{mission.title}</h2>
          <Details mission={mission} me={me} />
          <Actions
            mission={mission}
            onSent={(reply, label) => {
              if (reply.version !== undefined) wanted.current = Math.max(wanted.current, reply.version);
              setNotice(
                reply.sagaId
                  ? {
                      kind: 'info',
                      text:
                        'Assignment requested: the assets are being reserved; the mission moves on when they are ' +
                        `(saga ${reply.sagaId}).`,
                    }
                  : reply.status === 'pending'
                    ? { kind: 'warn', text: `“${label}” was sent but not confirmed yet; this page updates when it is.` }
                    : { kind: 'success', text: `“${label}” done.` },
              );
              reload();
            }}
            onStale={reload}
          />
          {notice && (
            <p class={`missions-notice ${notice.kind}`} role="status" aria-live="polite" data-testid="mission-notice">
              {notice.text}
            </p>
          )}
          <div class="missions-toolbar">
            <button type="button" onClick={reload} disabled={refreshing}>
              {refreshing ? 'Refreshing…' : 'Refresh'}
            </button>
          </div>
          <h3>History</h3>
          <ErrorMessage error={historyError} onRetry={reload} />
          {!history && !historyError && <Loading what="the history" />}
          {history && <History entries={history.entries} more={history.more} me={me} />}
        </>
      )}
    </section>
  );
}

function Details({ mission: m, me }: { mission: Mission; me: { subject: string; name: string } | null }) {
  const lateness = latenessOf(m, Date.now());
  return (
    <dl>
      <dt>State</dt>
      <dd>
        <strong data-testid="mission-state">{stateLabel(m.state)}</strong>
        {lateness.late && (
          <>
            {' '}
            <span class="badge missions-overdue" title={`Overdue: ${lateness.why}`}>
              Overdue
            </span>
          </>
        )}
        {m.done && <small> (finished)</small>}
      </dd>
      <dt>Priority</dt>
      <dd>{m.priority}</dd>
      <dt>Window</dt>
      <dd>
        {formatTime(m.window.start)} – {formatTime(m.window.end)}
      </dd>
      <dt>Deadline</dt>
      <dd>{formatTime(m.deadline)}</dd>
      <dt>Assets</dt>
      <dd>{m.assetIds.length === 0 ? 'none assigned' : <AssetNames ids={m.assetIds} />}</dd>
      {m.assignment !== null && typeof m.assignment === 'object' && (
        <>
          <dt>Assignment</dt>
          <dd>
            <AssignmentText assignment={m.assignment} />
          </dd>
        </>
      )}
      <dt>Workflow</dt>
      <dd>
        {m.definition.key} (version {m.definition.version})
      </dd>
      <dt>Created</dt>
      <dd>
        {formatTime(m.createdAt)} by {actorLabel(m.createdBy, me)}
      </dd>
      <dt>Updated</dt>
      <dd>{formatTime(m.updatedAt)}</dd>
    </dl>
  );
}

function AssignmentText({ assignment }: { assignment: object }) {
  const a = assignment as { outcome?: unknown; reason?: unknown };
  const outcome = typeof a.outcome === 'string' ? a.outcome : 'unknown';
  const reason = typeof a.reason === 'string' ? a.reason : null;
  return (
    <>
      {outcome}
      {reason && `: ${reason}`}
    </>
  );
}

/** The assets' names (each read once; an asset the user may not see stays an id). */
function AssetNames({ ids }: { ids: readonly string[] }) {
  const { api } = useConsole();
  const [names, setNames] = useState<ReadonlyMap<string, string>>(new Map());
  const key = ids.join(',');
  useEffect(() => {
    const controller = new AbortController();
    void Promise.all(
      key.split(',').map((assetId) =>
        api
          .get<AssetFeature>(`/v1/assets/${encodeURIComponent(assetId)}`, undefined, controller.signal)
          .then((a): [string, string] => [assetId, a.properties.name])
          .catch((): [string, string] => [assetId, assetId]),
      ),
    ).then((pairs) => !controller.signal.aborted && setNames(new Map(pairs)));
    return () => controller.abort();
  }, [api, key]);
  return (
    <ul class="missions-assets">
      {ids.map((assetId) => (
        <li key={assetId}>{names.get(assetId) ?? assetId}</li>
      ))}
    </ul>
  );
}

/** Why an event was refused, in words, beside the API's own detail. */
function refusalHint(err: unknown): string | null {
  if (!(err instanceof ApiError)) return null;
  if (err.status === 412)
    return 'Someone else changed this mission since you read it. It has been reloaded: check it and try again.';
  if (err.status === 403) return 'You may not do this to this mission.';
  if (err.status === 409) return 'The mission cannot take this step now.';
  return null;
}

function Actions({
  mission,
  onSent,
  onStale,
}: {
  mission: Mission;
  onSent: (reply: EventReply, label: string) => void;
  onStale: () => void;
}) {
  const { api } = useConsole();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [reason, setReason] = useState('');
  const [picking, setPicking] = useState(false);
  const allowed = mission.allowedEvents;

  const send = async (event: string, assetIds?: readonly string[]) => {
    const label = eventLabel(event);
    setBusy(event);
    setError(null);
    try {
      const body = {
        ...(assetIds ? { assetIds } : {}),
        ...(reason.trim() ? { reason: reason.trim() } : {}),
      };
      const reply = await api.post<EventReply>(
        `/v1/missions/${encodeURIComponent(mission.id)}/events/${encodeURIComponent(event)}`,
        body,
        { 'if-match': `"${mission.version}"` },
      );
      setReason('');
      setPicking(false);
      onSent(reply, label);
    } catch (err) {
      setError(err);
      if (err instanceof ApiError && err.status === 412) onStale();
    } finally {
      setBusy(null);
    }
  };

  const hint = refusalHint(error);
  return (
    <section class="missions-actions" aria-label="Actions">
      <h3>Actions</h3>
      {allowed.length === 0 ? (
        <Empty>
          {mission.done ? 'This mission is finished.' : 'Nothing you may do to this mission in its current state.'}
        </Empty>
      ) : (
        <>
          <div class="missions-toolbar">
            {allowed.map((event) =>
              event === 'assign' ? (
                <button
                  key={event}
                  type="button"
                  aria-expanded={picking}
                  onClick={() => setPicking((p) => !p)}
                  disabled={busy !== null}
                >
                  {eventLabel(event)}…
                </button>
              ) : (
                <button
                  key={event}
                  type="button"
                  class={event === 'cancel' || event === 'reject' ? 'danger' : 'primary'}
                  onClick={() => void send(event)}
                  disabled={busy !== null}
                >
                  {busy === event ? `${eventLabel(event)}…` : eventLabel(event)}
                </button>
              ),
            )}
          </div>
          <label for="missions-reason">Reason (optional, kept in the history)</label>
          <input
            id="missions-reason"
            value={reason}
            maxLength={500}
            onInput={(e) => setReason(e.currentTarget.value)}
            disabled={busy !== null}
          />
          {picking && (
            <AssetPicker
              busy={busy === 'assign'}
              onAssign={(ids) => void send('assign', ids)}
              onCancel={() => setPicking(false)}
            />
          )}
        </>
      )}
      {error !== null && (
        <div data-testid="mission-action-error">
          {hint && <p class="missions-notice warn">{hint}</p>}
          <ErrorMessage error={error} />
        </div>
      )}
    </section>
  );
}

/** Assets by name (GET /v1/assets, every page up to a cap), chosen for `assign`. */
function AssetPicker({
  busy,
  onAssign,
  onCancel,
}: {
  busy: boolean;
  onAssign: (ids: readonly string[]) => void;
  onCancel: () => void;
}) {
  const { api } = useConsole();
  const [directory, setDirectory] = useState<{ assets: AssetFeature[]; more: boolean } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [text, setText] = useState('');
  const [chosen, setChosen] = useState<ReadonlyMap<string, string>>(new Map());
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    setError(null);
    allPages<AssetFeature, AssetPage>(
      api,
      api.url('/v1/assets', { limit: 1000 }),
      (p) => p.features,
      ASSETS_MAX,
      controller.signal,
    )
      .then(({ items, more }) => setDirectory({ assets: items, more }))
      .catch((err: unknown) => !controller.signal.aborted && setError(err));
    return () => controller.abort();
  }, [api, attempt]);

  const needle = text.trim().toLowerCase();
  const matches = directory
    ? directory.assets.filter((a) => !needle || a.properties.name.toLowerCase().includes(needle))
    : [];
  const toggle = (a: AssetFeature, on: boolean) =>
    setChosen((prev) => {
      const next = new Map(prev);
      if (on && next.size < ASSIGN_MAX) next.set(a.id, a.properties.name);
      else next.delete(a.id);
      return next;
    });

  return (
    <fieldset class="missions-picker" aria-label="Assets to assign">
      <legend>Assets to assign</legend>
      <label for="missions-asset-search">Find assets by name</label>
      <input
        id="missions-asset-search"
        type="search"
        value={text}
        autocomplete="off"
        onInput={(e) => setText(e.currentTarget.value)}
      />
      <ErrorMessage error={error} onRetry={() => setAttempt((n) => n + 1)} />
      {!directory && !error && <Loading what="assets" />}
      {directory?.more && (
        <p class="hint">Only the first {ASSETS_MAX.toLocaleString()} assets are searched; some are not listed.</p>
      )}
      {directory && matches.length === 0 && (
        <Empty>{needle ? `No asset is named like “${text.trim()}”.` : 'You may see no assets.'}</Empty>
      )}
      {matches.length > 0 && (
        <ul class="missions-matches" aria-label="Matching assets">
          {matches.slice(0, MATCHES_SHOWN).map((a) => (
            <li key={a.id}>
              <label class="check">
                <input
                  type="checkbox"
                  checked={chosen.has(a.id)}
                  onChange={(e) => toggle(a, e.currentTarget.checked)}
                />{' '}
                {a.properties.name}{' '}
                <small>
                  ({a.properties.kind}, {a.properties.status})
                </small>
              </label>
            </li>
          ))}
          {matches.length > MATCHES_SHOWN && (
            <li class="hint">{matches.length - MATCHES_SHOWN} more: type more of the name to narrow the list.</li>
          )}
        </ul>
      )}
      <p class="hint" role="status" aria-live="polite">
        {chosen.size === 0
          ? 'No asset chosen.'
          : `Chosen: ${[...chosen.values()].join(', ')}${chosen.size >= ASSIGN_MAX ? ` (at most ${ASSIGN_MAX})` : ''}.`}
      </p>
      <div class="missions-toolbar">
        <button
          type="button"
          class="primary"
          disabled={busy || chosen.size === 0}
          onClick={() => onAssign([...chosen.keys()])}
        >
          {busy ? 'Assigning…' : `Assign ${chosen.size} asset${chosen.size === 1 ? '' : 's'}`}
        </button>
        <button type="button" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
    </fieldset>
  );
}

function History({
  entries,
  more,
  me,
}: {
  entries: readonly MissionHistoryEntry[];
  more: boolean;
  me: { subject: string; name: string } | null;
}) {
  if (entries.length === 0) return <Empty>No history yet.</Empty>;
  return (
    <>
      <ol class="missions-history" aria-label="History">
        {entries.map((h) => (
          <li key={h.version} data-testid="history-entry" data-event={h.event ?? h.kind}>
            <time dateTime={h.at}>{formatTime(h.at)}</time>
            <div>
              <strong>{whatHappened(h)}</strong> by <span class="missions-actor">{actorLabel(h.actor, me)}</span>
              {h.cause && <span class={`badge missions-cause ${h.cause}`}>{causeLabel(h.cause)}</span>}
            </div>
            {h.reason && <div class="hint">Reason: {h.reason}</div>}
            {h.assetIds.length > 0 && (
              <div class="hint">
                {h.assetIds.length} asset{h.assetIds.length === 1 ? '' : 's'}
              </div>
            )}
          </li>
        ))}
      </ol>
      {more && <p class="hint">Only the first {HISTORY_MAX.toLocaleString()} entries are shown.</p>}
    </>
  );
}

function whatHappened(h: MissionHistoryEntry): string {
  switch (h.kind) {
    case 'created':
      return `Created (${stateLabel(h.to)})`;
    case 'assignment-changed':
      return `Assignment ${h.event ?? 'changed'}`;
    default:
      return `${eventLabel(h.event ?? 'changed')}: ${h.from ? stateLabel(h.from) : '—'} → ${stateLabel(h.to)}`;
  }
}

const CAUSES: Readonly<Record<string, string>> = {
  user: 'by a person',
  timer: 'timer',
  geofence: 'geofence',
  saga: 'assignment saga',
};
const causeLabel = (cause: string): string => CAUSES[cause] ?? cause;
