import type { ServerResponse } from 'node:http';
import { ErrorCodes } from '@meridian/contracts/core';
import { problemFromCode } from '@meridian/gateway/util-http';
import type { Log } from '@meridian/shared/util';
import { missedSince, type StreamLog } from '../stream-log';
import { compareEntryIds } from './event-id';
import { type ClientLimits, SseClient } from './sse-client';
import type { StreamHub } from './stream-hub';
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
 * `Last-Event-ID` (say `event: gap` first if some of it is gone) and then goes live.
 */
export class LiveStreams {
  constructor(
    private readonly hub: StreamHub,
    private readonly streams: StreamLog,
    private readonly limits: ClientLimits & { readonly retentionMs: number },
    private readonly log: Log,
  ) {}

  async prepare(request: StreamRequest): Promise<StartStream> {
    const { tenantId, lastEventId } = request;
    const client = new SseClient(request.filter, this.limits, lastEventId);
    let gap = false;
    let resumeFrom = lastEventId;
    try {
      await this.hub.attach(tenantId, client);
      if (lastEventId !== undefined) {
        const state = await this.streams.state(tenantId);
        gap = missedSince(state, lastEventId);
        // An id this stream never generated (a lost Redis, a forged id) cannot be resumed from.
        if (state && compareEntryIds(lastEventId, state.lastGeneratedId) > 0) resumeFrom = undefined;
      }
    } catch (err) {
      client.close();
      this.log.warn({ tenantId, err: String(err) }, 'live stream refused: Redis unavailable');
      throw problemFromCode(ErrorCodes.upstreamUnavailable, 'live streams are unavailable; retry shortly');
    }
    return (res, headers) => {
      client.open(res, headers);
      if (gap && lastEventId !== undefined) client.gap(lastEventId, this.limits.retentionMs, resumeFrom !== undefined);
      if (resumeFrom === undefined) client.goLive();
      else void this.replay(tenantId, client, resumeFrom);
      return client;
    };
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
