/**
 * The board: every mission the user may see (GET /v1/missions, paged, up to a cap the user can raise),
 * in a column per state, overdue ones first and marked. Live mission events patch the cards at once
 * and trigger a (debounced) reload, which reconciles with the read model.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Mission, MissionPage } from '../../api/types';
import { useConsole } from '../../app/context';
import { go } from '../../app/route';
import { Empty, ErrorMessage, formatTime, Loading } from '../../ui/common';
import { type AreaOnMap, useMissionAreas } from './mission-areas';
import {
  allPages,
  type BoardMission,
  columnsOf,
  compareCards,
  DEFAULT_STATES,
  latenessOf,
  missionEventOf,
  type MissionStreamEvent,
  stateLabel,
} from './mission-model';

/** Missions per request, missions loaded at first and per "Load more", and never more than this. */
const PAGE_LIMIT = 500;
const CAP_STEP = 1000;
const CAP_MAX = 10_000;
/** A burst of live events reloads once: this long after the last, at most this long after the first. */
const DEBOUNCE_MS = 1000;
const MAX_WAIT_MS = 5000;
/** Overdue marks follow the clock. */
const TICK_MS = 15_000;

const shortTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'short' });
const short = (iso: string | null): string => (iso ? shortTime.format(new Date(iso)) : '—');

const toCard = (m: Mission): BoardMission => ({
  id: m.id,
  title: m.title,
  state: m.state,
  done: m.done,
  version: m.version,
  priority: m.priority,
  window: m.window,
  deadline: m.deadline,
  area: m.area,
  definition: m.definition,
});

/** The board after a live event: the card moved (a newer version only), or a created mission added. */
function patched(
  board: ReadonlyMap<string, BoardMission>,
  e: MissionStreamEvent,
  filter: string,
  cap: number,
): ReadonlyMap<string, BoardMission> {
  const held = board.get(e.missionId);
  const out = new Map(board);
  if (held) {
    if (e.version === null || e.version <= held.version) return board;
    const moved = { ...held, version: e.version, state: e.state ?? held.state, done: e.done ?? held.done };
    if (filter && moved.state !== filter) out.delete(moved.id);
    else out.set(moved.id, moved);
    return out;
  }
  if (!e.card || (filter && e.card.state !== filter) || board.size >= cap) return board;
  out.set(e.card.id, e.card);
  return out;
}

