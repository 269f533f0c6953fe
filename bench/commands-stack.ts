/**
 * The running system the `commands` benchmark drives: the five services (tools/stack.ts) on ports
 * of their own, a database of their own (`meridian_bench_commands`: created fresh, migrated by the
 * services and `startStack`, dropped at the end), the Kafka brokers of the run, one tenant. Its
 * clients send the access token of the tenant's bootstrap administrator (`<tenant>-admin`), issued
 * by the stack's identity on an OpenID Connect port of its own (bearer.ts).
 *
 * The services use Meridian's fixed topic names and consumer groups, so they must not share the
 * broker with another Meridian stack (`npm start`): the start refuses while one of the service
 * consumer groups has members.
 */
import { rmSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import Redis from 'ioredis';
import { dlqDefinitions, topicDefinitions } from '@meridian/contracts';
import { MessageBus } from '@meridian/shared/messaging';
import { baseConfigSchema, loadConfig } from '@meridian/shared/service-kit';
import { silentLog } from '@meridian/shared/util';
import { ROOT, type ServiceName, type Stack, startStack } from '../tools/stack';
import { BearerHeader, BENCH_PLATFORM_SECRET, BENCH_TENANT_ADMIN_SECRET, tenantAdminTokens } from './bearer';
import { say } from './harness';
import { databaseUrl, dropDatabase, recreateDatabase } from './infra';

export const COMMANDS_DATABASE = 'meridian_bench_commands';
export const COMMANDS_TENANT = 'bench-commands';
export const COMMANDS_PORTS: Readonly<Record<ServiceName, number>> = {
  gateway: 28080,
  identity: 28081,
  workflow: 28082,
  projection: 28083,
  'geo-query': 28084,
};
/** identity's OpenID Connect port of the `commands` stack (COMMANDS_PORTS holds the management ports). */
export const COMMANDS_OIDC_PORT = 28086;
export const COMMANDS_LOG_DIR = join(ROOT, '.local', 'logs', 'bench-commands');

/** The consumer groups of the services: members in any of them means another stack uses the broker. */
const SERVICE_GROUPS = ['workflow.commands', 'identity.commands', 'geo-query.requests', 'projection.workflow-events'];
/** A stack that died without leaving its groups keeps members until their session times out (30 s). */
const GROUP_WAIT_MS = 45_000;
const READY_TIMEOUT_MS = 150_000;
const TENANT_TIMEOUT_MS = 60_000;

export interface CommandsSystem {
  readonly host: string;
  readonly port: number;
  readonly tenant: string;
  /** identity's issuer URL (OIDC_ISSUER): where tokens come from. */
  readonly issuer: string;
  /** `Authorization` of the tenant's administrator, renewed in the background while the system runs. */
  readonly auth: BearerHeader;
  readonly databaseUrl: string;
  /** The connections the workflow service's event store gets (DATABASE_POOL_SIZE as it reads it). */
  readonly workflowPoolSize: number;
  /** CPU the five services use together when idle (cores, measured after the start); null without /proc. */
  readonly idleCores: number | null;
  /** Process ids of the running services (for CPU sampling). */
  pids(): number[];
  /** Process id of one service (for memory sampling). */
  pidOf(name: ServiceName): number | undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const listenOn = (port: number): Promise<Server | undefined> =>
  new Promise((done, fail) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? done(undefined) : fail(err)));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => done(server));
  });

async function ensurePortsFree(ports: Readonly<Record<string, number>>): Promise<void> {
  for (const [name, port] of Object.entries(ports)) {
    const probe = await listenOn(port);
    if (!probe) {
      throw new Error(
        `port ${port} for ${name} is in use (another commands benchmark, or a stale service: ` +
          `ss -ltnp 'sport = :${port}')`,
      );
    }
    await new Promise<void>((r) => probe.close(() => r()));
  }
}

export const redisUrl = (): string =>
  process.env.REDIS_URL || `redis://127.0.0.1:${process.env.MERIDIAN_REDIS_PORT || '6379'}`;

/** The gateway's cache of the tenant's asset ids (one Redis set); emptied before and after a run. */
async function forgetTenantAssets(tenant: string): Promise<void> {
  const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.del(`meridian:gateway:assets:${tenant}`);
  } catch (err) {
    say(`could not clear the gateway's asset cache of tenant ${tenant}: ${(err as Error).message}`);
  } finally {
    redis.disconnect();
  }
}

