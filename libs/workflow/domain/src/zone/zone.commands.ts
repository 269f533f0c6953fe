import type { ZoneGeometry } from '@meridian/shared/geometry';
import type { ZoneKind } from './zone.vocabulary';

/**
 * What a zone is made of. `geometry` has passed `checkZoneGeometry` at the edge (the decider gets
 * validated, rewound geometry); `validFrom`/`validTo` are ISO-8601 instants or null (open).
 */
export interface ZoneDefinition {
  readonly name: string;
  readonly kind: ZoneKind;
  readonly geometry: ZoneGeometry;
  readonly validFrom: string | null;
  readonly validTo: string | null;
  readonly sensitivity: number;
}

/** Time and ids arrive with the command; the decider reads no clock. */
export type CreateZone = {
  readonly type: 'CreateZone';
  readonly data: ZoneDefinition & { readonly zoneId: string; readonly tenantId: string; readonly now: string };
};

/** Replaces name, geometry, validity and sensitivity; the kind stays what it was created as. */
export type ReplaceZone = {
  readonly type: 'ReplaceZone';
  readonly data: Omit<ZoneDefinition, 'kind'> & {
    readonly zoneId: string;
    readonly tenantId: string;
    readonly now: string;
  };
};

export type ArchiveZone = {
  readonly type: 'ArchiveZone';
  readonly data: { readonly zoneId: string; readonly tenantId: string; readonly now: string };
};

export type ZoneCommand = CreateZone | ReplaceZone | ArchiveZone;
