import { useEffect, useState } from 'preact/hooks';

export const SCREENS = [
  { id: 'live', label: 'Live map' },
  { id: 'zones', label: 'Zones' },
  { id: 'missions', label: 'Missions' },
  { id: 'playback', label: 'Playback' },
] as const;
export type ScreenId = (typeof SCREENS)[number]['id'];

/** The screen in the address (`#/zones`, `#/missions/<id>`): hash routes need nothing of the server. */
export interface Route {
  readonly screen: ScreenId;
  /** What follows the screen: `['<id>']` for `#/missions/<id>`. */
  readonly rest: readonly string[];
}

export function parseRoute(hash: string): Route {
  const [screen = 'live', ...rest] = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const known = SCREENS.some((s) => s.id === screen);
  return { screen: known ? (screen as ScreenId) : 'live', rest: known ? rest : [] };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return route;
}

export const go = (screen: ScreenId, ...rest: string[]): void => {
  window.location.hash = `#/${[screen, ...rest.map(encodeURIComponent)].join('/')}`;
};
