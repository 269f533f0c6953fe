/** Fans the one live stream out to the screens that listen to it. */
import type { StreamState } from '../api/stream';

type Listener = (data: unknown, type: string) => void;

export class EventHub {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly stateListeners = new Set<(state: StreamState, detail?: string) => void>();
  state: StreamState = 'connecting';
  detail: string | undefined;

  /** Listens to events whose type is `type`, or starts with it when it ends with `.` (`geofence.`). */
  on(type: string, listener: Listener): () => void {
    let set = this.listeners.get(type);
    if (!set) {
      set = new Set();
      this.listeners.set(type, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  onState(listener: (state: StreamState, detail?: string) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  emit(type: string, data: unknown): void {
    this.listeners.get(type)?.forEach((l) => l(data, type));
    const dot = type.indexOf('.');
    if (dot > 0) this.listeners.get(type.slice(0, dot + 1))?.forEach((l) => l(data, type));
  }

  setState(state: StreamState, detail?: string): void {
    this.state = state;
    this.detail = detail;
    this.stateListeners.forEach((l) => l(state, detail));
  }
}
