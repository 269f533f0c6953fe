import type { Pool, PoolClient } from 'pg';
import { type Log, openSecret, sealSecret } from '@meridian/shared/util';
import type { OidcSettings } from '../oidc.config';
import type { PrivateSigningJwk, ProviderKeys } from '../provider/build-provider';
import { generateSigningKey } from './key-material';
import type { KeyPublisher } from './key-publisher';
import {
  deleteKeysExpiredBefore,
  insertKey,
  liveKeys,
  retireKey,
  type StoredKey,
  withKeyLock,
} from './signing-key.store';

const DAY_MS = 86_400_000;
/** After a failed tick (database or broker away), the next try comes sooner than a reload. */
const RETRY_MS = 5000;

export interface RotationResult {
  readonly key: StoredKey;
  /** True when a rotation was already under way and this request joined it. */
  readonly joined: boolean;
}

const isActive = (k: StoredKey, now: Date): boolean => k.retiredAt === null && k.activatesAt <= now;
const isPending = (k: StoredKey, now: Date): boolean => k.retiredAt === null && k.activatesAt > now;
const newestFirst = (a: StoredKey, b: StoredKey): number => b.activatesAt.getTime() - a.activatesAt.getTime();
const stateOf = (k: StoredKey): string => `${k.activatesAt.toISOString()}|${k.retiredAt?.toISOString() ?? ''}`;

/**
 * Identity's token-signing keys. A key is pending (published, not signing yet), active (the newest
 * active key signs), retired (verifies until `expiresAt`) or expired. Every change is published on
 * the keys topic inside the transaction that makes it, under an advisory lock, so one instance
 * changes the ring at a time and a key is on the topic before it can ever sign.
 *
 * Every instance rereads the table every reload interval and at each key's activation and expiry,
 * and hands the resulting key set to its listeners (the provider host, which rebuilds the
 * Provider when the set changed).
 */
export class SigningKeyRing {
  private keys: readonly StoredKey[] = [];
  private readonly opened = new Map<string, PrivateSigningJwk>();
  private readonly unopenable = new Set<string>();
  /** The state of each key as this instance last published it: at start, every live key is republished. */
  private readonly published = new Map<string, string>();
  private readonly listeners: ((keys: ProviderKeys | null) => void)[] = [];
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private lastCleanup = 0;

