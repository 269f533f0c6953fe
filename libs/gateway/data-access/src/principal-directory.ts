import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { parseData, Topics } from '@meridian/contracts/core';
import { type Principal, PrincipalSnapshotV1 } from '@meridian/contracts/identity';
import type { PrincipalSource } from '@meridian/gateway/util-auth';
import type { MessageBus } from '@meridian/shared/messaging';
import { BUS, LOGGER } from '@meridian/shared/service-kit';
import { GATEWAY_SETTINGS, type GatewaySettings } from './gateway.config';
import { type PrincipalEntry, type PrincipalPage, PrincipalSnapshots } from './principal-snapshots';
import { TopicReplay } from './topic-replay';

/**
 * The current roles and attributes of every user and service account, from the compacted
 * `meridian.identity.principals` topic (keyed `<tenant>/<subject>`; `PrincipalSnapshots` keeps the
 * highest version). Snapshots published while the gateway runs take effect as soon as they are
 * read (a removed role is refused within the consumer's fetch latency, tens of milliseconds on a
 * local broker), not when the token expires.
 */
@Injectable()
export class PrincipalDirectory implements PrincipalSource, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly snapshots = new PrincipalSnapshots();
  private readonly replay: TopicReplay;

  constructor(
    @Inject(BUS) bus: MessageBus,
    @Inject(LOGGER) logger: Logger,
    @Inject(GATEWAY_SETTINGS) settings: GatewaySettings,
  ) {
    this.replay = new TopicReplay(bus, {
      topic: Topics.identityPrincipals,
      name: 'principals',
      instanceId: settings.instanceId,
      log: logger,
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.replay.start(
      (event) => {
        if (event.type === PrincipalSnapshotV1.type) this.snapshots.apply(parseData(PrincipalSnapshotV1, event));
      },
      () => ({ principals: this.snapshots.size }),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.replay.stop();
  }

  get ready(): boolean {
    return this.replay.ready;
  }

  get(tenantId: string, subject: string): Principal | undefined {
    return this.snapshots.get(tenantId, subject);
  }

  /** A principal of the tenant with its name, version and whether it is active (the admin API's reads). */
  entry(tenantId: string, subject: string): PrincipalEntry | undefined {
    return this.snapshots.entry(tenantId, subject);
  }

  /**
   * A page of a tenant's users or service accounts, disabled ones included, in subject order after
   * `after` (keyset paging: GET /v1/users, GET /v1/service-accounts).
   */
  list(tenantId: string, kind: Principal['kind'], limit: number, after?: string): PrincipalPage {
    return this.snapshots.list(tenantId, kind, limit, after);
  }
}
