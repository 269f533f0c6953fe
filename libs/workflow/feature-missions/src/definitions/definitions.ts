import { type Decider, type EventStore, handle, load } from '@meridian/shared/decider';
import { stableUuid } from '@meridian/shared/util';
import {
  DEFAULT_DEADLINE_TOLERANCE,
  DEFAULT_MACHINE,
  definitionDecider,
  type DefinitionPublished,
  type DefinitionState,
  definitionStreamId,
  type DefinitionVersion,
  SYSTEM_ACCESS,
} from '@meridian/workflow/domain';

export const DEFAULT_KEY = 'default';

/**
 * The seeded default definition: version 1 of `default` in every tenant, appended the first time
 * the tenant names it (idempotent: the command id is derived from the tenant, so concurrent seeds
 * append it once).
 */
export async function seedDefault(store: EventStore, tenantId: string, deadlineTolerance: string): Promise<void> {
  await handle(
    store,
    definitionDecider,
    definitionStreamId(tenantId, DEFAULT_KEY),
    {
      type: 'PublishDefinition',
      data: {
        tenantId,
        key: DEFAULT_KEY,
        machine: DEFAULT_MACHINE,
        deadlineTolerance,
        now: new Date().toISOString(),
        access: SYSTEM_ACCESS,
      },
    },
    { commandId: stableUuid(`seed-definition:${tenantId}:${DEFAULT_KEY}`), metadata: { tenantId, actor: 'system' } },
  );
}

/** The latest version of a tenant's definition, seeding `default` when the tenant has none yet; null when unknown. */
export async function latestDefinition(
  store: EventStore,
  tenantId: string,
  key: string,
  defaultTolerance: string = DEFAULT_DEADLINE_TOLERANCE,
): Promise<DefinitionVersion | null> {
  const streamId = definitionStreamId(tenantId, key);
  const reader = definitionDecider as Decider<unknown, DefinitionState, DefinitionPublished>;
  let loaded = await load(store, reader, streamId);
  if (loaded.state.status === 'none' && key === DEFAULT_KEY) {
    await seedDefault(store, tenantId, defaultTolerance);
    loaded = await load(store, reader, streamId);
  }
  return loaded.state.status === 'published' && loaded.state.tenantId === tenantId ? loaded.state.latest : null;
}
