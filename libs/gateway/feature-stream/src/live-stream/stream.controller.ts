import { Controller, Get, Headers, Inject, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Principal } from '@meridian/contracts/identity';
import { Actor, PRINCIPAL_SOURCE, type PrincipalSource, RequirePermission } from '@meridian/gateway/util-auth';
import { LiveStreams } from './live-streams';
import { parseLastEventId, parseStreamQuery } from './stream-filter';
import { streamVisibility } from './stream-visibility';

const headersOf = (reply: FastifyReply): Record<string, string> =>
  Object.fromEntries(
    Object.entries(reply.getHeaders()).flatMap(([name, value]) =>
      value === undefined ? [] : [[name, Array.isArray(value) ? value.join(', ') : String(value)]],
    ),
  );

/**
 * `GET /v1/stream`: Server-Sent Events of the tenant's positions, geofence and mission events in a
 * bbox, each one only if the policy lets the principal read it (`streamVisibility`). Everything
 * refusable (query, Last-Event-ID, Redis away) is refused as problem+json before the stream
 * starts; then the response is taken from Fastify and written as events arrive.
 */
@Controller('v1/stream')
export class StreamController {
  constructor(
    private readonly live: LiveStreams,
    @Inject(PRINCIPAL_SOURCE) private readonly principals: PrincipalSource,
  ) {}

  @Get()
  @RequirePermission('positions:read')
  async stream(
    @Actor() actor: Principal,
    @Query() query: Record<string, unknown>,
    @Headers('last-event-id') lastEventIdHeader: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const { tenantId, subject } = actor;
    const visible = streamVisibility(tenantId, () => this.principals.get(tenantId, subject));
    const filter = { ...parseStreamQuery(query), visible };
    const lastEventId = parseLastEventId(lastEventIdHeader);
    // A client that leaves while the stream is prepared is detached at once: Node emits the
    // response's 'close' only once, and the stream's own listener comes later.
    const gone = new AbortController();
    const onClose = () => gone.abort();
    reply.raw.once('close', onClose);
    const start = await this.live
      .prepare({ tenantId, filter, ...(lastEventId ? { lastEventId } : {}) }, gone.signal)
      .finally(() => reply.raw.off('close', onClose));
    reply.hijack();
    start(reply.raw, headersOf(reply));
  }
}
