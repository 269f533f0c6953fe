import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '@meridian/contracts/identity';
import type { Admission, RequestBudget } from '@meridian/gateway/util-auth';
import { GATEWAY_SETTINGS, type GatewaySettings } from './gateway.config';
import { type BucketLimit, RateLimiter } from './rate-limit';

/**
 * Requests per principal: one token bucket in Redis per `<tenant>/<subject>`, shared by every
 * gateway instance, one token per request. The limit is the tenant's override if it has one
 * (GATEWAY_RATE_TENANT_OVERRIDES), else the default (GATEWAY_RATE_REQUESTS_PER_S, GATEWAY_RATE_BURST),
 * generous enough that only a runaway client meets it. Fails open with Redis, as `RateLimiter` does.
 */
@Injectable()
export class PrincipalRateLimit implements RequestBudget {
  constructor(
    private readonly limiter: RateLimiter,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
  ) {}

  admit(principal: Principal): Promise<Admission> {
    return this.limiter.take(
      `principal:${principal.tenantId}/${principal.subject}`,
      1,
      this.limitOf(principal.tenantId),
    );
  }

  describe(tenantId: string): string {
    const { ratePerSecond, burst } = this.limitOf(tenantId);
    return `${ratePerSecond} requests/s (bursts of ${burst})`;
  }

  limitOf(tenantId: string): BucketLimit {
    const { requestRate, requestRateOverrides } = this.settings;
    return Object.hasOwn(requestRateOverrides, tenantId) ? requestRateOverrides[tenantId] : requestRate;
  }
}
