/** Gateway settings the feature needs (validated in apps/gateway/src/config.ts). */
export interface GatewaySettings {
  readonly defaultTenant: string;
  readonly commandTimeoutMs: number;
  readonly queryTimeoutMs: number;
  readonly maxFixesPerRequest: number;
  readonly maxFixAgeMs: number;
  readonly maxFixFutureSkewMs: number;
  /** Telemetry ingest per tenant, in fixes: sustained rate and burst (token bucket in Redis). */
  readonly ingestRateFixesPerSecond: number;
  readonly ingestBurstFixes: number;
  readonly instanceId: string;
  /** Base of absolute links (`next`), e.g. http://127.0.0.1:8080. */
  readonly publicUrl: string;
}

export const GATEWAY_SETTINGS = Symbol('meridian.gateway-settings');
