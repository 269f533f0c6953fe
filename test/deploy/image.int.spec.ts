/**
 * The container image without Docker (issue 11): no engine runs on these machines, so this test
 * does what `docker build` does — the build context filtered by .dockerignore, `npm ci
 * --ignore-scripts` in it, then infra/scripts/image-build.sh, the very script the Dockerfile's
 * build stage runs — into a temporary folder that stands for the image's /app, then runs every role
 * from it the way the image's ENTRYPOINT does: plain `node dist/server/tools/meridian.js <role>`,
 * production settings, real Kafka, PostgreSQL and Redis, no TypeScript loader installed.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client } from 'pg';
import { onDatabase, recreatePostgisDatabase, testDatabaseUrl, testKafkaBrokers, testRedisUrl } from '../test-env';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '..', '..');
const ENTRY = join('dist', 'server', 'tools', 'meridian.js');
const DATABASE = 'meridian_image_test';
const PORTS = {
  gateway: { env: 'GATEWAY_PORT', port: 25080 },
  identity: { env: 'IDENTITY_HTTP_PORT', port: 25081 },
  workflow: { env: 'WORKFLOW_HTTP_PORT', port: 25082 },
  projection: { env: 'PROJECTION_HTTP_PORT', port: 25083 },
  'geo-query': { env: 'GEO_QUERY_HTTP_PORT', port: 25084 },
} as const;
const OIDC_PORT = 25090;

/** .dockerignore's patterns as Docker reads them: anchored at the context's root, `**` any depth. */
function dockerIgnored(): (path: string) => boolean {
  const patterns = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const regexps = patterns.map((p) => {
    const body = p
      .replace(/^\//, '')
      .split(/(\*\*\/|\*\*|\*|\?)/)
      .map((part) =>
        part === '**/'
          ? '(?:.*/)?'
          : part === '**'
            ? '.*'
            : part === '*'
              ? '[^/]*'
              : part === '?'
                ? '[^/]'
                : part.replace(/[.+^${}()|[\]\\]/g, '\\$&'),
      )
      .join('');
    // A pattern that names a folder excludes everything under it.
    return new RegExp(`^${body}(?:/.*)?$`);
  });
  return (path) => regexps.some((r) => r.test(path));
}

/** Copies what `docker build` would send as its context (the checkout minus .dockerignore) to `to`. */
function copyContext(to: string): number {
  const ignored = dockerIgnored();
  let files = 0;
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const rel = relative(ROOT, path);
      if (ignored(rel)) continue;
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) {
        mkdirSync(dirname(join(to, rel)), { recursive: true });
        copyFileSync(path, join(to, rel));
        files++;
      }
    }
  };
  walk(ROOT);
  return files;
}

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
  let work = '';
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
    // The Dockerfile's build stage: COPY the context (minus .dockerignore), npm ci --ignore-scripts,
    // then the build script, into what the runtime stage copies to /app.
    work = mkdtempSync(join(tmpdir(), 'meridian-image-'));
    const context = join(work, 'src');
    app = join(work, 'app');
    const files = copyContext(context);
    const started = Date.now();
    await run('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], {
      cwd: context,
      maxBuffer: 64 * 1024 * 1024,
      timeout: 600_000,
    });
    const { stderr } = await run('bash', [join(context, 'infra', 'scripts', 'image-build.sh'), app], {
      cwd: context,
      maxBuffer: 64 * 1024 * 1024,
      timeout: 600_000,
    });
    const done = stderr.split('\n').find((l) => l.startsWith('[image-build] done')) ?? '';
    process.stdout.write(`[image] context ${files} files; npm ci + build in ${Date.now() - started} ms; ${done}\n`);

    await recreatePostgisDatabase(onDatabase(testDatabaseUrl(), DATABASE));

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
      ...Object.fromEntries(Object.values(PORTS).map(({ env: name, port }) => [name, String(port)])),
      // identity in production refuses its published development secrets and demo users.
      IDENTITY_OIDC_PORT: String(OIDC_PORT),
      OIDC_ISSUER: `http://127.0.0.1:${OIDC_PORT}`,
      IDENTITY_PLATFORM_CLIENT_SECRET: randomBytes(24).toString('hex'),
      IDENTITY_BOOTSTRAP_ADMIN_SECRET: randomBytes(24).toString('hex'),
      IDENTITY_COOKIE_KEYS: randomBytes(24).toString('hex'),
      IDENTITY_BOOTSTRAP_USERS: '[]',
      EXPORTS_DIR: join(work, 'exports'),
    };
  }, 660_000);

  afterAll(async () => {
    await Promise.all(children.map(stop));
    if (work) rmSync(work, { recursive: true, force: true });
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

  /** Runs a one-shot role to its end; its exit code, with its log when it failed. */
  async function oneShot(role: string): Promise<{ code: number | null; log: string }> {
    const child = start(role);
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    return { code, log: code === 0 ? '' : (logs.get(child) ?? '') };
  }

  it('migrates and creates the topics as one-shot roles (the chart’s hook Job), each exiting 0', async () => {
    expect(await oneShot('migrate')).toEqual({ code: 0, log: '' });
    const db = new Client({ connectionString: env.DATABASE_URL });
    await db.connect();
    const { rows } = await db.query<{ n: string }>(
      "SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'read' AND tablename = 'asset_latest'",
    );
    await db.end();
    expect(rows[0]?.n).toBe('1');
    // Idempotent: the topics exist already on the test broker, or are created now.
    expect(await oneShot('topics')).toEqual({ code: 0, log: '' });
  });

  it('starts all five services with plain node and production settings; each reaches ready', async () => {
    const ready: string[] = [];
    const running = new Map<string, ChildProcess>();
    for (const [service, { port }] of Object.entries(PORTS)) {
      const child = start(service);
      running.set(service, child);
      ready.push(`${service} ${await untilReady(child, port)} ms`);
    }
    process.stdout.write(`[image] ready (built, plain node): ${ready.join(', ')}\n`);
    // The console's static files are served from the image's dist/console.
    const page = await fetch(`http://127.0.0.1:${PORTS.gateway.port}/console/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="app"');
    // identity's OpenID Connect endpoints answer from the image too.
    const discovery = await fetch(`http://127.0.0.1:${OIDC_PORT}/.well-known/openid-configuration`);
    expect(discovery.status).toBe(200);
    expect(((await discovery.json()) as { issuer: string }).issuer).toBe(env.OIDC_ISSUER);

    // The image's HEALTHCHECK: 0 while the named service lives, 1 once it is gone.
    const check = (service: string) =>
      run(process.execPath, [ENTRY, 'healthcheck'], { cwd: app, env: { ...env, MERIDIAN_SERVICE: service } }).then(
        () => 0,
        (err: { code?: number }) => err.code ?? -1,
      );
    expect(await check('workflow')).toBe(0);
    await stop(running.get('workflow') as ChildProcess);
    expect(await check('workflow')).toBe(1);
    // Stopped with SIGTERM, a service shuts down cleanly.
    expect(running.get('workflow')?.exitCode).toBe(0);
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
