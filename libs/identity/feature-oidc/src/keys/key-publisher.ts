import { randomUUID } from 'node:crypto';
import { type DataOf, Topics, toWire, type WireMessage } from '@meridian/contracts/core';
import { SigningKeyV1 } from '@meridian/contracts/identity';
import type { MessageBus } from '@meridian/shared/messaging';
import { stableUuid } from '@meridian/shared/util';
import type { StoredKey } from './signing-key.store';

/** The public state of a key as the keys topic carries it (never the private JWK). */
export function signingKeyData(issuer: string, key: StoredKey): DataOf<typeof SigningKeyV1> {
  return SigningKeyV1.schema.parse({
    issuer,
    jwk: key.publicJwk,
    createdAt: key.createdAt.toISOString(),
    activatesAt: key.activatesAt.toISOString(),
    retiredAt: key.retiredAt?.toISOString() ?? null,
    expiresAt: key.expiresAt?.toISOString() ?? null,
  });
}

/**
 * Publishes key states on the compacted `meridian.identity.keys` topic, keyed by kid. The CloudEvent
 * id is derived from the kid and state, so a republished state is recognisably the same message.
 */
export class KeyPublisher {
  constructor(
    private readonly bus: MessageBus,
    private readonly issuer: string,
  ) {}

  async publish(keys: readonly StoredKey[]): Promise<void> {
    if (keys.length === 0) return;
    await this.bus.send(
      Topics.identityKeys,
      keys.map((k) => this.message(k)),
    );
  }

  private message(key: StoredKey): WireMessage {
    const state = `${key.kid}:${key.activatesAt.toISOString()}:${key.retiredAt?.toISOString() ?? 'active'}`;
    const id = stableUuid(`signing-key:${this.issuer}:${state}`);
    return toWire(
      {
        id,
        type: SigningKeyV1.type,
        source: '/meridian/identity',
        time: new Date().toISOString(),
        dataschema: SigningKeyV1.dataschema,
        subject: key.kid,
        data: signingKeyData(this.issuer, key),
        correlationId: randomUUID(),
      },
      key.kid,
    );
  }
}
