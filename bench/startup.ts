/**
 * Start-up time per service (issue 11): from spawning the process to its first `200` on
 * `/health/ready` (migrations checked, consumers joined, HTTP listening), for the production build
 * (`node dist/server/tools/meridian.js <service>`, plain JavaScript) against the development path
 * (`node -r @swc-node/register apps/<service>/src/main.ts`, compiled on the fly) — the baseline,
 * same run, same database and broker. Rounds alternate the two so drift hits both alike; the
 * median of the rounds is reported.
 *
 *   npm run bench -- startup        (BENCH_STARTUP_ROUNDS, default 3)
 *
 * Environment: BENCH_PG_URL's server (database meridian_bench_startup), KAFKA_BROKERS, REDIS_URL.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildServer } from '../tools/build-server';
import { sleep } from '@meridian/shared/util';
import { type BenchResult, now, result, say } from './harness';
import { databaseUrl, ensureDatabase, infraConfig } from './infra';

export const STARTUP_DATABASE = 'meridian_bench_startup';
const ROOT = resolve(__dirname, '..');
const SERVICES = ['identity', 'workflow', 'projection', 'geo-query', 'gateway'] as const;
type Service = (typeof SERVICES)[number];
const PORTS: Record<Service, { env: string; port: number }> = {
  gateway: { env: 'GATEWAY_PORT', port: 26080 },
  identity: { env: 'IDENTITY_HTTP_PORT', port: 26081 },
  workflow: { env: 'WORKFLOW_HTTP_PORT', port: 26082 },
  projection: { env: 'PROJECTION_HTTP_PORT', port: 26083 },
  'geo-query': { env: 'GEO_QUERY_HTTP_PORT', port: 26084 },
};

export interface StartupParams {
  readonly rounds: number;
}

export function startupParams(env: NodeJS.ProcessEnv): StartupParams {
  const rounds = Number(env.BENCH_STARTUP_ROUNDS ?? 3);
  return { rounds: Number.isInteger(rounds) && rounds > 0 ? rounds : 3 };
}

type Mode = 'build' | 'loader';

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

async function ready(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health/ready`, { signal: AbortSignal.timeout(1000) });
    return res.status === 200;
  } catch {
    return false;
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(killer);
}

/** Milliseconds from spawn to ready, for one start of `service` in `mode`. */
async function startOnce(service: Service, mode: Mode, env: NodeJS.ProcessEnv, logDir: string): Promise<number> {
  const args =
    mode === 'build'
      ? [join(ROOT, 'dist', 'server', 'tools', 'meridian.js'), service]
      : ['-r', '@swc-node/register', join(ROOT, 'apps', service, 'src', 'main.ts')];
  const log = createWriteStream(join(logDir, `${service}-${mode}.log`), { flags: 'a' });
  const started = now();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...env, [PORTS[service].env]: String(PORTS[service].port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  try {
    while (!(await ready(PORTS[service].port))) {
      if (child.exitCode !== null) throw new Error(`${service} (${mode}) exited ${child.exitCode}; see ${logDir}`);
      if (now() - started > 120_000) throw new Error(`${service} (${mode}) not ready after 120 s`);
      await sleep(20);
    }
    return now() - started;
  } finally {
    await stop(child);
  }
}

export async function startupBenchmark(params: StartupParams): Promise<BenchResult[]> {
  const config = infraConfig();
  const url = databaseUrl(config.pgUrl, STARTUP_DATABASE);
  await ensureDatabase(url);
  say('startup: compiling the production build (dist/server)…');
  const files = await buildServer(join(ROOT, 'dist', 'server'));
  const logDir = join(ROOT, '.local', 'logs', 'bench-startup');
  mkdirSync(logDir, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'development',
    KAFKA_BROKERS: config.brokers.join(','),
    DATABASE_URL: url,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/8',
    IDENTITY_OIDC_PORT: '26090',
    OIDC_ISSUER: 'http://127.0.0.1:26090',
    LOG_LEVEL: 'warn',
  };
  // One unmeasured start each: migrations, topics and the first group joins happen once, not in round 1.
  for (const service of SERVICES) await startOnce(service, 'loader', env, logDir);
  const results: BenchResult[] = [];
  for (const service of SERVICES) {
    const times: Record<Mode, number[]> = { build: [], loader: [] };
    for (let round = 0; round < params.rounds; round++) {
      for (const mode of (round % 2 ? ['loader', 'build'] : ['build', 'loader']) as Mode[]) {
        times[mode].push(await startOnce(service, mode, env, logDir));
      }
    }
    const build = median(times.build);
    const loader = median(times.loader);
    say(`startup: ${service} ready in ${Math.round(build)} ms built vs ${Math.round(loader)} ms through the loader`);
    results.push(
      result({
        name: `startup-${service}`,
        title: `${service} start-up to ready, production build`,
        value: build,
        unit: 'ms',
        baseline: loader,
        baselineName: 'TypeScript loader (@swc-node/register)',
        valueName: 'node dist/server',
        better: 'lower',
        parameters: { rounds: params.rounds, files },
        details: { buildMs: times.build.map(Math.round), loaderMs: times.loader.map(Math.round) },
      }),
    );
  }
  return results;
}
