import { z } from 'zod';

const MIB = 1024 * 1024;

/**
 * The live stream's settings, spread into the gateway's config schema (apps/gateway/src/config.ts)
 * and read back from the validated config here, so the feature owns its own knobs.
 */
export const streamEnv = {
  // At most one position per asset per interval reaches the stream (the newest wins; 0: every fix).
  GATEWAY_STREAM_POSITION_INTERVAL_MS: z.coerce.number().int().min(0).max(3_600_000).default(1000),
  // How far back `Last-Event-ID` resumes: older entries are trimmed from the tenant's Redis stream.
  GATEWAY_STREAM_RETENTION_MS: z.coerce.number().int().min(1000).max(86_400_000).default(300_000),
  // Cap on a tenant's Redis stream however young its entries (memory), approximate (`MAXLEN ~`).
  GATEWAY_STREAM_MAX_EVENTS_PER_TENANT: z.coerce.number().int().min(100).max(10_000_000).default(100_000),
  // Bytes a client may leave unread in the gateway before it is dropped with `event: dropped`.
  GATEWAY_STREAM_CLIENT_BUFFER_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 * MIB)
    .default(MIB),
  GATEWAY_STREAM_KEEPALIVE_MS: z.coerce.number().int().min(100).max(300_000).default(15_000),
  // The `retry:` hint: how long a browser waits before reconnecting.
  GATEWAY_STREAM_RETRY_MS: z.coerce.number().int().min(0).max(600_000).default(2000),
  // Live streams one gateway instance serves at once (every tenant); past it: 503 UPSTREAM.UNAVAILABLE.
  GATEWAY_STREAM_MAX_CLIENTS: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
};

const StreamEnv = z.object(streamEnv);

export interface StreamSettings {
  readonly positionIntervalMs: number;
  readonly retentionMs: number;
  readonly maxEventsPerTenant: number;
  readonly clientBufferBytes: number;
  readonly keepAliveMs: number;
  readonly retryMs: number;
  readonly maxClients: number;
}

export const STREAM_SETTINGS = Symbol('meridian.gateway.stream-settings');

/** From the gateway's validated config (or any object: missing settings take their defaults). */
export function streamSettingsOf(config: unknown): StreamSettings {
  const c = StreamEnv.parse(config ?? {});
  return {
    positionIntervalMs: c.GATEWAY_STREAM_POSITION_INTERVAL_MS,
    retentionMs: c.GATEWAY_STREAM_RETENTION_MS,
    maxEventsPerTenant: c.GATEWAY_STREAM_MAX_EVENTS_PER_TENANT,
    clientBufferBytes: c.GATEWAY_STREAM_CLIENT_BUFFER_BYTES,
    keepAliveMs: c.GATEWAY_STREAM_KEEPALIVE_MS,
    retryMs: c.GATEWAY_STREAM_RETRY_MS,
    maxClients: c.GATEWAY_STREAM_MAX_CLIENTS,
  };
}
