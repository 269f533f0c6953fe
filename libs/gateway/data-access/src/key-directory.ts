import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { type CryptoKey, importJWK } from 'jose';
import type { Logger } from 'pino';
import { parseData, Topics } from '@meridian/contracts/core';
import { SigningKeyV1 } from '@meridian/contracts/identity';
import type { KeyLookup, SigningKeys } from '@meridian/gateway/util-auth';
import type { MessageBus } from '@meridian/shared/messaging';
import { BUS, LOGGER } from '@meridian/shared/service-kit';
import { GATEWAY_SETTINGS, type GatewaySettings } from './gateway.config';
import { TopicReplay } from './topic-replay';

interface KnownKey {
  readonly key: CryptoKey;
  readonly issuer: string;
  /** Epoch ms. */
  readonly activatesAt: number;
  /** Epoch ms; null: no end set (the key has not been retired). */
  readonly expiresAt: number | null;
}

/**
 * Identity's public token-signing keys, from the compacted `meridian.identity.keys` topic (keyed
 * by kid: the latest state of a key replaces the one before). A key verifies tokens from its
 * `activatesAt` until its `expiresAt` (its retirement plus the longest token lifetime), so
 * rotation needs no coordination: a new key is published before it signs, and a retired one keeps
 * verifying the tokens it signed until they have all expired.
 */
@Injectable()
export class KeyDirectory implements SigningKeys, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly keys = new Map<string, KnownKey>();
  private readonly replay: TopicReplay;

  constructor(
    @Inject(BUS) bus: MessageBus,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(GATEWAY_SETTINGS) settings: GatewaySettings,
  ) {
    this.replay = new TopicReplay(bus, {
      topic: Topics.identityKeys,
      name: 'keys',
      instanceId: settings.instanceId,
      log: logger,
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.replay.start(
      async (event) => {
        if (event.type !== SigningKeyV1.type) return;
        const data = parseData(SigningKeyV1, event);
        const key = await importJWK(data.jwk, 'ES256');
        if (key instanceof Uint8Array) throw new Error(`key ${data.jwk.kid} is not an EC key`);
        const known = this.keys.has(data.jwk.kid);
        this.keys.set(data.jwk.kid, {
          key,
          issuer: data.issuer,
          activatesAt: Date.parse(data.activatesAt),
          expiresAt: data.expiresAt === null ? null : Date.parse(data.expiresAt),
        });
        if (this.replay.ready) this.logger.info({ kid: data.jwk.kid, known }, 'signing key published');
      },
      () => ({ keys: this.keys.size }),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.replay.stop();
  }

  get ready(): boolean {
    return this.replay.ready;
  }

  keyFor(kid: string, now: Date): KeyLookup {
    const known = this.keys.get(kid);
    if (!known) return { usable: false, reason: `no signing key ${kid} is known` };
    const at = now.getTime();
    if (at < known.activatesAt) return { usable: false, reason: `signing key ${kid} is not active yet` };
    if (known.expiresAt !== null && at >= known.expiresAt) {
      return { usable: false, reason: `signing key ${kid} expired` };
    }
    return { usable: true, key: known.key, issuer: known.issuer };
  }
}
