import type { ServerResponse } from 'node:http';
import type { WatchingTenants } from '../watching-tenants';
import { ErrorCodes } from '@meridian/contracts/core';
import { problemFromCode } from '@meridian/gateway/util-http';
import type { Log } from '@meridian/shared/util';
import { missedSince, type StreamLog } from '../stream-log';
import { compareEntryIds } from './event-id';
import { type ClientLimits, SseClient } from './sse-client';
import { StreamCapacityReached, type StreamHub, StreamHubClosing } from './stream-hub';
import type { StreamFilter } from './stream-filter';

const REPLAY_PAGE = 500;
/** A resuming client that takes no bytes for this long while its backlog is sent is dropped. */
const REPLAY_DRAIN_MS = 30_000;

export interface StreamRequest {
  readonly tenantId: string;
  readonly filter: StreamFilter;
  readonly lastEventId?: string;
}

/** Starts the stream on a response whose status has not been sent yet. */
export type StartStream = (res: ServerResponse, headers: Record<string, string>) => SseClient;

/**
 * Opens live streams in two steps, so that everything that can fail with a problem (Redis away)
 * fails before the response starts: `prepare` attaches the client to its tenant's reader and checks
 * the resume point; the returned function writes the stream, replays the backlog after
 * `Last-Event-ID` (say `event: gap` first if some of it is gone) and then goes live. `signal`
 * aborts when the client goes away meanwhile (the response's `close`, which Node emits once): the
 * client is detached at once and the returned function starts nothing.
 */
export class LiveStreams {
  constructor(
    private readonly hub: StreamHub,
    private readonly streams: StreamLog,
    private readonly limits: ClientLimits & { readonly retentionMs: number },
    private readonly log: Log,
    /** When given, a tenant is marked watched (so the relay relays it) before its stream starts. */
    private readonly watching?: WatchingTenants,
  ) {}

  async prepare(request: StreamRequest, signal?: AbortSignal): Promise<StartStream> {
    const { tenantId, lastEventId } = request;
    const client = new SseClient(request.filter, this.limits, lastEventId);
    const abandon = () => client.close();
    if (signal?.aborted) abandon();
    signal?.addEventListener('abort', abandon, { once: true });
    let gap = false;
    let resumeFrom = lastEventId;
    try {
      // A tenant nobody watched until now: wait until every relay has seen the mark, so the stream
      // starts with every event from then on.
      if (this.watching && (await this.watching.mark(tenantId))) {
        await new Promise((r) => setTimeout(r, this.watching?.settleMs));
      }
      if (!client.closed) await this.hub.attach(tenantId, client);
      if (lastEventId !== undefined && !client.closed) {
        const state = await this.streams.state(tenantId);
        gap = missedSince(state, lastEventId);
        // An id this stream never generated (a lost Redis, a forged id) or a stream that is gone
        // cannot be resumed from: everything that comes is new.
        if (!state || compareEntryIds(lastEventId, state.lastGeneratedId) > 0) resumeFrom = undefined;
      }
    } catch (err) {
      client.close();
      if (!signal?.aborted) throw this.refusal(tenantId, err);
    } finally {
      signal?.removeEventListener('abort', abandon);
    }
    // Closed while being prepared, not by its own client: the hub closed or its reader failed.
    if (client.closed && !signal?.aborted) {
      throw problemFromCode(ErrorCodes.upstreamUnavailable, 'live streams are unavailable; retry shortly');
    }
    return (res, headers) => {
      if (!client.open(res, headers)) return client;
      if (gap && lastEventId !== undefined) client.gap(lastEventId, this.limits.retentionMs, resumeFrom !== undefined);
      if (resumeFrom === undefined) client.goLive();
      else void this.replay(tenantId, client, resumeFrom);
      return client;
    };
  }

  private refusal(tenantId: string, err: unknown): Error {
    if (err instanceof StreamHubClosing) {
      return problemFromCode(ErrorCodes.upstreamUnavailable, 'this gateway is shutting down; retry');
    }
    if (err instanceof StreamCapacityReached) {
      this.log.warn({ tenantId, maxClients: err.maxClients }, 'live stream refused: instance at capacity');
      return problemFromCode(ErrorCodes.upstreamUnavailable, `${err.message}; retry shortly`);
    }
    this.log.warn({ tenantId, err: String(err) }, 'live stream refused: Redis unavailable');
    return problemFromCode(ErrorCodes.upstreamUnavailable, 'live streams are unavailable; retry shortly');
  }

  private async replay(tenantId: string, client: SseClient, from: string): Promise<void> {
    try {
      for (let after = from; !client.closed;) {
        const page = await this.streams.after(tenantId, after, REPLAY_PAGE);
        client.replay(page.events);
        if (page.next === null) break;
        after = page.next;
        if (!(await client.drained(REPLAY_DRAIN_MS))) client.drop('slow-client');
      }
      client.goLive();
    } catch (err) {
      this.log.warn({ tenantId, err: String(err) }, 'live stream resume failed');
      client.fail(ErrorCodes.upstreamUnavailable, 'resuming failed; reconnect with Last-Event-ID');
    }
  }
}
