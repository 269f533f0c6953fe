/** A machine config as JSON (what a definition stores and a mission carries). */
export type MachineJson = { readonly [key: string]: unknown };

/** One version of a workflow definition, as a mission starts on it and keeps it. */
export interface DefinitionVersion {
  readonly key: string;
  readonly version: number;
  readonly machine: MachineJson;
  /** ISO 8601 duration added to `window.start` for the `deadline` delay. */
  readonly deadlineTolerance: string;
}
