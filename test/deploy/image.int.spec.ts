/**
 * The container image without Docker (issue 11): no engine runs on these machines, so this test
 * runs the image's build steps — infra/scripts/image-build.sh, the very script the Dockerfile's
 * build stage runs — into a temporary folder that stands for the image's /app, then starts services
 * from it the way the image's ENTRYPOINT does: plain `node dist/server/tools/meridian.js <role>`,
 * production settings, real Kafka, PostgreSQL and Redis, no TypeScript loader installed.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client } from 'pg';
import { onDatabase, testDatabaseUrl, testKafkaBrokers, testRedisUrl } from '../test-env';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '..', '..');
const ENTRY = join('dist', 'server', 'tools', 'meridian.js');
const DATABASE = 'meridian_image_test';
const PORTS = { workflow: 25082, gateway: 25080 } as const;

/** The Dockerfile's instructions by stage, continuation lines joined. */
function dockerfileStages(): { from: string; instructions: string[] }[] {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n\s*/g, ' ');
  const stages: { from: string; instructions: string[] }[] = [];
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (!line || line.startsWith('#')) continue;
    if (/^FROM\s/i.test(line)) stages.push({ from: line, instructions: [] });
    else stages.at(-1)?.instructions.push(line);
  }
  return stages;
}

/** Every folder name under `dir` (recursively, stopping at package folders). */
function installedPackages(nodeModules: string): Set<string> {
  const names = new Set<string>();
  for (const entry of readdirSync(nodeModules)) {
    if (entry.startsWith('.')) continue;
    if (entry.startsWith('@')) {
      for (const sub of readdirSync(join(nodeModules, entry))) names.add(`${entry}/${sub}`);
    } else names.add(entry);
  }
  return names;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function status(port: number, path: string): Promise<number> {
  try {
    return (await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2000) })).status;
  } catch {
    return 0;
  }
}

