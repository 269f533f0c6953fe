/**
 * What the missions screen knows of missions beyond api/types.ts: the replies of the write calls,
 * the live stream's mission events, the default definition's states, and when a mission is overdue.
 */
import type { Api } from '../../api/client';
import type { Link, Mission } from '../../api/types';

/** `POST /v1/missions`: 201 `{id, version}`, or 202 `{id, status: 'pending'}` when workflow was slow. */
export interface CreateReply {
  readonly id: string;
  readonly version?: number;
  readonly status?: 'pending';
}

/** `POST /v1/missions/{id}/events/{event}`: 200 `{id, version}`, 202 `{…, sagaId}` or 202 pending. */
export interface EventReply {
  readonly id: string;
  readonly version?: number;
  readonly sagaId?: string;
  readonly status?: 'pending';
}

/** The default definition's states, in the order of its flow (docs/missions.md). */
export const DEFAULT_STATES = [
  'draft',
  'submitted',
  'approved',
  'assigned',
  'en_route',
  'overdue',
  'on_site',
  'completed',
  'rejected',
  'cancelled',
] as const;

/** States of the default definition that end a mission. */
export const FINAL_STATES: ReadonlySet<string> = new Set(['completed', 'rejected', 'cancelled']);

/** States that mean "late" (the default definition's, and the usual name in custom ones). */
const LATE_STATES: ReadonlySet<string> = new Set(['overdue', 'late']);

const WORDS: Readonly<Record<string, string>> = { en_route: 'En route', on_site: 'On site' };

/** `en_route` → "En route"; any other name: capitalised, underscores as spaces. */
export const stateLabel = (name: string): string =>
  WORDS[name] ?? `${name.charAt(0).toUpperCase()}${name.slice(1).replaceAll('_', ' ')}`;

/** The button of an event: `approve` → "Approve". */
export const eventLabel = stateLabel;

/** What a board card needs of a mission (a list item, or a mission learned from a live event). */
export type BoardMission = Pick<
  Mission,
  'id' | 'title' | 'state' | 'done' | 'version' | 'priority' | 'window' | 'deadline' | 'area' | 'definition'
>;

export type Lateness = { readonly late: false } | { readonly late: true; readonly why: string };

/** Overdue: in the definition's overdue (or late) state, or past its deadline and not done. */
export function latenessOf(m: Pick<Mission, 'state' | 'done' | 'deadline'>, now: number): Lateness {
  if (LATE_STATES.has(m.state)) return { late: true, why: `in state ${stateLabel(m.state)}` };
  if (!m.done && m.deadline && Date.parse(m.deadline) < now) return { late: true, why: 'its deadline has passed' };
  return { late: false };
}

/** The columns of the board: the default definition's states first, then any other state met, by name. */
export function columnsOf(states: Iterable<string>, showFinished: boolean): string[] {
  const known: readonly string[] = DEFAULT_STATES;
  const others = [...new Set(states)].filter((s) => !known.includes(s)).sort();
  return [...known.filter((s) => showFinished || !FINAL_STATES.has(s)), ...others];
}

/** Overdue first, then the soonest deadline, then by title. */
export function compareCards(a: BoardMission, b: BoardMission, now: number): number {
  const late = Number(latenessOf(b, now).late) - Number(latenessOf(a, now).late);
  if (late) return late;
  const deadline = (m: BoardMission) => (m.deadline ? Date.parse(m.deadline) : Number.MAX_SAFE_INTEGER);
  return deadline(a) - deadline(b) || a.title.localeCompare(b.title);
}

const nextOf = (links: readonly Link[]): string | null => links.find((l) => l.rel === 'next')?.href ?? null;

/** Every page of a paged list up to `max` items; `more` when the list goes on beyond them. */
export async function allPages<T, P extends { links: readonly Link[] }>(
  api: Api,
  start: string,
  items: (page: P) => readonly T[],
  max: number,
  signal?: AbortSignal,
): Promise<{ items: T[]; more: boolean }> {
  const out: T[] = [];
  let next: string | null = start;
  while (next && out.length < max) {
    const page: P = await api.get<P>(next, undefined, signal);
    out.push(...items(page));
    next = nextOf(page.links);
  }
  return { items: out.slice(0, max), more: next !== null || out.length > max };
}

