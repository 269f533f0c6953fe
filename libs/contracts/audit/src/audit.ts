import { z } from 'zod';
import { defineMessage, PageLimit, pageOf } from '@meridian/contracts/core';

const Instant = z.iso.datetime({ offset: true });

/** Who did what to which resource, and when: one accepted command's event, or one permission change. */
export const AuditEntry = z.object({
  eventId: z.uuid(),
  recordedAt: z.string(),
  /** The subject of the principal whose command the event records (`system` for the platform's own). */
  actor: z.string(),
  /** The CloudEvents type of the integration event. */
  type: z.string(),
  /** The resource the event is about: its Kafka key (an asset, zone, user or service account id, a tenant). */
  resource: z.string().nullable(),
  /** The service whose event store recorded it (`/meridian/workflow`, `/meridian/identity`). */
  source: z.string(),
  data: z.unknown(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

export const AuditPage = pageOf(AuditEntry);
export type AuditPage = z.infer<typeof AuditPage>;

export const AuditQueryV1 = defineMessage(
  'meridian.geo-query.audit.list.v1',
  'query',
  z.strictObject({
    from: Instant.optional(),
    to: Instant.optional(),
    actor: z.string().min(1).max(255).optional(),
    resource: z.string().min(1).max(255).optional(),
    limit: PageLimit,
    after: z.string().max(200).optional(),
  }),
  "The tenant's audit trail in `[from, to)`, optionally of one actor or one resource, oldest first.",
);
