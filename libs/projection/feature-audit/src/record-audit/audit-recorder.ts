import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { type Envelope, Topics } from '@meridian/contracts/core';
import { AuditLog, type AuditRecord } from '@meridian/read-model/audit';
import { READ_POOL } from '@meridian/read-model/data-source';
import { type MessageBus, Subscription } from '@meridian/shared/messaging';
import { BUS, LOGGER } from '@meridian/shared/service-kit';
import type { Log } from '@meridian/shared/util';

/** The event-sourced services' event topics: each event is an accepted command or a permission change. */
export const AUDITED_TOPICS = [Topics.workflowEvents, Topics.identityEvents] as const;

/**
 * An event as the audit trail keeps it. Events without a tenant belong to no one's trail and are
 * passed over (null); events recorded before actors were kept read as `system`.
 */
export function auditRecordOf(event: Envelope, resource: string | null): AuditRecord | null {
  if (!event.tenantId) return null;
  return {
    eventId: event.id,
    tenantId: event.tenantId,
    recordedAt: event.time,
    actor: event.actor ?? 'system',
    type: event.type,
    resource: event.subject ?? resource,
    source: event.source,
    data: event.data,
  };
}

/**
 * Copies every workflow and identity event into read.audit_log (GET /v1/audit), in batches, in a
 * consumer group of its own so the audit trail never slows the other projections. Idempotent by
 * event id; a row the database refuses is dead-lettered alone (Subscription.runBatch splits).
 */
@Injectable()
export class AuditRecorder implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log: AuditLog;
  private subscription: Subscription | null = null;

  constructor(
    @Inject(BUS) private readonly bus: MessageBus,
    @Inject(READ_POOL) pool: Pool,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.log = new AuditLog(pool);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.subscription = await recordAudit(this.bus, this.log, {
      groupId: 'projection.audit',
      topics: AUDITED_TOPICS,
      log: this.logger,
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.subscription?.stop();
  }
}

/** Starts copying the events of `topics` into the audit log; stop the returned subscription to end it. */
export async function recordAudit(
  bus: MessageBus,
  log: AuditLog,
  options: { readonly groupId: string; readonly topics: readonly string[]; readonly log: Log },
): Promise<Subscription> {
  const subscription = new Subscription(bus, { ...options, topics: [...options.topics], fromBeginning: true });
  await subscription.runBatch(
    (event) => auditRecordOf(event, resourceOf(event)),
    async (records) => log.record(records.filter((r): r is AuditRecord => r !== null)),
  );
  return subscription;
}

const RESOURCE_FIELDS = ['assetId', 'zoneId', 'missionId', 'userId', 'clientId', 'tenantId'] as const;

/** The id of what an event is about: the first id field its data carries. */
export function resourceOf(event: Envelope): string | null {
  const data = event.data;
  if (typeof data !== 'object' || data === null) return null;
  const record = data as Record<string, unknown>;
  for (const field of RESOURCE_FIELDS) {
    const value = record[field];
    if (typeof value === 'string') return value;
  }
  return null;
}
