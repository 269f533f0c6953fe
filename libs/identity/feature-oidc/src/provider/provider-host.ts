import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import { buildProvider, type ProviderDeps, type ProviderKeys } from './build-provider';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface Current {
  readonly provider: Provider;
  readonly handle: Handler;
  readonly fingerprint: string;
}

const fingerprintOf = (keys: ProviderKeys): string => [keys.signer.kid, ...keys.others.map((k) => k.kid)].join(',');

/**
 * The swappable delegate in front of oidc-provider: the HTTP server always calls the current
 * Provider, and a key change installs a new one between two requests (requests under way finish on
 * the old one; state lives in Postgres, so nothing is lost).
 */
export class ProviderHost {
  private current: Current | null = null;

  constructor(private readonly deps: ProviderDeps) {}

  /** Builds and installs a Provider for these keys unless the same key set serves already. */
  install(keys: ProviderKeys | null): boolean {
    if (!keys) return false;
    const fingerprint = fingerprintOf(keys);
    if (this.current?.fingerprint === fingerprint) return false;
    const provider = buildProvider(this.deps, keys);
    this.current = { provider, handle: provider.callback(), fingerprint };
    this.deps.log.info({ signer: keys.signer.kid, published: fingerprint }, 'oidc provider built for the key set');
    return true;
  }

  /**
   * The Provider serving now, or null before the first key is active. Interaction handlers (the
   * login page, a federation callback) take it per request and keep no reference.
   */
  provider(): Provider | null {
    return this.current?.provider ?? null;
  }

  readonly handle: Handler = (req, res) => {
    const current = this.current;
    if (current) return current.handle(req, res);
    res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '5', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ error: 'temporarily_unavailable', error_description: 'no signing key is active yet' }));
  };
}
