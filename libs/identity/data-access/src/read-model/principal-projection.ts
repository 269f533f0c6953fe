import type { Pool } from 'pg';
import type { RecordedEvent } from '@meridian/shared/decider';
import {
  type AllPosition,
  comparePositions,
  inTransaction,
  OutboxRelay,
  type PgEventStore,
  positionOf,
  type RelayLag,
} from '@meridian/shared/event-store';
import type { MessageBus } from '@meridian/shared/messaging';
import { type Log, silentLog } from '@meridian/shared/util';
import { applyAccountEvent, principalOf, type PrincipalRef } from './account-rows';
import { readPrincipals, snapshotMessage } from './principal-snapshots';

/** Where the account tables stand in `$all`; stored in the same transaction as the rows. */
export const ACCOUNTS_CHECKPOINT = 'identity.accounts';

export interface PrincipalProjectionOptions {
  /** The compacted principals topic (Topics.identityPrincipals; tests use their own). */
  readonly topic: string;
  readonly log?: Log;
  readonly batchSize?: number;
  readonly idleDelayMs?: number;
}

/**
 * Keeps identity.users and identity.service_accounts in step with identity's event store and
 * publishes each principal whose row changed as a PrincipalSnapshotV1.
 *
 * It runs on the outbox relay's machinery (one holder across replicas, `$all` in commit-safe
 * order, woken by every append of this process) with two checkpoints:
 * - the rows and ACCOUNTS_CHECKPOINT commit in one transaction, so each event takes effect once;
 * - the relay's own checkpoint moves only after the broker acknowledged the snapshots of a batch.
 * A crash after the commit and before the acknowledgement re-reads the batch: its events are
 * behind ACCOUNTS_CHECKPOINT and change nothing, but the principals they touch are published
 * again (at least once; consumers keep the highest `version`). The relay's checkpoint is named by
 * the Kafka cluster id, so a new or wiped cluster gets every principal again from `$all`.
 */
export class PrincipalProjection {
  private relay: OutboxRelay | null = null;
  private readonly log: Log;
  /** Snapshots published since start (tests, health). */
  published = 0;

  constructor(
    private readonly pool: Pool,
    private readonly store: PgEventStore,
    private readonly bus: MessageBus,
    private readonly options: PrincipalProjectionOptions,
  ) {
    this.log = options.log ?? silentLog;
  }

  async start(): Promise<void> {
    if (this.relay) return;
    const name = `identity.principals@${await this.bus.clusterId()}`;
    this.relay = new OutboxRelay(this.pool, this.store, (batch) => this.project(batch), {
      name,
      log: this.log,
      ...(this.options.batchSize ? { batchSize: this.options.batchSize } : {}),
      ...(this.options.idleDelayMs ? { idleDelayMs: this.options.idleDelayMs } : {}),
    });
    this.relay.start();
  }

  async stop(): Promise<void> {
    const relay = this.relay;
    this.relay = null;
    await relay?.stop();
  }

  /** How far the published snapshots are behind the store; null while stopped. */
  async lag(): Promise<RelayLag | null> {
    return this.relay ? this.relay.lag() : null;
  }

  /** One batch of `$all`: rows first (exactly once), then the snapshots of every principal it touches. */
  async project(batch: readonly RecordedEvent[]): Promise<void> {
    const touched = new Map<string, PrincipalRef>();
    for (const event of batch) {
      const ref = principalOf(event);
      if (ref) touched.set(`${ref.kind}|${ref.tenantId}|${ref.subject}`, ref);
    }
    if (touched.size === 0) return;
    await this.applyOnce(batch);
    const rows = await readPrincipals(this.pool, [...touched.values()]);
    if (rows.length === 0) return;
    await this.bus.send(this.options.topic, rows.map(snapshotMessage));
    this.published += rows.length;
  }

  private async applyOnce(batch: readonly RecordedEvent[]): Promise<void> {
    const client = await this.pool.connect();
    try {
      await inTransaction(client, async () => {
        const done: AllPosition = await this.store.loadCheckpoint(ACCOUNTS_CHECKPOINT, client);
        const fresh = batch.filter((e) => comparePositions(positionOf(e), done) > 0);
        if (fresh.length === 0) return;
        for (const event of fresh) await applyAccountEvent(client, event);
        await this.store.saveCheckpoint(ACCOUNTS_CHECKPOINT, positionOf(fresh[fresh.length - 1]), client);
      });
    } finally {
      client.release();
    }
  }
}
