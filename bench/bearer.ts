/**
 * The benchmarks' HTTP clients authenticate as any API client does: an access token from the
 * stack's identity (OAuth 2.0 client credentials for the tenant's bootstrap administrator
 * `<tenant>-admin`), sent as `Authorization: Bearer …`. `TokenSource` fetches the token and renews
 * it before it expires; `BearerHeader` keeps the current header at hand for the clients that build
 * requests synchronously (autocannon's `setupRequest`) or inside a timed section, where awaiting
 * the source would be measured with the request.
 */
import { TokenSource } from '@meridian/shared/testing';
import { say } from './harness';

/** IDENTITY_BOOTSTRAP_ADMIN_SECRET of the benchmarks' stacks: the secret of every `<tenant>-admin`. */
export const BENCH_TENANT_ADMIN_SECRET = 'bench-tenant-admin-secret';
/** IDENTITY_PLATFORM_CLIENT_SECRET of the benchmarks' stacks (not used by a benchmark; not the dev default). */
export const BENCH_PLATFORM_SECRET = 'bench-platform-admin-secret';

export const tenantAdminClientId = (tenant: string): string => `${tenant}-admin`;

/** Client credentials of the tenant's bootstrap administrator at `issuer`. */
export const tenantAdminTokens = (issuer: string, tenant: string): TokenSource =>
  new TokenSource({ issuer, clientId: tenantAdminClientId(tenant), clientSecret: BENCH_TENANT_ADMIN_SECRET });

/**
 * How often the held header is refreshed from the source. The source hands out a new token 30 s
 * before the old one expires, so the header read between two refreshes has at least 25 s left.
 */
const REFRESH_MS = 5000;

/** The current `{ authorization: 'Bearer …' }` of a TokenSource, readable without awaiting. */
export class BearerHeader {
  private current: Readonly<Record<string, string>> | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(readonly source: TokenSource) {}

  /** Fetches the first token (throws when identity refuses), then refreshes every few seconds. */
  async start(): Promise<void> {
    this.current = await this.source.headers();
    if (this.timer) return;
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
    this.timer.unref();
  }

  get(): Readonly<Record<string, string>> {
    if (!this.current) throw new Error('no access token yet (BearerHeader.start() first)');
    return this.current;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async refresh(): Promise<void> {
    try {
      this.current = await this.source.headers();
    } catch (err) {
      say(`  access token renewal failed (tried again in ${REFRESH_MS / 1000} s): ${(err as Error).message}`);
    }
  }
}