export function MissionBoard() {
  const { api, map, events } = useConsole();
  const [filter, setFilter] = useState('');
  const [showFinished, setShowFinished] = useState(false);
  const [cap, setCap] = useState(CAP_STEP);
  const [board, setBoard] = useState<ReadonlyMap<string, BoardMission> | null>(null);
  const [more, setMore] = useState(false);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [loadedAt, setLoadedAt] = useState<number | null>(null);
  const [reloads, setReloads] = useState(0);
  const [now, setNow] = useState(() => Date.now());
  const held = useRef<ReadonlyMap<string, BoardMission> | null>(null);
  /** Missions known only from live events, kept across a reload that does not list them yet. */
  const fromEvents = useRef(new Set<string>());

  const update = useCallback((next: ReadonlyMap<string, BoardMission> | null) => {
    held.current = next;
    setBoard(next);
  }, []);

  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), TICK_MS);
    return () => clearInterval(timer);
  }, []);

  // Load (and reload) the list.
  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    const start = api.url('/v1/missions', { limit: PAGE_LIMIT, state: filter || undefined });
    allPages<Mission, MissionPage>(api, start, (p) => p.missions, cap, controller.signal)
      .then(({ items, more: beyond }) => {
        const before = held.current;
        const next = new Map<string, BoardMission>();
        for (const m of items) {
          const local = before?.get(m.id);
          // The read model may lag behind the stream: a newer version seen live wins.
          next.set(m.id, local && local.version > m.version ? { ...toCard(m), ...local } : toCard(m));
          fromEvents.current.delete(m.id);
        }
        for (const id of fromEvents.current) {
          const local = before?.get(id);
          if (local && !beyond && next.size < cap && (!filter || local.state === filter)) next.set(id, local);
          else fromEvents.current.delete(id);
        }
        update(next);
        setMore(beyond);
        setError(null);
        setLoadedAt(Date.now());
        setNow(Date.now());
      })
      .catch((err: unknown) => !controller.signal.aborted && setError(err))
      .finally(() => !controller.signal.aborted && setLoading(false));
    return () => controller.abort();
  }, [api, filter, cap, reloads, update]);

  // Live mission events: patch now, reload shortly.
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let first = 0;
    const off = events.on('mission.', (data) => {
      const e = missionEventOf(data);
      if (!e) return;
      const current = held.current;
      if (current) {
        const next = patched(current, e, filter, cap);
        if (next !== current) {
          if (!current.has(e.missionId) && next.has(e.missionId)) fromEvents.current.add(e.missionId);
          update(next);
        }
      }
      const t = Date.now();
      if (timer === undefined) first = t;
      else clearTimeout(timer);
      timer = setTimeout(
        () => {
          timer = undefined;
          setReloads((r) => r + 1);
        },
        Math.max(0, Math.min(DEBOUNCE_MS, first + MAX_WAIT_MS - t)),
      );
    });
    return () => {
      off();
      clearTimeout(timer);
    };
  }, [events, filter, cap, update]);

  const hideDone = !showFinished && !filter;
  const visible = useMemo(
    () => (board ? [...board.values()].filter((m) => !hideDone || !m.done) : []),
    [board, hideDone],
  );
  const areas = useMemo<AreaOnMap[]>(
    () => visible.map((m) => ({ id: m.id, title: m.title, area: m.area, late: latenessOf(m, now).late, done: m.done })),
    [visible, now],
  );
  const open = useCallback((id: string) => go('missions', id), []);
  useMissionAreas(map, 'board', areas, open);

  const columns = useMemo(() => {
    const byState = new Map<string, BoardMission[]>();
    for (const m of visible) {
      const list = byState.get(m.state) ?? [];
      list.push(m);
      byState.set(m.state, list);
    }
    for (const list of byState.values()) list.sort((a, b) => compareCards(a, b, now));
    const names = filter ? [filter] : columnsOf(byState.keys(), !hideDone);
    return names.map((state) => ({ state, missions: byState.get(state) ?? [] }));
  }, [visible, filter, hideDone, now]);

  const lateCount = visible.filter((m) => latenessOf(m, now).late).length;

  return (
    <>
      <h2>Missions</h2>
      <div class="missions-toolbar">
        <button type="button" class="primary" onClick={() => go('missions', 'new')}>
          New mission
        </button>
        <button type="button" onClick={() => setReloads((r) => r + 1)} disabled={loading}>
          {loading && board ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>
      <div class="missions-filters">
        <div>
          <label for="missions-state">State</label>
          <select
            id="missions-state"
            value={filter}
            onChange={(e) => {
              update(null);
              setFilter(e.currentTarget.value);
            }}
          >
            <option value="">All states</option>
            {DEFAULT_STATES.map((s) => (
              <option key={s} value={s}>
                {stateLabel(s)}
              </option>
            ))}
          </select>
        </div>
        <label class="check">
          <input
            type="checkbox"
            checked={showFinished}
            disabled={filter !== ''}
            onChange={(e) => setShowFinished(e.currentTarget.checked)}
          />{' '}
          Show finished missions
        </label>
      </div>
      <ErrorMessage error={error} onRetry={() => setReloads((r) => r + 1)} />
      {!board && !error && <Loading what="missions" />}
      {board && (
        <p class="hint" role="status" aria-live="polite">
          {visible.length.toLocaleString()} mission{visible.length === 1 ? '' : 's'}
          {lateCount > 0 && `, ${lateCount.toLocaleString()} overdue`}
          {hideDone &&
            board.size > visible.length &&
            ` (${(board.size - visible.length).toLocaleString()} finished hidden)`}
          {loadedAt !== null && ` · updated ${formatTime(new Date(loadedAt).toISOString())}`}
        </p>
      )}
      {more && (
        <div class="missions-more" role="note">
          <span>
            Only the first {board?.size.toLocaleString() ?? cap.toLocaleString()} missions are loaded; more exist.
            {cap >= CAP_MAX && ' Choose a state to see the others.'}
          </span>
          {cap < CAP_MAX && (
            <button type="button" onClick={() => setCap((c) => Math.min(CAP_MAX, c + CAP_STEP))} disabled={loading}>
              Load more
            </button>
          )}
        </div>
      )}
      {board && visible.length === 0 && (
        <Empty>
          {filter
            ? `No mission is ${stateLabel(filter).toLowerCase()}.`
            : board.size > 0
              ? 'Every mission is finished: tick “Show finished missions” to see them.'
              : 'No missions yet: create one with “New mission”.'}
        </Empty>
      )}
      {board && visible.length > 0 && (
        <div class="missions-board">
          {columns.map(({ state, missions }) => (
            <section
              key={state}
              class="missions-column"
              aria-labelledby={`missions-col-${state}`}
              data-testid="missions-column"
              data-state={state}
            >
              <h3 id={`missions-col-${state}`}>
                {stateLabel(state)} <span class="missions-count">{missions.length}</span>
              </h3>
              {missions.length === 0 ? (
                <p class="hint">None</p>
              ) : (
                <ul>
                  {missions.map((m) => (
                    <Card key={m.id} mission={m} now={now} />
                  ))}
                </ul>
              )}
            </section>
          ))}
        </div>
      )}
    </>
  );
}

function Card({ mission: m, now }: { mission: BoardMission; now: number }) {
  const lateness = latenessOf(m, now);
  return (
    <li
      class={`missions-card${lateness.late ? ' late' : ''}${m.done ? ' done' : ''}`}
      data-testid="mission-card"
      data-mission-id={m.id}
    >
      <div class="missions-card-title">
        <a href={`#/missions/${encodeURIComponent(m.id)}`}>{m.title}</a>
        {lateness.late && (
          <span class="badge missions-overdue" title={`Overdue: ${lateness.why}`}>
            Overdue
          </span>
        )}
      </div>
      <dl>
        <dt>Priority</dt>
        <dd>{m.priority}</dd>
        <dt>Window</dt>
        <dd>
          {short(m.window.start)} – {short(m.window.end)}
        </dd>
        <dt>Deadline</dt>
        <dd>{short(m.deadline)}</dd>
        {m.definition.key !== 'default' && (
          <>
            <dt>Workflow</dt>
            <dd>{m.definition.key}</dd>
          </>
        )}
      </dl>
    </li>
  );
}