/** A live `mission.*` event's data (docs/stream.md): the integration event plus the mission's area. */
export interface MissionStreamEvent {
  readonly missionId: string;
  readonly version: number | null;
  readonly state: string | null;
  readonly done: boolean | null;
  readonly actor: string | null;
  /** assignment-changed: requested, failed or released. */
  readonly outcome: string | null;
  readonly reason: string | null;
  /** The whole mission as a card, when the event carries it (`mission.created`). */
  readonly card: BoardMission | null;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);

/** Reads a live mission event defensively: the stream is input like any other. */
export function missionEventOf(data: unknown): MissionStreamEvent | null {
  if (typeof data !== 'object' || data === null) return null;
  const d = data as Record<string, unknown>;
  const missionId = str(d['missionId']);
  if (!missionId) return null;
  const state = str(d['state']);
  const version = num(d['version']);
  const done = typeof d['done'] === 'boolean' ? d['done'] : null;
  const title = str(d['title']);
  const priority = num(d['priority']);
  const win = d['window'] as { start?: unknown; end?: unknown } | null | undefined;
  const area = d['area'] as BoardMission['area'] | null | undefined;
  const definition = d['definition'] as BoardMission['definition'] | null | undefined;
  const start = str(win?.start);
  const end = str(win?.end);
  const card: BoardMission | null =
    title && state && version !== null && done !== null && priority !== null && start && end && area && definition
      ? {
          id: missionId,
          title,
          state,
          done,
          version,
          priority,
          window: { start, end },
          deadline: str(d['deadline']),
          area,
          definition,
        }
      : null;
  return {
    missionId,
    version,
    state,
    done,
    actor: str(d['actor']),
    outcome: str(d['outcome']),
    reason: str(d['reason']),
    card,
  };
}

/**
 * The user's subject as the API names actors: the ID token's `sub` is `<tenant>/<subject>` (it names
 * the account within the issuer), the access token's and so the history's is the bare subject.
 */
export const apiSubject = (user: { readonly subject: string; readonly tenant: string }): string =>
  user.subject.startsWith(`${user.tenant}/`) ? user.subject.slice(user.tenant.length + 1) : user.subject;

/** Who did it, in words: the signed-in user is "you"; the system's actors by what they are. */
export function actorLabel(actor: string, me: { subject: string; name: string } | null): string {
  if (me && actor === me.subject) return `you (${me.name})`;
  switch (actor) {
    case 'system:timer':
      return 'the deadline timer';
    case 'system:geofence':
      return 'the geofence (an asset arrived)';
    case 'system:saga':
      return 'the assignment saga';
    default:
      return actor;
  }
}

/** A rectangle inside the visible map (a keyboard user's area, to be edited on the map). */
export function viewRectangle(bounds: { west: number; south: number; east: number; north: number }): GeoJSON.Polygon {
  const dx = (bounds.east - bounds.west) / 4;
  const dy = (bounds.north - bounds.south) / 4;
  // Six decimals (about 0.1 m): Terra Draw refuses positions more precise than its coordinate precision.
  const round = (v: number) => Math.round(v * 1e6) / 1e6;
  const [w, s, e, n] = [bounds.west + dx, bounds.south + dy, bounds.east - dx, bounds.north - dy].map(round) as [
    number,
    number,
    number,
    number,
  ];
  return {
    type: 'Polygon',
    coordinates: [
      [
        [w, s],
        [e, s],
        [e, n],
        [w, n],
        [w, s],
      ],
    ],
  };
}

/** The bounds of a polygon's outer ring, for fitting the map to it. */
export function boundsOf(polygon: GeoJSON.Polygon): [[number, number], [number, number]] | null {
  const ring = polygon.coordinates[0];
  if (!ring || ring.length === 0) return null;
  let [w, s, e, n] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [lon, lat] of ring) {
    if (lon === undefined || lat === undefined) continue;
    w = Math.min(w, lon);
    e = Math.max(e, lon);
    s = Math.min(s, lat);
    n = Math.max(n, lat);
  }
  return Number.isFinite(w)
    ? [
        [w, s],
        [e, n],
      ]
    : null;
}
