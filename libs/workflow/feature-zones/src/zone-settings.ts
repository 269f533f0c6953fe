/** Workflow's zone limits (env `ZONE_MAX_VERTICES`). */
export interface ZoneSettings {
  /** Positions over all rings of one zone geometry, closing positions included. */
  readonly maxVertices: number;
}

export const ZONE_SETTINGS = Symbol('meridian.workflow.zone-settings');
