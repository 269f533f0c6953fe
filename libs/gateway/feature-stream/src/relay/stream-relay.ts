import { type Envelope, MeridianHeaders } from '@meridian/contracts/core';
import { MissionCreatedV1 } from '@meridian/contracts/missions';
import { type MessageBus, type Origin, Subscription } from '@meridian/shared/messaging';
import type { Log } from '@meridian/shared/util';
import { type RelayedMark, relayedKey, type StreamLog } from '../stream-log';
import type { TenantEvent } from '../stream-event';
import { DEFAULT_MISSION_AREA_LIMITS, type MissionAreaLimits, MissionAreas } from './mission-areas';
import { type PositionData, type RelayRecord, relayRecordOf } from './relay-records';
import { type Offered, Throttle } from './throttle';

export interface RelayOptions {
  readonly groupId: string;
  readonly positionsTopic: string;
  readonly eventsTopic: string;
  /** Mission integration events (`meridian.workflow.events`); without it, no mission events. */
  readonly missionsTopic?: string;
  /** How many mission areas the relay remembers (`MissionAreas`). */
  readonly missionAreas?: MissionAreaLimits;
  readonly positionIntervalMs: number;
  /** Records older than this (by their CloudEvents time) are not relayed: they could never be resumed. */
  readonly retentionMs: number;
  readonly log: Log;
  /** Tenants to relay; records of others are passed over undecoded. Without it, every tenant. */
  readonly watching?: { has(tenantId: string): boolean };
}

/**
 * A record of a tenant nobody watches is skipped, except a mission's creation, whose area the relay
 * must learn for the mission's later events; one without a tenant goes on, to be refused as poison.
 */
const acceptWatched =
  (watching: { has(tenantId: string): boolean }) =>
  (headers: Readonly<Record<string, string>>): boolean => {
    const tenantId = headers[MeridianHeaders.tenantId];
    return tenantId === undefined || watching.has(tenantId) || headers['ce_type'] === MissionCreatedV1.type;
  };

const positionEvent = (tenantId: string, data: PositionData): TenantEvent => ({ tenantId, event: 'position', data });

/**
 * Kafka → the tenants' Redis streams. One consumer group shared by every gateway instance, so each
 * record is relayed once; offsets are committed only after the MULTI that appends its events
 * succeeded (Redis away: the batch is retried until it passes, nothing acknowledged is lost). The
 * same MULTI records each partition's highest offset appended, and records at or below it are
 * skipped: a batch redelivered because the process died between the MULTI and the Kafka commit is
 * not appended twice. A record that breaks its contract is skipped, logged and counted; it never
 * stalls a partition. Positions are throttled per asset (`Throttle`); the trailing ones go out
 * from a timer, and everything still held goes out when the relay stops. Mission events go out
 * with their mission's area, remembered from its creation (`MissionAreas`: a mission's events share
 * its partition, so the relay that reads them saw it created, unless it started or took the
 * partition over later).
 */
export class StreamRelay {
  private readonly throttle: Throttle<TenantEvent>;
  private readonly areas: MissionAreas;
  private subscription: Subscription | null = null;
  /** Kafka cluster id and consumer group: the scope of the relayed-offset marks. */
  private markScope = '';
  private flushTimer: NodeJS.Timeout | null = null;
  /** Batches and trailing flushes take turns: the throttle's two phases must not interleave. */
  private turn: Promise<void> = Promise.resolve();
  skipped = 0;
  relayed = 0;
  /** Records not appended again because their partition's recorded offset was at or past them. */
  duplicates = 0;

  constructor(
    private readonly bus: MessageBus,
    private readonly streams: StreamLog,
    private readonly options: RelayOptions,
  ) {
    this.throttle = new Throttle(options.positionIntervalMs);
    this.areas = new MissionAreas(options.missionAreas ?? DEFAULT_MISSION_AREA_LIMITS);
  }

