/**
 * Geofence events as they arrive on the live stream (`geofence.entered` / `geofence.exited`):
 * "<asset> entered <zone> at <time>", newest first, at most FEED_MAX kept. Asset names come from
 * GET /v1/assets/{id} (cached), zone names from the screen's list or GET /v1/zones/{id} (cached).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Api } from '../../api/client';
import type { AssetFeature, GeofenceEvent } from '../../api/types';
import { useConsole } from '../../app/context';
import { go } from '../../app/route';
import { Empty, formatTime } from '../../ui/common';
import { getZone } from './zone-api';

export const FEED_MAX = 100;
/** Names remembered at most; the oldest are forgotten first. */
const NAMES_MAX = 1000;

interface FeedEntry {
  readonly key: string;
  readonly entered: boolean;
  readonly assetId: string;
  readonly zoneId: string;
  readonly ts: string;
}

/** Names by id, fetched once each; `changed` is called when one arrives. */
class NameCache {
  private readonly names = new Map<string, string>();
  private readonly asking = new Set<string>();

  constructor(
    private readonly fetchName: (id: string) => Promise<string>,
    private readonly fallback: (id: string) => string,
    private readonly changed: () => void,
  ) {}

  get(id: string): string | undefined {
    return this.names.get(id);
  }

  want(id: string): void {
    if (this.names.has(id) || this.asking.has(id)) return;
    this.asking.add(id);
    this.fetchName(id)
      .catch(() => this.fallback(id))
      .then((name) => {
        this.asking.delete(id);
        this.names.set(id, name);
        if (this.names.size > NAMES_MAX) {
          const oldest = this.names.keys().next();
          if (!oldest.done) this.names.delete(oldest.value);
        }
        this.changed();
      });
  }
}

const assetName = (api: Api, id: string): Promise<string> =>
  api.get<AssetFeature>(`/v1/assets/${encodeURIComponent(id)}`).then((a) => a.properties.name);

const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });
const shortId = (id: string): string => id.slice(0, 8);

const isGeofenceEvent = (data: unknown): data is GeofenceEvent =>
  typeof data === 'object' &&
  data !== null &&
  typeof (data as GeofenceEvent).assetId === 'string' &&
  typeof (data as GeofenceEvent).zoneId === 'string' &&
  typeof (data as GeofenceEvent).ts === 'string';

/** `zoneName`: the name in the screen's list, when the zone is there (it follows renames). */
export function GeofenceFeed({ zoneName }: { zoneName: (id: string) => string | undefined }) {
  const { api, events } = useConsole();
  const [entries, setEntries] = useState<readonly FeedEntry[]>([]);
  const [, setNamesSeen] = useState(0);
  const caches = useRef<{ assets: NameCache; zones: NameCache } | null>(null);
  if (!caches.current) {
    const changed = () => setNamesSeen((n) => n + 1);
    caches.current = {
      assets: new NameCache(
        (id) => assetName(api, id),
        (id) => `Asset ${shortId(id)}`,
        changed,
      ),
      zones: new NameCache(
        (id) => getZone(api, id).then((z) => z.properties.name),
        (id) => `Zone ${shortId(id)}`,
        changed,
      ),
    };
  }
  const { assets, zones } = caches.current;
  const listed = useRef(zoneName);
  listed.current = zoneName;

  useEffect(
    () =>
      events.on('geofence.', (data, type) => {
        if (!isGeofenceEvent(data)) return;
        const entered = type === 'geofence.entered';
        if (!entered && type !== 'geofence.exited') return;
        const key = `${type}|${data.assetId}|${data.zoneId}|${data.ts}`;
        assets.want(data.assetId);
        if (listed.current(data.zoneId) === undefined) zones.want(data.zoneId);
        setEntries((list) =>
          list.some((e) => e.key === key)
            ? list
            : [{ key, entered, assetId: data.assetId, zoneId: data.zoneId, ts: data.ts }, ...list].slice(0, FEED_MAX),
        );
      }),
    [events, assets, zones],
  );

  return (
    <section class="zones-feed" aria-label="Geofence events" aria-live="polite">
      <h3>Geofence events</h3>
      {entries.length === 0 ? (
        <Empty>No asset has entered or left a zone since this screen opened.</Empty>
      ) : (
        <ol class="feed" aria-label="Latest geofence events, newest first" tabIndex={0}>
          {entries.map((e) => {
            const asset = assets.get(e.assetId) ?? `Asset ${shortId(e.assetId)}…`;
            const zone = zoneName(e.zoneId) ?? zones.get(e.zoneId) ?? `zone ${shortId(e.zoneId)}…`;
            return (
              <li key={e.key} class={e.entered ? 'entered' : 'exited'}>
                <strong>{asset}</strong> {e.entered ? 'entered' : 'left'}{' '}
                <button type="button" class="link" onClick={() => go('zones', e.zoneId)}>
                  {zone}
                </button>{' '}
                at{' '}
                <time dateTime={e.ts} title={formatTime(e.ts)}>
                  {timeOnly.format(new Date(e.ts))}
                </time>
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
