/**
 * Per-hop latency breakdown of real commands (issue 6): sends `POST /v1/assets` to a running
 * gateway at low load (1 in flight) and at saturation (64 in flight), reads the gateway's
 * `GET /internal/timings` after each phase (reset before it), and prints a markdown table per phase.
 *
 *   node -r @swc-node/register bench/command-breakdown.ts --url=http://127.0.0.1:8080 --tenant=demo
 *   node -r @swc-node/register bench/command-breakdown.ts --start      # a stack of its own, see below
 *
 * Options: --low=N (default 500) and --saturation=N (default 2000) commands per phase,
 * --in-flight=N (default 64) at saturation, --warmup=N (default 300, not recorded), --out=FILE
 * (the phases as JSON).
 *
 * Requests carry the access token of the tenant's bootstrap administrator `<tenant>-admin` (client
 * credentials at identity). Against a running gateway: --issuer (default OIDC_ISSUER, else
 * http://127.0.0.1:$IDENTITY_OIDC_PORT, port 8090 by default) and --secret (default
 * IDENTITY_BOOTSTRAP_ADMIN_SECRET, else the development default), as `npm start` prints them.
 *
 * `--start` boots the five services with tools/stack.ts on :38080–:38084 (identity's OpenID
 * Connect server on :38086) with a fresh database
 * `meridian_breakdown` (dropped at the end) on the broker of KAFKA_BROKERS, and stops them at the
 * end. The services use Meridian's fixed topic names and consumer groups: give them a broker no
 * other Meridian stack uses (`MERIDIAN_KAFKA_STATE=kafka-breakdown MERIDIAN_KAFKA_PORT=49092
 * MERIDIAN_KAFKA_CONTROLLER_PORT=49093 bash infra/scripts/kafka.sh start`); the start refuses when
 * the workflow's consumer group already has members.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import type { LatencySummary } from '@meridian/shared/messaging';
import { TokenSource } from '@meridian/shared/testing';
import { ROOT, type ServiceName, type Stack, startStack } from '../tools/stack';
import { devBrokers, pgServer } from '../tools/env';
import { BearerHeader, BENCH_PLATFORM_SECRET, BENCH_TENANT_ADMIN_SECRET, tenantAdminClientId } from './bearer';
import { prepareBroker } from './commands-stack';
import { now, percentile, round, runWorkers, say } from './harness';
import { CLOCK_TICKS_PER_S, cpuPerCommand, machineTicks, processTicks } from './cpu';
import { dropDatabase, recreateDatabase } from './infra';

/** What GET /internal/timings answers per hop. */
type Summary = LatencySummary;

interface Timings {
  readonly commands: number;
  readonly endToEnd: Summary;
  readonly hops: Readonly<Record<string, Summary>>;
  readonly awaitingReplyAck: number;
}

interface PhaseResult {
  readonly name: string;
  readonly inFlight: number;
  readonly commands: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly statuses: Readonly<Record<string, number>>;
  /** 1-minute load average of the machine at the end of the phase (2 cores: above 2 means queueing). */
  readonly load: number;
  /**
   * Cores busy during the phase: the whole machine, the five services (with --start), this load
   * generator. The rest is Kafka, PostgreSQL, Redis and whatever else runs on the machine.
   */
  readonly cores: { readonly machine: number | null; readonly services: number | null; readonly client: number };
  /** CPU milliseconds per command, per party (each service, PostgreSQL, Kafka, Redis), with /proc. */
  readonly cpuMsPerCommand: Readonly<Record<string, number>>;
  readonly client: { readonly p50: number; readonly p95: number; readonly p99: number; readonly max: number };
  readonly timings: Timings;
}

const HOP_TITLES: Readonly<Record<string, string>> = {
  http_parse: 'HTTP parse + validation (gateway)',
  produce: 'produce (send queue + request until acked)',
  broker_to_consumer: 'broker → consumer (fetch wait)',
  consumer_queue: 'queue wait in the consumer',
  load_decide: 'load + decide',
  append_commit: 'append + commit',
  reply_produce: 'reply produce (until acked)',
  reply_fetch: 'reply fetch (gateway reply consumer)',
  gateway_reply: 'gateway after the reply (asset directory in Redis)',
  http_write: 'HTTP write (serialise + send)',
};

