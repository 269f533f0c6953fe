import type { Polygon } from 'geojson';

export interface MissionAreaLimits {
  /** At most this many missions are remembered… */
  readonly maxMissions: number;
  /** …and at most this many positions of their areas together (an area may have thousands). */
  readonly maxPositions: number;
}

export const DEFAULT_MISSION_AREA_LIMITS: MissionAreaLimits = { maxMissions: 10_000, maxPositions: 1_000_000 };

const positionsOf = (area: Polygon): number => area.coordinates.reduce((n, ring) => n + ring.length, 0);

/**
 * The areas of the missions the relay saw created (`mission.created` carries the area; later mission
 * events do not), so that their later events can be placed and shown to region-restricted
 * subscribers. Bounded: the least recently used go first; a mission that is done is forgotten after
 * its last event. A mission created before this process read its partition is unknown here.
 */
export class MissionAreas {
  private readonly areas = new Map<string, { readonly area: Polygon; readonly positions: number }>();
  private positions = 0;

  constructor(private readonly limits: MissionAreaLimits = DEFAULT_MISSION_AREA_LIMITS) {}

  remember(key: string, area: Polygon): void {
    this.forget(key);
    const positions = positionsOf(area);
    if (positions > this.limits.maxPositions) return;
    this.areas.set(key, { area, positions });
    this.positions += positions;
    for (const [oldest, entry] of this.areas) {
      if (this.areas.size <= this.limits.maxMissions && this.positions <= this.limits.maxPositions) break;
      this.areas.delete(oldest);
      this.positions -= entry.positions;
    }
  }

  /** The area, or null when unknown; a hit counts as a use. */
  get(key: string): Polygon | null {
    const entry = this.areas.get(key);
    if (!entry) return null;
    this.areas.delete(key);
    this.areas.set(key, entry);
    return entry.area;
  }

  forget(key: string): void {
    const entry = this.areas.get(key);
    if (!entry) return;
    this.areas.delete(key);
    this.positions -= entry.positions;
  }

  get size(): number {
    return this.areas.size;
  }
}
