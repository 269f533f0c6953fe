import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type RequestHandler } from 'express';
import type { IdentityDirectory } from '@meridian/identity/domain';
import { type HttpMetrics, metricsFor } from '@meridian/shared/metrics';
import type { Log } from '@meridian/shared/util';
import { type FederationLinks, noFederation } from '../interactions/federation';
import { interactionRouter, LoginCounters } from '../interactions/interaction.routes';
import type { OidcSettings } from '../oidc.config';
import type { ProviderHost } from '../provider/provider-host';
import { requestTiming } from './request-timing';

/**
 * Identity's public HTTP server (IDENTITY_OIDC_PORT): Express 5 with, in this order, the routers
 * other identity features mount with `use` (federation's login and callback), the interaction
 * pages (`/interaction/:uid`), and oidc-provider at the root (discovery, `/jwks`, `/auth`,
 * `/token`, …). Nothing else is served here; health and metrics stay on the management port.
 *
 * Extension point: inject `OidcHttpServer` and, before the application has bootstrapped (in
 * `onModuleInit`), call `use('/federation', router)`; a path-less `use(handler)` sees every
 * request first. `provider()` gives the current Provider for `interactionDetails` /
 * `interactionFinished` (finish a login with `{ login: { accountId: accountIdOf(tenant, userId) } }`).
 */
export class OidcHttpServer {
  private readonly mounted: { path: string; handlers: RequestHandler[] }[] = [];
  private federation: FederationLinks = noFederation;
  private server: Server | null = null;
  readonly counters = new LoginCounters();

  constructor(
    private readonly settings: OidcSettings,
    private readonly host: ProviderHost,
    private readonly directory: IdentityDirectory,
    private readonly log: Log,
    /** Where requests are timed: identity's HTTP histogram (only identity runs this server). */
    private readonly http: HttpMetrics = metricsFor('identity').http,
  ) {}

  /** Mounts routes before the interaction pages and the provider; only before the server starts. */
  use(path: string, ...handlers: RequestHandler[]): void {
    if (this.server) throw new Error('OidcHttpServer.use() after start: mount routes in onModuleInit');
    this.mounted.push({ path, handlers });
  }

  /** Which tenants offer "Log in with your organisation" on the login page (default: none). */
  setFederationLinks(links: FederationLinks): void {
    this.federation = links;
  }

  /** The Provider serving now (null until the first signing key is active). */
  provider() {
    return this.host.provider();
  }

  /** For the management app's readiness: up once the server listens and a key signs. */
  readiness(): Record<string, 'up' | 'down'> {
    return { oidc: this.server?.listening && this.host.provider() ? 'up' : 'down' };
  }

  /** The bound port (the configured one, or the one the system chose for port 0). */
  port(): number | null {
    const address = this.server?.address();
    return address && typeof address === 'object' ? (address as AddressInfo).port : null;
  }

  async start(): Promise<void> {
    const app = express();
    app.disable('x-powered-by');
    // First, so every response is timed, the mounted routers' and oidc-provider's alike.
    app.use(requestTiming(this.http));
    for (const { path, handlers } of this.mounted) app.use(path, ...handlers);
    app.use(
      '/interaction',
      interactionRouter({
        host: this.host,
        directory: this.directory,
        federation: () => this.federation,
        counters: this.counters,
        log: this.log,
      }),
    );
    app.use(this.host.handle);
    const server = createServer(app);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.settings.port, this.settings.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.log.info(
      { url: `http://${this.settings.host}:${this.port()}`, issuer: this.settings.issuer },
      'oidc listening',
    );
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      // A client holding a keep-alive connection open mid-request gets a second to finish.
      setTimeout(() => server.closeAllConnections(), 1000).unref();
    });
    this.server = null;
  }
}
