/**
 * Starts the five services as child processes, waits until each reports ready, and stops them
 * with SIGTERM (graceful shutdown) on request. Used by `npm start` and by the e2e tests.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { migrateReadModels } from './migrate';

export const SERVICES = ['identity', 'workflow', 'projection', 'geo-query', 'gateway'] as const;
export type ServiceName = (typeof SERVICES)[number];

export const ROOT = resolve(__dirname, '..');

export interface StackOptions {
  readonly env: Readonly<Record<string, string>>;
  /** Health port per service. */
  readonly ports: Readonly<Record<ServiceName, number>>;
  readonly logDir: string;
  readonly readyTimeoutMs?: number;
  readonly progress?: (line: string) => void;
}

export interface RunningService {
  readonly name: ServiceName;
  readonly process: ChildProcess;
  readonly port: number;
}

export interface Stack {
  readonly services: readonly RunningService[];
  stop(): Promise<void>;
  /** Sends SIGKILL to one service and starts it again (fault tests). */
  restart(name: ServiceName, signal?: NodeJS.Signals): Promise<void>;
}

export const portEnv: Readonly<Record<ServiceName, string>> = {
  identity: 'IDENTITY_HTTP_PORT',
  workflow: 'WORKFLOW_HTTP_PORT',
  projection: 'PROJECTION_HTTP_PORT',
  'geo-query': 'GEO_QUERY_HTTP_PORT',
  gateway: 'GATEWAY_PORT',
};

export const defaultPorts: Readonly<Record<ServiceName, number>> = {
  gateway: 8080,
  identity: 8081,
  workflow: 8082,
  projection: 8083,
  'geo-query': 8084,
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function isReady(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health/ready`, { signal: AbortSignal.timeout(3000) });
    return res.status === 200;
  } catch {
    return false;
  }
}

/**
 * Node flags a service always gets. The projection holds whole fetched batches of telemetry
 * (JSON, rows, COPY text): with V8's default heap limit on a large machine it grows to 550 MB
 * before collecting; capped, it collects sooner and stays within its 512 MB budget (issue 7).
 */
const SERVICE_NODE_ARGS: Partial<Record<ServiceName, readonly string[]>> = {
  projection: ['--max-old-space-size=256'],
};

function spawnService(name: ServiceName, options: StackOptions): RunningService {
  mkdirSync(options.logDir, { recursive: true });
  const log = createWriteStream(join(options.logDir, `${name}.log`), { flags: 'a' });
  // MERIDIAN_SERVICE_NODE_ARGS: extra Node flags for every service (e.g. `--cpu-prof --cpu-prof-dir=/tmp/p`).
  const extra = (process.env.MERIDIAN_SERVICE_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const main = join(ROOT, 'apps', name, 'src', 'main.ts');
  const child = spawn(
    process.execPath,
    [...(SERVICE_NODE_ARGS[name] ?? []), ...extra, '-r', '@swc-node/register', main],
    {
      cwd: ROOT,
      env: { ...process.env, ...options.env, [portEnv[name]]: String(options.ports[name]) },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Own process group: Ctrl-C reaches only the runner, which then stops each service once, in order.
      detached: true,
    },
  );
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  return { name, process: child, port: options.ports[name] };
}

async function waitReady(service: RunningService, options: StackOptions): Promise<void> {
  const started = Date.now();
  const timeout = options.readyTimeoutMs ?? 180_000;
  let lastReport = started;
  while (!(await isReady(service.port))) {
    if (service.process.exitCode !== null) {
      throw new Error(
        `${service.name} exited with code ${service.process.exitCode}; ` +
          `see ${join(options.logDir, `${service.name}.log`)}`,
      );
    }
    if (Date.now() - started > timeout) throw new Error(`${service.name} not ready after ${timeout} ms`);
    if (Date.now() - lastReport > 10_000) {
      options.progress?.(`  … still waiting for ${service.name} (${Math.round((Date.now() - started) / 1000)} s)`);
      lastReport = Date.now();
    }
    await sleep(250);
  }
  options.progress?.(`  ✓ ${service.name} ready on :${service.port} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

async function stopService(service: RunningService, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (service.process.exitCode !== null || service.process.signalCode !== null) return;
  const exited = new Promise<void>((r) => service.process.once('exit', () => r()));
  service.process.kill(signal);
  const killer = setTimeout(() => service.process.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(killer);
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const databaseUrl = options.env['DATABASE_URL'] ?? process.env['DATABASE_URL'];
  if (databaseUrl) {
    const applied = await migrateReadModels(databaseUrl);
    options.progress?.(`[start] read-model migrations: ${applied.length ? applied.join(', ') : 'up to date'}`);
  }
  const services: RunningService[] = SERVICES.map((name) => spawnService(name, options));
  const stop = async () => {
    // The gateway first, so no new work arrives while the others finish theirs.
    await stopService(services[SERVICES.indexOf('gateway')]);
    await Promise.all(services.filter((s) => s.name !== 'gateway').map((s) => stopService(s)));
  };
  try {
    await Promise.all(services.map((s) => waitReady(s, options)));
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    services,
    stop,
    async restart(name, signal = 'SIGKILL') {
      const i = services.findIndex((s) => s.name === name);
      await stopService(services[i], signal);
      services[i] = spawnService(name, options);
      await waitReady(services[i], options);
    },
  };
}
