/** The signed-in console: header, navigation, the shared map and the current screen's panel. */
import type { Map as MapLibreMap } from 'maplibre-gl';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Api } from '../api/client';
import { LiveStream, type StreamState } from '../api/stream';
import type { PositionEvent } from '../api/types';
import type { Session, User } from '../auth/session';
import type { ConsoleConfig } from '../config';
import { LiveAssets } from '../live/live-assets';
import { createMap, mapReady } from '../map/base-map';
import { LiveScreen } from '../screens/live/live-screen';
import { MissionsScreen } from '../screens/missions/missions-screen';
import { PlaybackScreen } from '../screens/playback/playback-screen';
import { ZonesScreen } from '../screens/zones/zones-screen';
import { Loading } from '../ui/common';
import { type ConsoleContext, ConsoleCtx } from './context';
import { EventHub } from './events';
import { type Route, SCREENS, useRoute } from './route';

export function Shell({ config, session, user }: { config: ConsoleConfig; session: Session; user: User }) {
  const route = useRoute();
  const mapElement = useRef<HTMLDivElement>(null);
  const [map, setMap] = useState<MapLibreMap | null>(null);
  const api = useMemo(() => new Api(config.api, session), [config.api, session]);
  const events = useMemo(() => new EventHub(), []);
  const [assets, setAssets] = useState<LiveAssets | null>(null);

  useEffect(() => {
    if (!mapElement.current) return;
    const created = createMap({ container: mapElement.current, api: config.api, token: () => session.currentToken() });
    let live: LiveAssets | undefined;
    let stream: LiveStream | undefined;
    void mapReady(created).then(() => {
      live = new LiveAssets(created, api);
      live.install();
      const offPositions = events.on('position', (data) => live?.position(data as PositionEvent));
      stream = new LiveStream(
        api,
        {},
        {
          onEvent: (type, data) => events.emit(type, data),
          onState: (state, detail) => events.setState(state, detail),
        },
      ).start();
      created.once('remove', offPositions);
      setAssets(live);
      setMap(created);
      // Tests and the frame-time benchmark read these; nothing else does.
      Object.assign(window, { meridianMap: created, meridianAssets: live });
    });
    return () => {
      stream?.stop();
      created.remove();
    };
  }, [api, config.api, events, session]);

  const ctx: ConsoleContext | null = map && assets ? { config, session, api, map, events, assets } : null;
  const current = SCREENS.find((s) => s.id === route.screen) ?? SCREENS[0];

  return (
    <div class="console">
      <header class="top" role="banner">
        <span class="brand">Meridian</span>
        <nav aria-label="Screens">
          {SCREENS.map((s) => (
            <a key={s.id} href={`#/${s.id}`} aria-current={s.id === route.screen ? 'page' : undefined}>
              {s.label}
            </a>
          ))}
        </nav>
        <StreamBadge events={events} />
        <span class="whoami" data-testid="whoami" title={`${user.username} · tenant ${user.tenant}`}>
          {user.name}{' '}
          <small>
            ({user.username} · {user.tenant})
          </small>
        </span>
        <button type="button" onClick={() => void session.signOut()}>
          Sign out
        </button>
      </header>
      <main class="body">
        <div class="map" data-testid="map" ref={mapElement} role="region" aria-label="Map" />
        <aside class="panel" aria-label={current.label}>
          {ctx ? (
            <ConsoleCtx.Provider value={ctx}>
              <ScreenPanel route={route} />
            </ConsoleCtx.Provider>
          ) : (
            <Loading what="the map" />
          )}
        </aside>
      </main>
    </div>
  );
}

function ScreenPanel({ route }: { route: Route }) {
  switch (route.screen) {
    case 'zones':
      return <ZonesScreen route={route} />;
    case 'missions':
      return <MissionsScreen route={route} />;
    case 'playback':
      return <PlaybackScreen route={route} />;
    default:
      return <LiveScreen route={route} />;
  }
}

const STREAM_WORDS: Readonly<Record<StreamState, string>> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  stopped: 'Stopped',
};

function StreamBadge({ events }: { events: EventHub }) {
  const [state, setState] = useState<{ state: StreamState; detail?: string | undefined }>({ state: events.state });
  useEffect(() => events.onState((s, detail) => setState({ state: s, detail })), [events]);
  return (
    <span class={`badge stream-${state.state}`} role="status" aria-live="polite" title={state.detail ?? ''}>
      {STREAM_WORDS[state.state]}
    </span>
  );
}
