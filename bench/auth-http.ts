/**
 * `auth` benchmark, part (b): authorization through HTTP on the running stack, one request at a
 * time over one keep-alive connection. Each pair is an authenticated route and a public route of
 * the gateway, sent in alternating blocks (the same connection, the same load on the machine):
 *
 *  - `GET /ogc` (the OGC landing page: authenticated, answered by the gateway alone) vs
 *    `GET /ogc/conformance` (public, answered by the gateway alone, a body of the same kind): the
 *    difference is the authentication (bearer strategy, principal lookup, the request budget in
 *    Redis) and little else;
 *  - `GET /v1/assets/{id}` (authenticated, `assets:read`, a query to geo-query over Kafka) vs
 *    `GET /health/live` (public): a cheap real read against the floor of the HTTP server.
 *
 * The client's token is the same on every request (the verifier's cache answers after the first).
 * Reported per pair: p50/p99 of both routes and the median of the paired differences.
 */
import { Agent, request } from 'node:http';
import type { CommandsSystem } from './commands-stack';
import { median, now, percentile, round } from './harness';

export interface HttpParams {
  readonly warmup: number;
  /** Timed requests per route. */
  readonly requests: number;
  /** Alternating blocks the timed requests are cut into. */
  readonly blocks: number;
}

export interface RouteStats {
  readonly path: string;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly mean: number;
  readonly ok: number;
  readonly outcomes: Record<string, number>;
  readonly example?: string;
}

export interface HttpPair {
  readonly name: string;
  readonly title: string;
  readonly authenticated: RouteStats;
  readonly public: RouteStats;
  /** Median over request pairs (i-th authenticated, i-th public) of the difference, ms. */
  readonly medianDifferenceMs: number;
  readonly p50DifferenceMs: number;
  readonly p99DifferenceMs: number;
}

interface Route {
  readonly path: string;
  readonly authenticated: boolean;
}

interface Side {
  readonly ms: number[];
  readonly outcomes: Record<string, number>;
  example?: string;
}

function get(agent: Agent, system: CommandsSystem, route: Route): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const req = request(
      {
        host: system.host,
        port: system.port,
        path: route.path,
        agent,
        headers: { ...(route.authenticated ? system.auth.get() : {}), accept: 'application/json' },
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', fail);
      },
    );
    req.on('timeout', () => req.destroy(new Error('client timeout (30 s)')));
    req.on('error', fail);
    req.end();
  });
}

async function run(agent: Agent, system: CommandsSystem, route: Route, from: number, to: number, side: Side) {
  for (let i = from; i < to; i++) {
    const t = now();
    let outcome: string;
    try {
      const res = await get(agent, system, route);
      outcome = String(res.status);
      if (res.status === 200) side.ms[i] = now() - t;
      else side.example ??= `${route.path} → ${res.body.slice(0, 300)}`;
    } catch (err) {
      outcome = 'error';
      side.example ??= `${route.path} → ${(err as Error).message}`;
    }
    side.outcomes[outcome] = (side.outcomes[outcome] ?? 0) + 1;
  }
}

const statsOf = (route: Route, side: Side): RouteStats => {
  const ok = side.ms.filter((x) => Number.isFinite(x));
  return {
    path: route.path,
    p50: round(percentile(ok, 50)),
    p90: round(percentile(ok, 90)),
    p99: round(percentile(ok, 99)),
    mean: round(ok.reduce((a, b) => a + b, 0) / ok.length),
    ok: ok.length,
    outcomes: side.outcomes,
    ...(side.example ? { example: side.example } : {}),
  };
};

async function measurePair(
  system: CommandsSystem,
  params: HttpParams,
  name: string,
  title: string,
  authenticated: string,
  open: string,
): Promise<HttpPair> {
  const routes = { auth: { path: authenticated, authenticated: true }, open: { path: open, authenticated: false } };
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const newSide = (n: number): Side => ({ ms: new Array<number>(n).fill(Number.NaN), outcomes: {} });
  try {
    await run(agent, system, routes.auth, 0, params.warmup, newSide(params.warmup));
    await run(agent, system, routes.open, 0, params.warmup, newSide(params.warmup));
    const a = newSide(params.requests);
    const o = newSide(params.requests);
    const per = Math.ceil(params.requests / params.blocks);
    for (let b = 0, from = 0; from < params.requests; b++, from += per) {
      const to = Math.min(params.requests, from + per);
      const authBlock = () => run(agent, system, routes.auth, from, to, a);
      const openBlock = () => run(agent, system, routes.open, from, to, o);
      if (b % 2 === 0) {
        await authBlock();
        await openBlock();
      } else {
        await openBlock();
        await authBlock();
      }
    }
    const diffs = a.ms.map((x, i) => x - o.ms[i]).filter((d) => Number.isFinite(d));
    const [sa, so] = [statsOf(routes.auth, a), statsOf(routes.open, o)];
    return {
      name,
      title,
      authenticated: sa,
      public: so,
      medianDifferenceMs: round(median(diffs)),
      p50DifferenceMs: round(sa.p50 - so.p50),
      p99DifferenceMs: round(sa.p99 - so.p99),
    };
  } finally {
    agent.destroy();
  }
}

/** Both pairs; `assetId` names an asset of the tenant its administrator may read. */
export async function httpBenchmarks(system: CommandsSystem, params: HttpParams, assetId: string): Promise<HttpPair[]> {
  return [
    await measurePair(
      system,
      params,
      'auth-http-ogc',
      'GET /ogc (authenticated) vs GET /ogc/conformance (public), both answered by the gateway',
      '/ogc',
      '/ogc/conformance',
    ),
    await measurePair(
      system,
      params,
      'auth-http-get-asset',
      'GET /v1/assets/{id} (authenticated, via geo-query) vs GET /health/live (public)',
      `/v1/assets/${assetId}`,
      '/health/live',
    ),
  ];
}
