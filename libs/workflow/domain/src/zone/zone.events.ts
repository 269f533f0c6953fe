import type { DomainEvent } from '@meridian/shared/decider';
import type { ZoneDefinition } from './zone.commands';

export type ZoneCreated = DomainEvent<
  'zone.created.v1',
  ZoneDefinition & { readonly zoneId: string; readonly tenantId: string; readonly createdAt: string }
>;

export type ZoneReplaced = DomainEvent<
  'zone.replaced.v1',
  Omit<ZoneDefinition, 'kind'> & { readonly zoneId: string; readonly replacedAt: string }
>;

export type ZoneArchived = DomainEvent<'zone.archived.v1', { readonly zoneId: string; readonly archivedAt: string }>;

export type ZoneEvent = ZoneCreated | ZoneReplaced | ZoneArchived;