/** Waits until no other stack consumes from the broker, then creates the topics that are missing. */
export async function prepareBroker(brokers: readonly string[]): Promise<void> {
  const bus = new MessageBus({ brokers: [...brokers], clientId: 'meridian-bench-commands', log: silentLog });
  try {
    const admin = await bus.admin();
    const started = Date.now();
    for (;;) {
      const { groups } = await admin.describeGroups(SERVICE_GROUPS);
      const busy = groups.filter((g) => g.members.length > 0);
      if (busy.length === 0) break;
      const list = busy.map((g) => `${g.groupId} (${g.members.length})`).join(', ');
      if (Date.now() - started > GROUP_WAIT_MS) {
        throw new Error(
          `another Meridian stack consumes from ${brokers.join(',')}: consumer groups with members: ${list}. ` +
            'Stop it (npm start), or point KAFKA_BROKERS at another broker.',
        );
      }
      say(`  … consumer groups still have members (${list}); waiting up to ${GROUP_WAIT_MS / 1000} s`);
      await sleep(5000);
    }
    const created = await bus.ensureTopics([...topicDefinitions, ...dlqDefinitions]);
    if (created.length) say(`  created ${created.length} topics`);
  } finally {
    await bus.close();
  }
}

/**
 * The tenant and its administrator, registered at identity's start, reach the gateway through
 * Kafka (principal snapshots, signing keys): wait until the administrator's token is admitted.
 */
async function waitForTenant(host: string, port: number, tenant: string, auth: BearerHeader): Promise<void> {
  const deadline = Date.now() + TENANT_TIMEOUT_MS;
  let last = 'no answer';
  for (;;) {
    try {
      const res = await fetch(`http://${host}:${port}/v1/assets?limit=1`, {
        headers: await auth.source.headers(),
        signal: AbortSignal.timeout(5000),
      });
      await res.arrayBuffer();
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`tenant ${tenant} never became known to the gateway (last: ${last})`);
    await sleep(250);
  }
}

/** utime + stime of a process in clock ticks (Linux /proc); null when it cannot be read. */
function cpuTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

const CLOCK_TICKS_PER_S = 100;

/** CPU the processes used over `windowMs`, in cores (1 = one core busy); null without /proc. */
export async function cpuOver(pids: readonly number[], windowMs: number): Promise<number | null> {
  const before = pids.map(cpuTicks);
  await sleep(windowMs);
  const after = pids.map(cpuTicks);
  let ticks = 0;
  for (let i = 0; i < pids.length; i++) {
    const [b, a] = [before[i], after[i]];
    if (b === null || a === null) return null;
    ticks += a - b;
  }
  return ticks / CLOCK_TICKS_PER_S / (windowMs / 1000);
}

/** Above the idle CPU of the services, what still counts as idle (cores). */
const SETTLE_MARGIN_CORES = 0.1;

/**
 * Waits until the services are back to their idle CPU (within SETTLE_MARGIN_CORES, for two 1-s
 * windows in a row), so the tail of one phase — commands still in the workflow, the relay and the
 * projection catching up — does not run into the next. Gives up after `timeoutMs` and says so.
 */
export async function settle(system: CommandsSystem, label: string, timeoutMs = 60_000): Promise<void> {
  if (system.idleCores === null) return; // no /proc: nothing to wait for
  const maxCores = system.idleCores + SETTLE_MARGIN_CORES;
  const started = Date.now();
  let quiet = 0;
  let cores: number | null = 0;
  while (quiet < 2) {
    cores = await cpuOver(system.pids(), 1000);
    if (cores === null) return;
    quiet = cores < maxCores ? quiet + 1 : 0;
    if (Date.now() - started > timeoutMs) {
      say(`  … services still busy after ${timeoutMs / 1000} s (${cores.toFixed(2)} cores) before ${label}; going on`);
      return;
    }
  }
  const waited = (Date.now() - started) / 1000;
  if (waited > 2.5) say(`  services idle after ${waited.toFixed(1)} s (${cores.toFixed(2)} cores) before ${label}`);
}

/**
 * Owns the system's lifetime: `start()` once, `close()` any number of times (also from a signal
 * handler while `start()` is still running: the services are then stopped as soon as they exist).
 */
export class CommandsEnvironment {
  private starting: Promise<Stack> | null = null;
  private closingPromise: Promise<void> | null = null;
  private databaseTouched = false;
  readonly databaseUrl: string;
  private readonly tenant: string;
  private readonly logDir: string;
  private readonly ports: Readonly<Record<ServiceName, number>>;
  private readonly oidcPort: number;
  private auth: BearerHeader | null = null;

  constructor(
    pgUrl: string,
    private readonly brokers: readonly string[],
    /** Further environment for the services (e.g. the ingest benchmark lifts the rate limit). */
    private readonly extraEnv: Readonly<Record<string, string>> = {},
    /**
     * Another database and tenant (the `queries` benchmark's seeded one); `keepDatabase`: run on the
     * database as it is (not created fresh, not dropped at the end).
     */
    private readonly options: {
      readonly database?: string;
      readonly tenant?: string;
      readonly keepDatabase?: boolean;
      readonly logName?: string;
      readonly ports?: Readonly<Record<ServiceName, number>>;
      /** identity's OpenID Connect port; next to `ports`, apart from every other stack's. */
      readonly oidcPort?: number;
    } = {},
  ) {
    this.databaseUrl = databaseUrl(pgUrl, options.database ?? COMMANDS_DATABASE);
    this.tenant = options.tenant ?? COMMANDS_TENANT;
    this.logDir = join(ROOT, '.local', 'logs', options.logName ?? 'bench-commands');
    this.ports = options.ports ?? COMMANDS_PORTS;
    this.oidcPort = options.oidcPort ?? COMMANDS_OIDC_PORT;
  }

