import type { Envelope } from '@meridian/contracts/core';
import { type MessageBus, Subscription } from '@meridian/shared/messaging';
import type { Log } from '@meridian/shared/util';
import type { StreamLog } from '../stream-log';
import type { TenantEvent } from '../stream-event';
import { type PositionData, type RelayRecord, relayRecordOf } from './relay-records';
import { type Offered, Throttle } from './throttle';

export interface RelayOptions {
  readonly groupId: string;
  readonly positionsTopic: string;
  readonly eventsTopic: string;
  readonly positionIntervalMs: number;
  /** Records older than this (by their CloudEvents time) are not relayed: they could never be resumed. */
  readonly retentionMs: number;
  readonly log: Log;
}

const positionEvent = (tenantId: string, data: PositionData): TenantEvent => ({ tenantId, event: 'position', data });

/**
 * Kafka → the tenants' Redis streams. One consumer group shared by every gateway instance, so each
 * record is relayed once; offsets are committed only after the MULTI that appends its events
 * succeeded (Redis away: the batch is retried until it passes, nothing acknowledged is lost). A
 * record that breaks its contract is skipped, logged and counted; it never stalls a partition.
 * Positions are throttled per asset (`Throttle`); the trailing ones go out from a timer.
 */
export class StreamRelay {
  private readonly throttle: Throttle<TenantEvent>;
  private subscription: Subscription | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  /** Batches and trailing flushes take turns: the throttle's two phases must not interleave. */
  private turn: Promise<void> = Promise.resolve();
  skipped = 0;
  relayed = 0;

  constructor(
    private readonly bus: MessageBus,
    private readonly streams: StreamLog,
    private readonly options: RelayOptions,
  ) {
    this.throttle = new Throttle(options.positionIntervalMs);
  }

  async start(): Promise<void> {
    this.subscription = new Subscription(this.bus, {
      groupId: this.options.groupId,
      topics: [this.options.positionsTopic, this.options.eventsTopic],
      // A live feed: a new group starts at the end, not at a week of history.
      fromBeginning: false,
      deadLetter: false,
      log: this.options.log,
    });
    if (this.options.positionIntervalMs > 0) {
      const every = Math.max(50, Math.min(this.options.positionIntervalMs, 250));
      this.flushTimer = setInterval(() => void this.flushHeld(), every);
      this.flushTimer.unref();
    }
    await this.subscription.runBatch(
      (envelope) => this.parse(envelope),
      (records) => this.inTurn(() => this.relay(records)),
    );
  }

  async stop(): Promise<void> {
    if (this.flushTimer) clearInterval(this.flushTimer);
    await this.subscription?.stop();
    await this.turn;
  }

  private parse(envelope: Envelope): RelayRecord | null {
    if (Date.parse(envelope.time) < Date.now() - this.options.retentionMs) return null;
    try {
      return relayRecordOf(envelope);
    } catch (err) {
      this.skipped++;
      throw err; // the subscription logs it with its offset and goes on
    }
  }

  private async relay(records: readonly (RelayRecord | null)[]): Promise<void> {
    const offered: Offered<TenantEvent>[] = [];
    const events: TenantEvent[] = [];
    for (const record of records) {
      if (!record) continue;
      events.push(...record.events);
      for (const p of record.positions) {
        offered.push({
          key: `${record.tenantId}|${p.assetId}`,
          at: Date.parse(p.ts),
          value: positionEvent(record.tenantId, p),
        });
      }
    }
    const decision = this.throttle.offer(offered, Date.now());
    await this.streams.append([...decision.send, ...events]);
    decision.apply();
    this.relayed += decision.send.length + events.length;
  }

  private async flushHeld(): Promise<void> {
    if (this.throttle.held === 0) return;
    await this.inTurn(async () => {
      const decision = this.throttle.due(Date.now());
      if (decision.send.length === 0) return;
      try {
        await this.streams.append(decision.send);
        decision.apply();
        this.relayed += decision.send.length;
      } catch (err) {
        // Held positions stay held (a newer fix may replace them); the next tick tries again.
        this.options.log.warn(
          { err: String(err), held: decision.send.length },
          'stream relay: trailing positions not appended',
        );
      }
    });
  }

  private inTurn(work: () => Promise<void>): Promise<void> {
    const run = this.turn.then(work);
    this.turn = run.catch(() => undefined);
    return run;
  }
}
