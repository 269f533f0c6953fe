import type { Map as MapLibreMap } from 'maplibre-gl';
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Api } from '../api/client';
import type { Session } from '../auth/session';
import type { ConsoleConfig } from '../config';
import type { LiveAssets } from '../live/live-assets';
import type { EventHub } from './events';

/** What every screen works with: the API, the shared map, the live stream and the live assets. */
export interface ConsoleContext {
  readonly config: ConsoleConfig;
  readonly session: Session;
  readonly api: Api;
  readonly map: MapLibreMap;
  readonly events: EventHub;
  readonly assets: LiveAssets;
}

export const ConsoleCtx = createContext<ConsoleContext | null>(null);

export function useConsole(): ConsoleContext {
  const ctx = useContext(ConsoleCtx);
  if (!ctx) throw new Error('useConsole outside the console');
  return ctx;
}
