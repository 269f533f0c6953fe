import type { AuthSettings } from '@meridian/gateway/util-auth';
import type { BucketLimit } from './rate-limit';

/** Gateway settings the feature needs (validated in apps/gateway/src/config.ts). */
export interface GatewaySettings {
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
  /** Access tokens: issuer, audience, clock tolerance, and the external issuers whose tokens are accepted. */
  readonly auth: AuthSettings;
  /** Requests per principal (token bucket in Redis), unless its tenant has an override. */
  readonly requestRate: BucketLimit;
  readonly requestRateOverrides: Readonly<Record<string, BucketLimit>>;
  /** SECRETS_KEY: passwords and client secrets are sealed with it before they go on Kafka. */
  readonly secretsKey: Buffer;
}

export const GATEWAY_SETTINGS = Symbol('meridian.gateway-settings');
