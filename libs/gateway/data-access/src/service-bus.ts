import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import {
  CommandReplyV1,
  type CommandReply,
  ErrorCodes,
  type MessageContract,
  parseData,
  QueryReplyV1,
  Topics,
} from '@meridian/contracts/core';
import { type MessageBus, RequestReplyClient } from '@meridian/shared/messaging';
import { BUS, LOGGER, logContext } from '@meridian/shared/service-kit';
import { GATEWAY_SETTINGS, type GatewaySettings } from './gateway.config';
import { problemFromCode } from '@meridian/gateway/util-http';

export type CommandOutcome = CommandReply | { readonly outcome: 'pending'; readonly correlationId: string };

/** The gateway's side of request–reply: commands to workflow, queries to geo-query. */
@Injectable()
export class ServiceBus implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly client: RequestReplyClient;

  constructor(
    @Inject(BUS) private readonly bus: MessageBus,
    @Inject(LOGGER) logger: Logger,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
  ) {
    this.client = new RequestReplyClient(bus, 'gateway', settings.instanceId, logger);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.client.start();
  }

  /** After the HTTP server closed: requests still in flight during its close get their replies. */
  async onApplicationShutdown(): Promise<void> {
    await this.client.stop();
  }

  /** Accepted (with the new version), rejected (with a stable code) or still pending after the timeout. */
  async command(contract: MessageContract, key: string, data: unknown, tenantId: string, commandId: string): Promise<CommandOutcome> {
    const outcome = await this.client.request(
      {
        id: commandId,
        topic: Topics.workflowCommands,
        key,
        type: contract.type,
        dataschema: contract.dataschema,
        data,
        tenantId,
        correlationId: this.correlation(commandId),
      },
      this.settings.commandTimeoutMs,
    );
    if (outcome.status === 'timeout') return { outcome: 'pending', correlationId: outcome.correlationId };
    return parseData(CommandReplyV1, outcome.reply);
  }

  /** The query result, or a problem: the stable error code of geo-query, or 504 after the timeout. */
  async query(contract: MessageContract, data: unknown, tenantId: string): Promise<unknown> {
    const outcome = await this.client.request(
      { topic: Topics.geoQueryRequests, key: null, type: contract.type, dataschema: contract.dataschema, data, tenantId, correlationId: this.correlation() },
      this.settings.queryTimeoutMs,
    );
    if (outcome.status === 'timeout') {
      throw problemFromCode(ErrorCodes.upstreamTimeout, `geo-query did not answer within ${this.settings.queryTimeoutMs} ms`);
    }
    const reply = parseData(QueryReplyV1, outcome.reply);
    if (reply.outcome === 'error') throw problemFromCode(reply.code, reply.detail);
    return reply.result;
  }

  async publish(topic: string, messages: Parameters<MessageBus['send']>[1]): Promise<void> {
    await this.bus.send(topic, messages);
  }

  /** Requests carry the HTTP request's correlation id when there is one. */
  private correlation(fallback?: string): string | undefined {
    return logContext.getStore()?.correlationId ?? fallback;
  }
}