  /** identity's issuer URL: the OIDC port, as tokens carry it in `iss` and the gateway checks it. */
  get issuer(): string {
    return `http://127.0.0.1:${this.oidcPort}`;
  }

  async start(): Promise<CommandsSystem> {
    if (this.starting) throw new Error('already started');
    await ensurePortsFree({ ...this.ports, 'identity (OIDC)': this.oidcPort });
    say(`  checking the broker ${this.brokers.join(',')} for other Meridian stacks; creating missing topics`);
    await prepareBroker(this.brokers);
    if (this.closingPromise) throw new Error('closed');
    this.databaseTouched = true;
    if (!this.options.keepDatabase) await recreateDatabase(this.databaseUrl);
    await forgetTenantAssets(this.tenant);
    rmSync(this.logDir, { recursive: true, force: true });
    const env: Record<string, string> = {
      KAFKA_BROKERS: this.brokers.join(','),
      DATABASE_URL: this.databaseUrl,
      REDIS_URL: redisUrl(),
      INSTANCE_ID: 'bench-commands',
      IDENTITY_BOOTSTRAP_TENANTS: this.tenant,
      // As test/e2e/e2e-stack.ts: the OIDC server on a port of its own, secrets that are not the dev defaults.
      IDENTITY_OIDC_PORT: String(this.oidcPort),
      OIDC_ISSUER: this.issuer,
      IDENTITY_BOOTSTRAP_ADMIN_SECRET: BENCH_TENANT_ADMIN_SECRET,
      IDENTITY_PLATFORM_CLIENT_SECRET: BENCH_PLATFORM_SECRET,
      IDENTITY_CONSOLE_REDIRECT_URIS: `http://127.0.0.1:${this.ports.gateway}/docs/oauth2-redirect.html`,
      IDENTITY_BOOTSTRAP_USERS: '[]',
      // One client sends every request as one principal: its request budget is lifted, so the
      // benchmarks measure the system, not the limit (the bucket is still taken, one Redis call each).
      GATEWAY_RATE_REQUESTS_PER_S: '1000000',
      GATEWAY_RATE_BURST: '10000000',
      LOG_LEVEL: 'warn',
      ...this.extraEnv,
    };
    const workflowPoolSize = loadConfig(baseConfigSchema, { ...process.env, ...env }).DATABASE_POOL_SIZE;
    say(`  starting the five services on :${this.ports.gateway}–:${this.ports['geo-query']}`);
    say(
      `  (database ${new URL(this.databaseUrl).pathname.slice(1)}, tenant ${this.tenant}, ` +
        `issuer ${this.issuer}, logs in ${this.logDir.slice(ROOT.length + 1)}/)`,
    );
    this.starting = startStack({
      env,
      ports: this.ports,
      logDir: this.logDir,
      readyTimeoutMs: READY_TIMEOUT_MS,
      progress: (line) => say(`  ${line.trim()}`),
    });
    const stack = await this.starting;
    const host = '127.0.0.1';
    const port = this.ports.gateway;
    const auth = new BearerHeader(tenantAdminTokens(this.issuer, this.tenant));
    this.auth = auth;
    await waitForTenant(host, port, this.tenant, auth);
    await auth.start();
    const pids = (): number[] => stack.services.map((s) => s.process.pid).filter((p): p is number => p !== undefined);
    const pidOf = (name: ServiceName): number | undefined => stack.services.find((s) => s.name === name)?.process.pid;
    // What the services use with nothing to do (pollers, heartbeats): the level `settle` waits for.
    await sleep(2000);
    const idleCores = await cpuOver(pids(), 3000);
    if (idleCores !== null) say(`  idle services use ${idleCores.toFixed(2)} cores together`);
    return {
      host,
      port,
      tenant: this.tenant,
      issuer: this.issuer,
      auth,
      databaseUrl: this.databaseUrl,
      workflowPoolSize,
      idleCores,
      pids,
      pidOf,
    };
  }

  /** True once `close()` was called (connections to the database are then ended on purpose). */
  get closing(): boolean {
    return this.closingPromise !== null;
  }

  /** Stops the services, drops the database (unless kept), empties the tenant's asset cache; safe to call twice. */
  close(): Promise<void> {
    return (this.closingPromise ??= (async () => {
      this.auth?.stop();
      if (this.starting) {
        const stack = await this.starting.catch(() => null); // a failed start has stopped its services
        if (stack) {
          say('  stopping the services');
          await stack.stop().catch((err: Error) => say(`could not stop the services: ${err.message}`));
        }
      }
      if (this.databaseTouched) {
        if (!this.options.keepDatabase) await dropDatabase(this.databaseUrl);
        await forgetTenantAssets(this.tenant);
      }
    })());
  }
}
