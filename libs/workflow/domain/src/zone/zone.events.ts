import type { DomainEvent } from '@meridian/shared/decider';
import type { ZoneDefinition } from './zone.commands';

type Created = ZoneDefinition & { readonly zoneId: string; readonly tenantId: string; readonly createdAt: string };
type Replaced = Omit<ZoneDefinition, 'kind'> & { readonly zoneId: string; readonly replacedAt: string };

/** v2: with the owning team (issue 9). */
export type ZoneCreated = DomainEvent<'zone.created.v2', Created>;
export type ZoneReplaced = DomainEvent<'zone.replaced.v2', Replaced>;

/**
 * Stored before zones had a team. Read through `workflowUpcasters` (as the workflow's event store
 * is), they carry v2's data with no team. Never decided again.
 */
export type ZoneCreatedV1 = DomainEvent<'zone.created.v1', Created>;
export type ZoneReplacedV1 = DomainEvent<'zone.replaced.v1', Replaced>;

export type ZoneArchived = DomainEvent<'zone.archived.v1', { readonly zoneId: string; readonly archivedAt: string }>;

export type ZoneEvent = ZoneCreated | ZoneReplaced | ZoneCreatedV1 | ZoneReplacedV1 | ZoneArchived;
