import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { firstValueFrom } from 'rxjs';
import {
  type CommandReply,
  CommandReplyV1,
  type DataOf,
  type Envelope,
  ErrorCodes,
  type MessageContract,
  parseData,
  QueryReplyV1,
  Topics,
  type WireMessage,
} from '@meridian/contracts/core';
import { actingPrincipalJson } from '@meridian/gateway/util-auth';
import { problemFromCode } from '@meridian/gateway/util-http';
import { type MessageBus, MeridianClientProxy, type Timing, withTraceparentHeader } from '@meridian/shared/messaging';
import { BUS, LOGGER, logContext } from '@meridian/shared/service-kit';
import { GATEWAY_SETTINGS, type GatewaySettings } from './gateway.config';

/** The acting principal, when the request has one, as the request pattern's `principal`. */
const principalHeader = (): { principal?: string } => {
  const principal = actingPrincipalJson();
  return principal === undefined ? {} : { principal };
};

export type CommandOutcome = CommandReply | { readonly outcome: 'pending'; readonly correlationId: string };

export interface CommandOptions {
  /** The service's command topic: workflow's unless given (identity's for the admin API). */
  readonly topic?: string;
  /** Times the command hop by hop (`CommandTimings.begin`); the reply's marks are added to it. */
  readonly timing?: Timing;
}

/**
 * The gateway's side of request–reply, through the Nest ClientProxy of the Meridian transport:
 * commands to workflow, queries to geo-query, and telemetry onto its topic. Every command and
 * query carries the acting principal (`principal`: JSON of `Principal`, the `meridian-principal`
 * header), taken from the request's acting scope (util-auth `actingPrincipalJson`), which the
 * authentication hook fills: controllers pass the tenant as before and cannot forget the principal.
 * Outside an authenticated request there is none, and services refuse such a request.
 */
@Injectable()
export class ServiceBus implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly client: MeridianClientProxy;

  constructor(
    @Inject(BUS) private readonly bus: MessageBus,
    @Inject(LOGGER) logger: Logger,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
  ) {
    this.client = new MeridianClientProxy(bus, {
      service: 'gateway',
      instance: settings.instanceId,
      log: logger,
      // Reply topics of gateway processes that died without deleting theirs go after an hour.
      pruneStale: { olderThanMs: 60 * 60 * 1000 },
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.client.connect();
  }

  /** After the HTTP server closed: requests still in flight during its close get their replies. */
  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }

  /** Accepted (with the new version), rejected (with a stable code) or still pending after the timeout. */
  async command<C extends MessageContract>(
    contract: C,
    key: string,
    data: DataOf<C>,
    tenantId: string,
    commandId: string,
    options: CommandOptions = {},
  ): Promise<CommandOutcome> {
    const outcome = await firstValueFrom(
      this.client.send(
        {
          contract,
          topic: options.topic ?? Topics.workflowCommands,
          key,
          tenantId,
          ...principalHeader(),
          id: commandId,
          correlationId: this.correlation(commandId),
          timeoutMs: this.settings.commandTimeoutMs,
          ...(options.timing ? { timing: options.timing } : {}),
        },
        data,
      ),
    );
    if (outcome.status === 'timeout') return { outcome: 'pending', correlationId: outcome.correlationId };
    return parseData(CommandReplyV1, outcome.reply);
  }

  /** The query result, or a problem: the stable error code of geo-query, or 504 after the timeout. */
  /**
   * A request answered with a query reply: geo-query's unless `options.topic` names another service's
   * request topic (projection's for webhooks).
   */
  async query<C extends MessageContract>(
    contract: C,
    data: DataOf<C>,
    tenantId: string,
    options: { readonly topic?: string } = {},
  ): Promise<unknown> {
    const reply = parseData(QueryReplyV1, await this.ask(contract, data, tenantId, options.topic));
    if (reply.outcome === 'error') throw problemFromCode(reply.code, reply.detail);
    return reply.result;
  }

  /**
   * A query answered with bytes (a vector tile): the value of a reply of type `binaryType`, sent in
   * CloudEvents binary mode; a query reply error is a problem, as for `query`.
   */
  async queryBinary<C extends MessageContract>(
    contract: C,
    data: DataOf<C>,
    tenantId: string,
    binaryType: string,
  ): Promise<Buffer> {
    const envelope = await this.ask(contract, data, tenantId);
    if (envelope.type === binaryType && Buffer.isBuffer(envelope.data)) return envelope.data;
    const reply = parseData(QueryReplyV1, envelope);
    if (reply.outcome === 'error') throw problemFromCode(reply.code, reply.detail);
    throw problemFromCode(ErrorCodes.internal, `geo-query answered ${contract.type} without ${binaryType}`);
  }

  private async ask<C extends MessageContract>(
    contract: C,
    data: DataOf<C>,
    tenantId: string,
    topic: string = Topics.geoQueryRequests,
  ): Promise<Envelope> {
    const correlationId = this.correlation();
    const outcome = await firstValueFrom(
      this.client.send(
        {
          contract,
          topic,
          key: null,
          tenantId,
          ...principalHeader(),
          ...(correlationId ? { correlationId } : {}),
          timeoutMs: this.settings.queryTimeoutMs,
        },
        data,
      ),
    );
    if (outcome.status === 'timeout') {
      const service = topic.split('.')[1] ?? topic;
      throw problemFromCode(
        ErrorCodes.upstreamTimeout,
        `${service} did not answer within ${this.settings.queryTimeoutMs} ms`,
      );
    }
    return outcome.reply;
  }

  /** Messages without a traceparent continue the HTTP request's trace (when tracing is on). */
  async publish(topic: string, messages: readonly WireMessage[]): Promise<void> {
    await this.bus.send(topic, withTraceparentHeader(messages));
  }

  /** Which partition each key maps to on `topic` (see MessageBus.partitionOfKey). */
  partitionerFor(topic: string): Promise<(key: string) => number> {
    return this.bus.partitionerFor(topic);
  }

  /** Requests carry the HTTP request's correlation id when there is one. */
  private correlation(fallback?: string): string | undefined {
    return logContext.getStore()?.correlationId ?? fallback;
  }
}