describe('the container image, built by the Dockerfile’s own script and run without a loader', () => {
  let app = '';
  let env: NodeJS.ProcessEnv = {};
  const children: ChildProcess[] = [];
  const logs = new Map<ChildProcess, string>();

  /** Starts a role from the built folder as the image does (cwd /app, plain node, no -r). */
  function start(role: string, extra: NodeJS.ProcessEnv = {}): ChildProcess {
    const child = spawn(process.execPath, [ENTRY, role], {
      cwd: app,
      env: { ...env, ...extra },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    logs.set(child, '');
    const append = (chunk: Buffer) => logs.set(child, `${logs.get(child) ?? ''}${chunk.toString()}`.slice(-20_000));
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    children.push(child);
    return child;
  }

  async function untilReady(child: ChildProcess, port: number): Promise<number> {
    const started = Date.now();
    while ((await status(port, '/health/ready')) !== 200) {
      if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}:\n${logs.get(child)}`);
      if (Date.now() - started > 90_000) throw new Error(`not ready after 90 s:\n${logs.get(child)}`);
      await sleep(100);
    }
    return Date.now() - started;
  }

  async function stop(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }

  beforeAll(async () => {
    app = mkdtempSync(join(tmpdir(), 'meridian-image-'));
    const { stderr } = await run('bash', [join(ROOT, 'infra', 'scripts', 'image-build.sh'), app], {
      cwd: ROOT,
      maxBuffer: 64 * 1024 * 1024,
      timeout: 600_000,
    });
    process.stdout.write(`${stderr.split('\n').filter((l) => l.startsWith('[image-build] done'))[0] ?? ''}\n`);

    const admin = new Client({ connectionString: onDatabase(testDatabaseUrl(), 'postgres') });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${DATABASE}`);
    await admin.end();
    const db = new Client({ connectionString: onDatabase(testDatabaseUrl(), DATABASE) });
    await db.connect();
    await db.query('CREATE EXTENSION IF NOT EXISTS postgis');
    await db.end();

    // What the chart and compose give a container: production mode, its own secrets key, real infra.
    env = {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      SECRETS_KEY: randomBytes(32).toString('base64'),
      KAFKA_BROKERS: testKafkaBrokers().join(','),
      DATABASE_URL: onDatabase(testDatabaseUrl(), DATABASE),
      REDIS_URL: testRedisUrl(),
      WORKFLOW_HTTP_PORT: String(PORTS.workflow),
      GATEWAY_PORT: String(PORTS.gateway),
    };
  }, 660_000);

  afterAll(async () => {
    await Promise.all(children.map(stop));
    if (app) rmSync(app, { recursive: true, force: true });
  });

  it('is multi-stage, runs the build script, and runs as a non-root user with a health check', () => {
    const stages = dockerfileStages();
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const [build, runtime] = [stages[0], stages.at(-1)];
    expect(build?.instructions).toContain('RUN bash infra/scripts/image-build.sh /out');
    const final = runtime?.instructions ?? [];
    expect(final).toContain('COPY --from=build /out/ /app/');
    const user = final.filter((i) => /^USER\s/.test(i)).at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER\s+(root|0)(:|$)/);
    expect(final.find((i) => i.startsWith('HEALTHCHECK'))).toContain(`"${ENTRY}", "healthcheck"`);
    expect(final).toContain(`ENTRYPOINT ["node", "${ENTRY}"]`);
  });

  it('holds compiled JavaScript and the console, and only production dependencies', () => {
    expect(existsSync(join(app, ENTRY))).toBe(true);
    for (const service of ['gateway', 'identity', 'workflow', 'projection', 'geo-query']) {
      expect(existsSync(join(app, 'dist', 'server', 'apps', service, 'src', 'main.js'))).toBe(true);
    }
    const walk = (dir: string): string[] =>
      readdirSync(dir).flatMap((e) => (statSync(join(dir, e)).isDirectory() ? walk(join(dir, e)) : [join(dir, e)]));
    const server = walk(join(app, 'dist', 'server'));
    expect(server.filter((f) => f.endsWith('.ts'))).toEqual([]);
    expect(server.filter((f) => /\.spec\.js$/.test(f))).toEqual([]);
    expect(existsSync(join(app, 'dist', 'console', 'index.html'))).toBe(true);

    // The lock file marks what only development needs; none of it may be in the image.
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const devOnly = Object.entries(lock.packages)
      .filter(([path, p]) => p.dev && /^node_modules\/(@[^/]+\/)?[^/]+$/.test(path))
      .map(([path]) => path.slice('node_modules/'.length));
    const installed = installedPackages(join(app, 'node_modules'));
    expect(devOnly.length).toBeGreaterThan(100);
    expect(devOnly.filter((name) => installed.has(name))).toEqual([]);
    // In particular no TypeScript at run time: neither the loader nor the compiler.
    for (const name of ['@swc-node/register', '@swc/core', 'typescript', 'jest', 'vite']) {
      expect(installed.has(name)).toBe(false);
    }
  });

  it('migrates as a one-shot role and exits 0', async () => {
    const migrate = start('migrate');
    const code = await new Promise<number | null>((r) => migrate.once('exit', r));
    expect({ code, log: code === 0 ? '' : logs.get(migrate) }).toEqual({ code: 0, log: '' });
    const db = new Client({ connectionString: env.DATABASE_URL });
    await db.connect();
    const { rows } = await db.query<{ n: string }>(
      "SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'read' AND tablename = 'asset_latest'",
    );
    await db.end();
    expect(rows[0]?.n).toBe('1');
  });

  it('starts workflow and the gateway with plain node and production settings; they reach ready', async () => {
    const workflow = start('workflow');
    const workflowMs = await untilReady(workflow, PORTS.workflow);
    const gateway = start('gateway');
    const gatewayMs = await untilReady(gateway, PORTS.gateway);
    process.stdout.write(
      `[image] workflow ready in ${workflowMs} ms, gateway in ${gatewayMs} ms (built, plain node)\n`,
    );
    // The console's static files are served from the image's dist/console.
    const page = await fetch(`http://127.0.0.1:${PORTS.gateway}/console/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="app"');

    // The image's HEALTHCHECK: 0 while the named service lives, 1 once it is gone.
    const check = (service: string) =>
      run(process.execPath, [ENTRY, 'healthcheck'], { cwd: app, env: { ...env, MERIDIAN_SERVICE: service } }).then(
        () => 0,
        (err: { code?: number }) => err.code ?? -1,
      );
    expect(await check('workflow')).toBe(0);
    await stop(workflow);
    expect(await check('workflow')).toBe(1);
  });

  it('refuses an unknown role with the list of roles', async () => {
    const failed = await run(process.execPath, [ENTRY, 'nonsense'], { cwd: app, env }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code?: number; stderr?: string }) => ({ code: err.code, stderr: err.stderr ?? '' }),
    );
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('unknown role "nonsense"');
    expect(failed.stderr).toContain('gateway, identity, workflow, projection, geo-query, migrate, topics');
  });
});