  async start(): Promise<void> {
    // Offsets mean something only within one Kafka cluster: the marks are kept per cluster, so a
    // Redis shared by two clusters (or a cluster rebuilt) never takes one's offsets for the other's.
    const { clusterId } = await (await this.bus.admin()).describeCluster();
    this.markScope = `${clusterId}:${this.options.groupId}`;
    this.subscription = new Subscription(this.bus, {
      groupId: this.options.groupId,
      topics: [
        this.options.positionsTopic,
        this.options.eventsTopic,
        ...(this.options.missionsTopic ? [this.options.missionsTopic] : []),
      ],
      // A live feed: a new group starts at the end, not at a week of history.
      fromBeginning: false,
      deadLetter: false,
      log: this.options.log,
      ...(this.options.watching ? { accept: acceptWatched(this.options.watching) } : {}),
    });
    if (this.options.positionIntervalMs > 0) {
      const every = Math.max(50, Math.min(this.options.positionIntervalMs, 250));
      this.flushTimer = setInterval(() => void this.flushHeld(), every);
      this.flushTimer.unref();
    }
    await this.subscription.runBatch(
      (envelope) => this.parse(envelope),
      (records, origins) => this.inTurn(() => this.relay(records, origins)),
    );
  }

  /**
   * Held positions belong to records whose offsets are committed, so they are appended before the
   * relay lets go of its partitions (and once more after, for what the last batch held); Redis
   * away then, they are lost, as in a crash (logged).
   */
  async stop(): Promise<void> {
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.flushTimer = null;
    await this.inTurn(() => this.flushAll());
    await this.subscription?.stop();
    await this.turn;
    await this.inTurn(() => this.flushAll());
  }

  /** Positions held for a trailing send. */
  get held(): number {
    return this.throttle.held;
  }

  private parse(envelope: Envelope): RelayRecord | null {
    if (Date.parse(envelope.time) < Date.now() - this.options.retentionMs) return null;
    try {
      const record = relayRecordOf(envelope, this.areas);
      // A mission created in a tenant nobody watches: its area is learned, nothing is relayed.
      return !this.options.watching || this.options.watching.has(record.tenantId) ? record : null;
    } catch (err) {
      this.skipped++;
      throw err; // the subscription logs it with its offset and goes on
    }
  }

  private async relay(records: readonly (RelayRecord | null)[], origins: readonly Origin[]): Promise<void> {
    const keyOf = (o: Origin) => relayedKey(this.markScope, o.topic, o.partition);
    const done = await this.streams.relayedOffsets([...new Set(origins.map(keyOf))]);
    const marks = new Map<string, bigint>();
    const offered: Offered<TenantEvent>[] = [];
    const events: TenantEvent[] = [];
    for (const [i, record] of records.entries()) {
      const origin = origins[i];
      if (!origin) continue;
      const key = keyOf(origin);
      const offset = BigInt(origin.offset);
      const upTo = done.get(key);
      if (upTo !== undefined && offset <= upTo) {
        this.duplicates++;
        continue;
      }
      if (offset > (marks.get(key) ?? -1n)) marks.set(key, offset);
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
    const relayed: RelayedMark[] = [...marks].map(([key, offset]) => ({ key, offset }));
    await this.streams.append([...decision.send, ...events], Date.now(), relayed);
    decision.apply();
    this.relayed += decision.send.length + events.length;
  }

  private async flushHeld(): Promise<void> {
    if (this.throttle.held === 0) return;
    // Held positions stay held when Redis refuses (a newer fix may replace them); the next tick tries again.
    await this.inTurn(() => this.appendHeld(this.throttle.due(Date.now()), 'trailing positions not appended'));
  }

  private flushAll(): Promise<void> {
    return this.appendHeld(this.throttle.all(Date.now()), 'held positions not appended at stop');
  }

  /** Appends the positions a throttle decision releases; a Redis failure is logged, not thrown. */
  private async appendHeld(decision: ReturnType<Throttle<TenantEvent>['all']>, failure: string): Promise<void> {
    if (decision.send.length === 0) return;
    try {
      await this.streams.append(decision.send);
      decision.apply();
      this.relayed += decision.send.length;
    } catch (err) {
      this.options.log.warn({ err: String(err), held: decision.send.length }, `stream relay: ${failure}`);
    }
  }

  private inTurn(work: () => Promise<void>): Promise<void> {
    const run = this.turn.then(work);
    this.turn = run.catch(() => undefined);
    return run;
  }
}
