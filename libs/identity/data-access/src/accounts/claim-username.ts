import { usernameDecider, usernameStreamId } from '@meridian/identity/domain';
import { type EventStore, handle, type HandleResult } from '@meridian/shared/decider';
import { stableUuid } from '@meridian/shared/util';
import type { CommandContext } from '../acting/command-context';

/**
 * Claims a username of the tenant for a user, on the name's own stream (optimistic concurrency:
 * of two claims racing, one conflicts, reloads and is refused USER.USERNAME_TAKEN). Claiming again
 * for the same user succeeds without a new event, so a retried create goes through.
 */
export function claimUsername(
  store: EventStore,
  claim: { readonly tenantId: string; readonly username: string; readonly userId: string },
  context: CommandContext,
  now: Date,
): Promise<HandleResult> {
  const { tenantId, username, userId } = claim;
  return handle(
    store,
    usernameDecider,
    usernameStreamId(tenantId, username),
    { type: 'ReserveUsername', data: { tenantId, username, userId, now: now.toISOString() } },
    { commandId: stableUuid(`${context.commandId}/username`), metadata: context.metadata },
  );
}
