import type { ZoneGeometry } from '@meridian/shared/geometry';
import type { AccessAttributes, AccessDecision } from '../access/access';
import type { ZoneKind } from './zone.vocabulary';

/**
 * What a zone is made of. `geometry` has passed `checkZoneGeometry` at the edge (the decider gets
 * validated, rewound geometry); `validFrom`/`validTo` are ISO-8601 instants or null (open);
 * `sensitivity` and `team` are its access attributes.
 */
export interface ZoneDefinition extends AccessAttributes {
  readonly name: string;
  readonly kind: ZoneKind;
  readonly geometry: ZoneGeometry;
  readonly validFrom: string | null;
  readonly validTo: string | null;
}

/**
 * Time, ids and the access decision arrive with the command; the decider reads no clock and knows
 * no principal. `access` is the policy's verdict on `zones:write` (workflow/feature-zones
 * `zoneWriteAccess`): for a replacement, on the zone as it is and as it will be.
 */
interface Issued {
  readonly zoneId: string;
  readonly tenantId: string;
  readonly now: string;
  readonly access: AccessDecision;
}

export type CreateZone = {
  readonly type: 'CreateZone';
  readonly data: ZoneDefinition & Issued;
};

/** Replaces name, geometry, validity and access attributes; the kind stays what it was created as. */
export type ReplaceZone = {
  readonly type: 'ReplaceZone';
  readonly data: Omit<ZoneDefinition, 'kind'> & Issued;
};

export type ArchiveZone = {
  readonly type: 'ArchiveZone';
  readonly data: Issued;
};

export type ZoneCommand = CreateZone | ReplaceZone | ArchiveZone;
