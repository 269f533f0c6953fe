/**
 * `auth` benchmark, part (a): what the gateway's authorization costs per request in process, one
 * step at a time, each against a baseline measured in the same rounds (alternating, so drift hits
 * both alike):
 *
 *  - TokenVerifier.verify of a token it has not seen (jose's ES256 check) vs jose's `jwtVerify`
 *    alone with the same key and options: what the verifier adds to the signature check;
 *  - TokenVerifier.verify of a token it has seen (its cache) vs that first verification;
 *  - the PrincipalDirectory lookup (its store, PrincipalSnapshots.get, among 10,000 principals) vs a
 *    bare Map.get with the key already built;
 *  - the permission check (`decidePermission`; `can` is its `.allow`) and `compileFilter`, for a
 *    region-restricted principal vs an unrestricted one;
 *  - the per-principal request budget (RateLimiter.take: one Lua script call in Redis) vs a Redis PING.
 *
 * The key lookup behind the verifier is a Map standing in for KeyDirectory (whose `keyFor` is a Map
 * lookup and two date comparisons): the keys come from Kafka there, and Kafka is not what is measured.
 */
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { type CryptoKey, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import pino from 'pino';
import { API_AUDIENCE, type Principal, principalKey, type Region, TokenClaims } from '@meridian/contracts/identity';
import { PrincipalSnapshots, RateLimiter } from '@meridian/gateway/data-access';
import { type AuthSettings, type SigningKeys, TokenVerifier } from '@meridian/gateway/util-auth';
import { attributeColumns, readScope, rowFilter } from '@meridian/read-model/assets';
import { compileFilter, decidePermission } from '@meridian/shared/policy';
import { redisUrl } from './commands-stack';
import { median, now, round, say } from './harness';

export interface MicroParams {
  /** Calls per timed batch. */
  readonly batch: number;
  /** Timed batches per side (alternating with the baseline's). */
  readonly rounds: number;
  /** Batches per side for the ES256 verifications (each needs a token of its own). */
  readonly verifyRounds: number;
  readonly verifyBatch: number;
  /** Sequential Redis calls per batch (budget vs PING). */
  readonly redisBatch: number;
}

/** One side of a pair: the median over rounds of the time per call. */
export interface MicroSide {
  readonly usPerOp: number;
  readonly opsPerS: number;
  /** Fastest and slowest round, µs per call. */
  readonly minUs: number;
  readonly maxUs: number;
}

export interface MicroPair {
  readonly name: string;
  readonly title: string;
  readonly valueName: string;
  readonly baselineName: string;
  readonly value: MicroSide;
  readonly baseline: MicroSide;
  readonly calls: number;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** Keeps every result reachable, so no call is optimised away. */
const sink: { last: unknown } = { last: undefined };

type Op = (i: number) => unknown;
type AsyncOp = (i: number) => Promise<unknown>;

const sideOf = (usPerCall: readonly number[]): MicroSide => {
  const us = median(usPerCall);
  return {
    usPerOp: round(us),
    opsPerS: round(1e6 / us),
    minUs: round(Math.min(...usPerCall)),
    maxUs: round(Math.max(...usPerCall)),
  };
};

/** µs per call of `batch` calls of `op`, with indexes from `first`. */
function timeSync(op: Op, first: number, batch: number): number {
  const start = now();
  for (let i = first; i < first + batch; i++) sink.last = op(i);
  return ((now() - start) * 1000) / batch;
}

async function timeAsync(op: AsyncOp, first: number, batch: number): Promise<number> {
  const start = now();
  for (let i = first; i < first + batch; i++) sink.last = await op(i);
  return ((now() - start) * 1000) / batch;
}

/**
 * One untimed round per side (JIT, caches), then `rounds` timed rounds per side, the order
 * alternating. Indexes keep counting across rounds (ops that need fresh input use them).
 */
async function pair(
  value: AsyncOp | Op,
  baseline: AsyncOp | Op,
  batch: number,
  rounds: number,
  isAsync: boolean,
): Promise<{ value: MicroSide; baseline: MicroSide; calls: number }> {
  const run = (op: AsyncOp | Op, first: number): Promise<number> =>
    isAsync ? timeAsync(op as AsyncOp, first, batch) : Promise.resolve(timeSync(op as Op, first, batch));
  let next = 0;
  const v: number[] = [];
  const b: number[] = [];
  await run(value, next);
  await run(baseline, next);
  next += batch;
  for (let r = 0; r < rounds; r++, next += batch) {
    if (r % 2 === 0) {
      v.push(await run(value, next));
      b.push(await run(baseline, next));
    } else {
      b.push(await run(baseline, next));
      v.push(await run(value, next));
    }
  }
  return { value: sideOf(v), baseline: sideOf(b), calls: (rounds + 1) * batch };
}

/** Never contacted: tokens are signed here, and `iss` only has to match the verifier's setting. */
const ISSUER = 'https://identity.bench.invalid';

/** An unrestricted administrator and the same with a region: the two principals of the comparisons. */
export function principals(tenant: string, region: Region): { unrestricted: Principal; restricted: Principal } {
  const unrestricted: Principal = {
    tenantId: tenant,
    subject: 'bench-admin',
    kind: 'service-account',
    roles: ['admin'],
    platformAdmin: false,
    region: null,
    clearance: 4,
    teams: null,
    hours: null,
  };
  return { unrestricted, restricted: { ...unrestricted, subject: 'bench-regional', region } };
}

/** A square region of `vertices` points around (13.4, 52.5): how region size weighs on compileFilter. */
function roundRegion(vertices: number): Region {
  const ring: [number, number][] = Array.from({ length: vertices }, (_, k) => {
    const a = (2 * Math.PI * k) / vertices;
    return [round(13.4 + 0.1 * Math.cos(a)), round(52.5 + 0.06 * Math.sin(a))];
  });
  return { type: 'Polygon', coordinates: [[...ring, ring[0]]] };
}

async function verifierPairs(params: MicroParams, tenant: string): Promise<MicroPair[]> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const kid = `bench-${randomUUID().slice(0, 8)}`;
  const settings: AuthSettings = { issuer: ISSUER, audience: API_AUDIENCE, clockToleranceSeconds: 5 };
  const keys: SigningKeys = {
    ready: true,
    keyFor: (k: string) =>
      k === kid
        ? { usable: true, key: publicKey, issuer: ISSUER }
        : { usable: false, reason: `no signing key ${k} is known` },
  };
  const verifier = new TokenVerifier(settings, keys);
  const sign = (i: number): Promise<string> =>
    new SignJWT({
      [TokenClaims.tenant]: tenant,
      [TokenClaims.scope]: 'api',
      [TokenClaims.clientId]: `${tenant}-admin`,
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid })
      .setIssuer(ISSUER)
      .setSubject(`${tenant}-admin`)
      .setAudience(API_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('10m')
      .setJti(`bench-${i}`)
      .sign(privateKey);
  // Each side of each pair gets tokens of its own: the first pair's, then the second's baseline.
  const perPair = (params.verifyRounds + 1) * params.verifyBatch;
  const count = 2 * perPair;
  const started = now();
  const tokens = await Promise.all(Array.from({ length: count }, (_, i) => sign(i)));
  say(`  signed ${tokens.length} ES256 access tokens in ${Math.round(now() - started)} ms`);
  const key: CryptoKey = publicKey;
  const options = {
    algorithms: ['ES256'],
    typ: 'at+jwt',
    issuer: ISSUER,
    audience: API_AUDIENCE,
    clockTolerance: 5,
    requiredClaims: ['exp', 'sub', TokenClaims.tenant],
  };
  const fresh = await pair(
    (i) => verifier.verify(tokens[i], new Date()),
    (i) => jwtVerify(tokens[i], key, { ...options, currentDate: new Date() }),
    params.verifyBatch,
    params.verifyRounds,
    true,
  );
  const seen = tokens[0];
  const cached = await pair(
    () => verifier.verify(seen, new Date()),
    (i) => verifier.verify(tokens[perPair + i], new Date()),
    params.verifyBatch,
    params.verifyRounds,
    true,
  );
  return [
    {
      name: 'auth-verify-new',
      title: 'TokenVerifier.verify, a token not seen before (ES256 signature check)',
      valueName: 'TokenVerifier',
      baselineName: 'jose jwtVerify alone',
      ...fresh,
    },
    {
      name: 'auth-verify-cached',
      title: 'TokenVerifier.verify, a token seen before (its cache)',
      valueName: 'cached',
      baselineName: 'first verification',
      ...cached,
    },
  ];
}

async function lookupPair(params: MicroParams, base: Principal): Promise<MicroPair> {
  const snapshots = new PrincipalSnapshots();
  const tenants = 100;
  const perTenant = 100;
  const plain = new Map<string, Principal>();
  const tenant = base.tenantId;
  for (let t = 0; t < tenants; t++) {
    for (let s = 0; s < perTenant; s++) {
      const principal: Principal = { ...base, tenantId: `${tenant}-${t}`, subject: `client-${s}` };
      snapshots.apply({
        principal,
        name: principal.subject,
        active: true,
        version: 1,
        changedAt: new Date().toISOString(),
      });
      plain.set(principalKey(principal.tenantId, principal.subject), principal);
    }
  }
  // A fixed pseudo-random walk over the principals, the same for both sides.
  const who = Array.from({ length: 4096 }, (_, i) => {
    const k = (i * 2654435761) >>> 0;
    return { tenant: `${tenant}-${k % tenants}`, subject: `client-${(k >>> 8) % perTenant}` };
  });
  const keys = who.map((w) => principalKey(w.tenant, w.subject));
  const r = await pair(
    (i) => snapshots.get(who[i & 4095].tenant, who[i & 4095].subject),
    (i) => plain.get(keys[i & 4095]),
    params.batch,
    params.rounds,
    false,
  );
  return {
    name: 'auth-principal-lookup',
    title: 'PrincipalDirectory lookup (PrincipalSnapshots.get, 10,000 principals)',
    valueName: 'PrincipalSnapshots.get',
    baselineName: 'Map.get, key prebuilt',
    ...r,
    details: { principals: tenants * perTenant },
  };
}

async function policyPairs(params: MicroParams, tenant: string, region: Region): Promise<MicroPair[]> {
  const { unrestricted, restricted } = principals(tenant, region);
  const t = new Date();
  const columns = attributeColumns();
  const permission = await pair(
    () => decidePermission(restricted, 'assets:read', t),
    () => decidePermission(unrestricted, 'assets:read', t),
    params.batch,
    params.rounds,
    false,
  );
  const filter = await pair(
    () => compileFilter(restricted, 'assets:read', columns, t, 8),
    () => compileFilter(unrestricted, 'assets:read', columns, t, 8),
    params.batch,
    params.rounds,
    false,
  );
  // What the read model calls: rowFilter, which skips compileFilter for an unfiltered scope.
  const rowFilters = await pair(
    () => rowFilter(readScope(restricted, t), 'assets:read', columns, 8),
    () => rowFilter(readScope(unrestricted, t), 'assets:read', columns, 8),
    params.batch,
    params.rounds,
    false,
  );
  const detailed = { ...restricted, region: roundRegion(500) };
  const big = await pair(
    () => compileFilter(detailed, 'assets:read', columns, t, 8),
    () => compileFilter(unrestricted, 'assets:read', columns, t, 8),
    params.batch,
    Math.max(2, params.rounds >> 1),
    false,
  );
  return [
    {
      name: 'auth-permission',
      title: "Permission check (decidePermission 'assets:read'), region-restricted vs unrestricted",
      valueName: 'region-restricted',
      baselineName: 'unrestricted',
      ...permission,
    },
    {
      name: 'auth-filter',
      title: "compileFilter 'assets:read' (asset_latest columns), region-restricted vs unrestricted",
      valueName: 'region-restricted',
      baselineName: 'unrestricted',
      ...filter,
      details: {
        rowFilter: { restricted: rowFilters.value, unrestricted: rowFilters.baseline },
        region500Vertices: big.value,
      },
    },
  ];
}

async function budgetPair(params: MicroParams): Promise<MicroPair> {
  const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
  try {
    await redis.ping();
    const limiter = new RateLimiter(redis, pino({ level: 'silent' }));
    const key = `bench-auth/${randomUUID()}`;
    const limit = { ratePerSecond: 1_000_000, burst: 10_000_000 };
    const r = await pair(
      () => limiter.take(`principal:${key}`, 1, limit),
      () => redis.ping(),
      params.redisBatch,
      params.rounds,
      true,
    );
    await redis.del(`meridian:gateway:rate:principal:${key}`);
    return {
      name: 'auth-budget',
      title: 'Request budget (RateLimiter.take: token bucket script in Redis), sequential',
      valueName: 'RateLimiter.take',
      baselineName: 'Redis PING',
      ...r,
    };
  } finally {
    redis.disconnect();
  }
}

/** Every in-process measurement, in the order of the request's path through the gateway. */
export async function microBenchmarks(params: MicroParams, tenant: string, region: Region): Promise<MicroPair[]> {
  const results: MicroPair[] = [];
  results.push(...(await verifierPairs(params, tenant)));
  results.push(await lookupPair(params, principals(tenant, region).unrestricted));
  results.push(...(await policyPairs(params, tenant, region)));
  results.push(await budgetPair(params));
  return results;
}
