export const MISSION_SETTINGS = Symbol('meridian.mission-settings');

export interface MissionSettings {
  /** The service's schema (event store, timers, sagas): `workflow`. */
  readonly schema: string;
  /** Default deadline tolerance of definitions published without one (and of the seeded default). */
  readonly deadlineTolerance: string;
  /** Positions over all rings of a mission area. */
  readonly maxVertices: number;
  /** How often unfinished reservation sagas are looked for (crash recovery), in ms. */
  readonly sagaSweepMs: number;
}