const STACK_PORTS: Readonly<Record<ServiceName, number>> = {
  gateway: 38080,
  identity: 38081,
  workflow: 38082,
  projection: 38083,
  'geo-query': 38084,
};
const STACK_OIDC_PORT = 38086;
const STACK_DATABASE = 'meridian_breakdown';
/** identity's bootstrap administrator secret when IDENTITY_BOOTSTRAP_ADMIN_SECRET is not set (accounts.config.ts). */
const DEV_TENANT_ADMIN_SECRET = 'dev-tenant-admin-secret';

const option = (name: string): string | undefined =>
  process.argv
    .slice(2)
    .find((a) => a === `--${name}` || a.startsWith(`--${name}=`))
    ?.replace(/^[^=]*=?/, '');
const numberOption = (name: string, fallback: number): number => {
  const v = option(name);
  return v ? Number(v) : fallback;
};

/** One keep-alive HTTP client per phase; resolves with the status code. */
function client(base: URL, auth: BearerHeader, sockets: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: sockets });
  const call = (method: string, path: string, body?: string): Promise<{ status: number; text: string }> =>
    new Promise((resolve, reject) => {
      const req = request(
        {
          host: base.hostname,
          port: base.port,
          path,
          method,
          agent,
          headers: {
            ...auth.get(),
            ...(body === undefined
              ? {}
              : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }),
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  return { call, close: () => agent.destroy() };
}

/** Starts counting CPU; the returned function gives the cores used since, per party. */
function cpuMeter(servicePids: readonly number[]) {
  const started = now();
  const machine = machineTicks();
  const services = servicePids.length ? processTicks(servicePids) : null;
  const client = process.cpuUsage();
  return () => {
    const seconds = (now() - started) / 1000;
    const cores = (before: number | null, after: number | null): number | null =>
      before === null || after === null ? null : round((after - before) / CLOCK_TICKS_PER_S / seconds);
    const used = process.cpuUsage(client);
    return {
      machine: cores(machine, machineTicks()),
      services: services === null ? null : cores(services, processTicks(servicePids)),
      client: round((used.user + used.system) / 1e6 / seconds),
    };
  };
}

async function runPhase(base: URL, auth: BearerHeader, name: string, total: number, inFlight: number) {
  const http = client(base, auth, inFlight);
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const started = now();
  await runWorkers(inFlight, total, async (i) => {
    const body = JSON.stringify({ name: `${name} ${i}`, kind: 'drone' });
    const t = now();
    let outcome: string;
    try {
      outcome = String((await http.call('POST', '/v1/assets', body)).status);
    } catch (err) {
      outcome = `error ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
    }
    latencies.push(now() - t);
    statuses[outcome] = (statuses[outcome] ?? 0) + 1;
  });
  const seconds = (now() - started) / 1000;
  http.close();
  return { seconds, latencies, statuses };
}

async function measure(
  base: URL,
  auth: BearerHeader,
  name: string,
  total: number,
  inFlight: number,
  services: Readonly<Record<string, number>>,
) {
  const servicePids = Object.values(services);
  const admin = client(base, auth, 1);
  try {
    const reset = await admin.call('DELETE', '/internal/timings');
    if (reset.status !== 204) throw new Error(`DELETE /internal/timings answered ${reset.status}: ${reset.text}`);
    say(`${name}: ${total} commands, ${inFlight} in flight`);
    const meter = cpuMeter(servicePids);
    const perCommand = cpuPerCommand(services);
    const run = await runPhase(base, auth, name, total, inFlight);
    const cores = meter();
    const cpuMsPerCommand = perCommand(total);
    const read = await admin.call('GET', '/internal/timings');
    if (read.status !== 200) throw new Error(`GET /internal/timings answered ${read.status}: ${read.text}`);
    const result: PhaseResult = {
      name,
      inFlight,
      commands: total,
      seconds: round(run.seconds),
      perSecond: round(total / run.seconds),
      statuses: run.statuses,
      load: round(loadavg()[0]),
      cores,
      cpuMsPerCommand,
      client: {
        p50: round(percentile(run.latencies, 50)),
        p95: round(percentile(run.latencies, 95)),
        p99: round(percentile(run.latencies, 99)),
        max: round(Math.max(...run.latencies)),
      },
      timings: JSON.parse(read.text) as Timings,
    };
    say(`  ${result.perSecond} commands/s, statuses ${JSON.stringify(run.statuses)}`);
    return result;
  } finally {
    admin.close();
  }
}

const ms = (v: number | null): string => (v === null ? '–' : v < 10 ? v.toFixed(2) : v.toFixed(1));

/** The phase as a markdown table: one row per hop, then the gateway's and the client's end to end. */
function table(phase: PhaseResult): string {
  const { hops, endToEnd } = phase.timings;
  const meanTotal = endToEnd.mean ?? Number.NaN;
  const rows = Object.entries(hops).map(([hop, s]) => {
    const share = s.mean === null ? '–' : `${Math.round((100 * s.mean) / meanTotal)} %`;
    const cells = [HOP_TITLES[hop] ?? hop, s.count, ms(s.p50), ms(s.p95), ms(s.p99), ms(s.max), ms(s.mean), share];
    return `| ${cells.join(' | ')} |`;
  });
  const e = endToEnd;
  const c = phase.client;
  return [
    `**${phase.name}** — ${phase.commands} commands, ${phase.inFlight} in flight: ${phase.perSecond} commands/s ` +
      `(statuses ${Object.entries(phase.statuses)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ')}); cores busy: machine ${phase.cores.machine ?? '?'} of ${availableParallelism()}, services ` +
      `${phase.cores.services ?? '?'}, load generator ${phase.cores.client}; load average ${phase.load}`,
    '',
    `CPU per command (ms): ${Object.entries(phase.cpuMsPerCommand)
      .map(([party, v]) => `${party} ${v}`)
      .join(', ')}; total ${round(Object.values(phase.cpuMsPerCommand).reduce((a, b) => a + b, 0))}`,
    '',
    '| hop | count | p50 ms | p95 ms | p99 ms | max ms | mean ms | share of mean |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    `| **end to end in the gateway** | ${e.count} | ${ms(e.p50)} | ${ms(e.p95)} | ${ms(e.p99)} | ${ms(e.max)} | ` +
      `${ms(e.mean)} | 100 % |`,
    `| end to end at the client | ${phase.commands} | ${ms(c.p50)} | ${ms(c.p95)} | ${ms(c.p99)} | ${ms(c.max)} | | |`,
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// --start: a stack of its own

/** The tenant's administrator reaches the gateway through Kafka: wait until its token is admitted. */
async function waitForTenant(base: URL, tenant: string, tokens: TokenSource): Promise<void> {
  const deadline = Date.now() + 60_000;
  let last = 'no answer';
  for (;;) {
    try {
      const res = await fetch(new URL('/v1/assets?limit=1', base), { headers: await tokens.headers() });
      await res.arrayBuffer();
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`tenant ${tenant} never became known to the gateway (last: ${last})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function startOwnStack(tenant: string): Promise<Stack> {
  const brokers = devBrokers();
  const databaseUrl = `${pgServer()}/${STACK_DATABASE}`;
  say(`starting a stack on :38080–:38084, database ${STACK_DATABASE}, broker ${brokers.join(',')}`);
  await prepareBroker(brokers);
  await recreateDatabase(databaseUrl);
  return startStack({
    env: {
      KAFKA_BROKERS: brokers.join(','),
      DATABASE_URL: databaseUrl,
      REDIS_URL: process.env.REDIS_URL || `redis://127.0.0.1:${process.env.MERIDIAN_REDIS_PORT || '6379'}`,
      INSTANCE_ID: 'breakdown',
      IDENTITY_BOOTSTRAP_TENANTS: tenant,
      IDENTITY_OIDC_PORT: String(STACK_OIDC_PORT),
      OIDC_ISSUER: `http://127.0.0.1:${STACK_OIDC_PORT}`,
      IDENTITY_BOOTSTRAP_ADMIN_SECRET: BENCH_TENANT_ADMIN_SECRET,
      IDENTITY_PLATFORM_CLIENT_SECRET: BENCH_PLATFORM_SECRET,
      IDENTITY_CONSOLE_REDIRECT_URIS: `http://127.0.0.1:${STACK_PORTS.gateway}/docs/oauth2-redirect.html`,
      IDENTITY_BOOTSTRAP_USERS: '[]',
      // One principal sends every command: its request budget must not be what is measured.
      GATEWAY_RATE_REQUESTS_PER_S: '1000000',
      GATEWAY_RATE_BURST: '10000000',
      LOG_LEVEL: 'warn',
    },
    ports: STACK_PORTS,
    logDir: join(ROOT, '.local', 'logs', 'breakdown'),
    progress: (line) => say(`  ${line.trim()}`),
  });
}

async function main(): Promise<void> {
  const own = option('start') !== undefined;
  const tenant = option('tenant') ?? (own ? `breakdown-${randomUUID().slice(0, 6)}` : 'demo');
  const base = new URL(option('url') ?? (own ? `http://127.0.0.1:${STACK_PORTS.gateway}` : 'http://127.0.0.1:8080'));
  const issuer = own
    ? `http://127.0.0.1:${STACK_OIDC_PORT}`
    : (option('issuer') ?? process.env.OIDC_ISSUER ?? `http://127.0.0.1:${process.env.IDENTITY_OIDC_PORT ?? '8090'}`);
  const clientSecret = own
    ? BENCH_TENANT_ADMIN_SECRET
    : (option('secret') ?? process.env.IDENTITY_BOOTSTRAP_ADMIN_SECRET ?? DEV_TENANT_ADMIN_SECRET);
  const tokens = new TokenSource({ issuer, clientId: tenantAdminClientId(tenant), clientSecret });
  const auth = new BearerHeader(tokens);
  const low = numberOption('low', 500);
  const saturation = numberOption('saturation', 2000);
  const inFlight = numberOption('in-flight', 64);
  const warmup = numberOption('warmup', 300);
  let stack: Stack | undefined;
  const stop = async (): Promise<void> => {
    const s = stack;
    stack = undefined;
    if (!s) return;
    await s.stop();
    await dropDatabase(`${pgServer()}/${STACK_DATABASE}`);
  };
  process.once('SIGINT', () => void stop().finally(() => process.exit(130)));
  try {
    if (own) {
      stack = await startOwnStack(tenant);
      await waitForTenant(base, tenant, tokens);
    }
    await auth.start();
    say(`gateway ${base.origin}, tenant ${tenant} (token from ${issuer}); warming up with ${warmup} commands`);
    await runPhase(base, auth, 'warm-up', warmup, 8);
    await new Promise((r) => setTimeout(r, 3000)); // the relay and projection catch up
    const services = Object.fromEntries(
      (stack?.services ?? []).flatMap((s) => (s.process.pid === undefined ? [] : [[s.name, s.process.pid]])),
    ) as Record<string, number>;
    const pids = Object.values(services);
    // What the machine and the services burn with no command at all (consumers polling, timers).
    const idleMeter = cpuMeter(pids);
    const idleParties = cpuPerCommand(services);
    await new Promise((r) => setTimeout(r, 5000));
    const idle = { ...idleMeter(), byParty: idleParties(5000) }; // CPU ms per ms: cores
    say(`idle: cores busy: machine ${idle.machine ?? '?'}, services ${idle.services ?? '?'}`);
    const phases = [await measure(base, auth, 'Low load', low, 1, services)];
    await new Promise((r) => setTimeout(r, 3000));
    phases.push(await measure(base, auth, 'Saturation', saturation, inFlight, services));
    const out = option('out');
    if (out) writeFileSync(out, `${JSON.stringify({ at: new Date().toISOString(), idle, phases }, null, 2)}\n`);
    const idleLine =
      `Idle (5 s, no commands): cores busy: machine ${idle.machine ?? '?'}, services ${idle.services ?? '?'} (` +
      `${Object.entries(idle.byParty)
        .map(([party, cores]) => `${party} ${cores}`)
        .join(', ')})`;
    process.stdout.write(`\n${idleLine}\n\n${phases.map(table).join('\n\n')}\n`);
  } finally {
    auth.stop();
    await stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${String((err as Error)?.stack ?? err)}\n`);
  process.exit(1);
});