  constructor(
    private readonly pool: Pool,
    private readonly publisher: KeyPublisher,
    private readonly settings: OidcSettings,
    private readonly log: Log,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  onChange(listener: (keys: ProviderKeys | null) => void): void {
    this.listeners.push(listener);
  }

  /** Creates the first key if there is none, republishes every live key, and keeps the ring current. */
  async start(): Promise<void> {
    this.running = true;
    await this.refresh(true);
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** The keys the provider serves now: null while no key is active (the very first start). */
  providerKeys(now = this.clock()): ProviderKeys | null {
    const live = this.keys.filter((k) => k.expiresAt === null || k.expiresAt > now);
    const signer = live.filter((k) => isActive(k, now)).sort(newestFirst)[0];
    const signerJwk = signer ? this.open(signer) : null;
    if (!signer || !signerJwk) return null;
    const others = live
      .filter((k) => k !== signer)
      .sort(newestFirst)
      .flatMap((k) => this.open(k) ?? []);
    return { signer: signerJwk, others };
  }

  /** The ring as this instance last read it. */
  snapshot(): readonly StoredKey[] {
    return this.keys;
  }

  /**
   * Starts a rotation: the next key is created and published now, and signs once the activation
   * delay has passed (every instance switches then; the old key is retired at the same time).
   */
  async rotate(reason: string): Promise<RotationResult> {
    const result = await withKeyLock(this.pool, true, async (client) => {
      const now = this.clock();
      const pending = (await liveKeys(client, now)).filter((k) => isPending(k, now)).sort(newestFirst)[0];
      if (pending) return { key: pending, joined: true };
      return { key: await this.create(client, now, reason), joined: false };
    });
    if (!result) throw new Error('key lock not taken');
    await this.refresh(false);
    return result;
  }

  /** Rereads (and, holding the lock, reconciles) the ring now; ticks never overlap. */
  refresh(waitForLock: boolean): Promise<void> {
    const run = this.chain.then(() => this.tick(waitForLock));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async tick(waitForLock: boolean): Promise<void> {
    let nextInMs = this.settings.reloadMs;
    try {
      await withKeyLock(this.pool, waitForLock, (client) => this.reconcile(client, this.clock()));
      const now = this.clock();
      this.keys = await liveKeys(this.pool, now);
      await this.republish();
      const keys = this.providerKeys(now);
      for (const listener of this.listeners) listener(keys);
      nextInMs = this.nextEventInMs(now);
    } catch (err) {
      nextInMs = Math.min(RETRY_MS, this.settings.reloadMs);
      // Readiness says so while no key signs; the next tick tries again.
      this.log.warn({ err: (err as Error).message }, 'signing keys: refresh failed; retrying');
    } finally {
      this.schedule(nextInMs);
    }
  }

  /**
   * Under the lock: a first key when none is active or coming, retirement of every active key a
   * newer active key superseded, the scheduled rotation, and removal of long-expired rows.
   */
  private async reconcile(client: PoolClient, now: Date): Promise<void> {
    const keys = await liveKeys(client, now);
    const active = keys.filter((k) => isActive(k, now)).sort(newestFirst);
    const pending = keys.filter((k) => isPending(k, now));
    const signer = active[0];
    if (!signer && pending.length === 0) await this.create(client, now, 'first key');
    const retired: StoredKey[] = [];
    const expiresAt = new Date(now.getTime() + this.settings.retiredKeyLifetimeMs);
    for (const old of active.slice(1)) {
      await retireKey(client, old.kid, now, expiresAt);
      retired.push({ ...old, retiredAt: now, expiresAt });
    }
    if (retired.length) {
      await this.publishNow(retired);
      this.log.info({ kids: retired.map((k) => k.kid), expiresAt }, 'signing keys retired');
    }
    if (signer && pending.length === 0 && signer.activatesAt.getTime() + this.settings.rotationMs <= now.getTime()) {
      await this.create(client, now, 'scheduled rotation');
    }
    if (now.getTime() - this.lastCleanup > 3_600_000) {
      this.lastCleanup = now.getTime();
      await deleteKeysExpiredBefore(client, new Date(now.getTime() - DAY_MS));
    }
  }

  /** Inserts and publishes a key in the caller's transaction: it commits only if the broker has it. */
  private async create(client: PoolClient, now: Date, reason: string): Promise<StoredKey> {
    const fresh = await generateSigningKey();
    const key: StoredKey = {
      kid: fresh.kid,
      sealedPrivateJwk: sealSecret(this.settings.secretsKey, JSON.stringify(fresh.privateJwk)),
      publicJwk: fresh.publicJwk,
      createdAt: now,
      activatesAt: new Date(now.getTime() + this.settings.activationDelayMs),
      retiredAt: null,
      expiresAt: null,
    };
    await insertKey(client, key);
    await this.publishNow([key]);
    this.opened.set(key.kid, fresh.privateJwk);
    this.log.info({ kid: key.kid, activatesAt: key.activatesAt, reason }, 'signing key created');
    return key;
  }

  private async publishNow(keys: readonly StoredKey[]): Promise<void> {
    await this.publisher.publish(keys);
    for (const k of keys) this.published.set(k.kid, stateOf(k));
  }

  /** Publishes key states this instance has not published yet (all of them after a start). */
  private async republish(): Promise<void> {
    const stale = this.keys.filter((k) => this.published.get(k.kid) !== stateOf(k));
    if (stale.length === 0) return;
    try {
      await this.publishNow(stale);
    } catch (err) {
      this.log.warn({ err: (err as Error).message, kids: stale.map((k) => k.kid) }, 'signing keys: republish failed');
    }
  }

  /** The next activation or expiry, the next scheduled rotation, or the reload interval, whichever is first. */
  private nextEventInMs(now: Date): number {
    const t = now.getTime();
    const moments = this.keys.flatMap((k) => [k.activatesAt.getTime(), k.expiresAt?.getTime() ?? Infinity]);
    const signer = this.keys.filter((k) => isActive(k, now)).sort(newestFirst)[0];
    if (signer && !this.keys.some((k) => isPending(k, now))) {
      moments.push(signer.activatesAt.getTime() + this.settings.rotationMs);
    }
    const next = Math.min(t + this.settings.reloadMs, ...moments.filter((m) => m > t));
    // A few milliseconds late, so that the moment has passed on this clock.
    return Math.max(0, next - t) + 5;
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.refresh(false).catch(() => undefined);
    }, ms);
    this.timer.unref();
  }

  /**
   * The private JWK, or null when it does not open with this SECRETS_KEY (the key was changed, or
   * instances disagree): such a key is left out here and, as the signer, keeps the provider down
   * until a rotation (the command, or the schedule) brings a key this instance can open.
   */
  private open(key: StoredKey): PrivateSigningJwk | null {
    const cached = this.opened.get(key.kid);
    if (cached) return cached;
    try {
      const jwk = JSON.parse(openSecret(this.settings.secretsKey, key.sealedPrivateJwk)) as PrivateSigningJwk;
      this.opened.set(key.kid, jwk);
      return jwk;
    } catch (err) {
      if (!this.unopenable.has(key.kid)) {
        this.unopenable.add(key.kid);
        this.log.error(
          { kid: key.kid, err: (err as Error).message },
          'signing key does not open with SECRETS_KEY; rotate the keys (meridian.identity.keys.rotate.v1)',
        );
      }
      return null;
    }
  }
}
