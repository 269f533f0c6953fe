/**
 * The choice between the local scripts and Testcontainers, and Docker detection. The containers
 * themselves need a Docker daemon, which these machines lack: here the detection is tested against
 * a stand-in for the Docker API on a temporary socket (the thing under test is the detection).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { parse } from 'yaml';
import { KAFKA_IMAGE, POSTGIS_IMAGE, REDIS_IMAGE, toEnvFile } from './containers';
import { chooseTestInfra, detectDocker, dockerEndpoint, TEST_INFRA_VARIABLE } from './test-infra';

const ROOT = join(__dirname, '..', '..');

describe('chooseTestInfra', () => {
  const probe = (answer: boolean) => jest.fn(() => Promise.resolve(answer));

  it.each([
    ['local', true],
    ['local', false],
    ['containers', true],
    ['containers', false],
  ] as const)(
    '%s when MERIDIAN_TEST_INFRA says so (daemon answers: %s), without asking Docker',
    async (value, daemon) => {
      const dockerAvailable = probe(daemon);
      await expect(chooseTestInfra({ env: { [TEST_INFRA_VARIABLE]: value }, dockerAvailable })).resolves.toBe(value);
      expect(dockerAvailable).not.toHaveBeenCalled();
    },
  );

  it.each(['', 'auto', undefined])('decides by the daemon when the variable is %p', async (value) => {
    const env = { [TEST_INFRA_VARIABLE]: value };
    await expect(chooseTestInfra({ env, dockerAvailable: probe(true) })).resolves.toBe('containers');
    await expect(chooseTestInfra({ env, dockerAvailable: probe(false) })).resolves.toBe('local');
  });

  it.each(['docker', 'Containers', 'testcontainers', 'true'])('refuses MERIDIAN_TEST_INFRA=%s', async (value) => {
    const dockerAvailable = probe(true);
    await expect(chooseTestInfra({ env: { [TEST_INFRA_VARIABLE]: value }, dockerAvailable })).rejects.toThrow(
      `MERIDIAN_TEST_INFRA must be local, containers or auto (or unset), not "${value}"`,
    );
    expect(dockerAvailable).not.toHaveBeenCalled();
  });

  it('prints the choice for test.sh, and fails it on an invalid value', () => {
    const cli = (value: string) =>
      spawnSync(process.execPath, ['-r', '@swc-node/register', 'test/infra/test-infra.ts'], {
        cwd: ROOT,
        env: { ...process.env, [TEST_INFRA_VARIABLE]: value, DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
        encoding: 'utf8',
      });
    expect(cli('containers')).toMatchObject({ status: 0, stdout: 'containers\n' });
    expect(cli('')).toMatchObject({ status: 0, stdout: 'local\n' });
    const bad = cli('podman');
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain('MERIDIAN_TEST_INFRA must be local, containers or auto');
  });
});

describe('detectDocker', () => {
  const dirs: string[] = [];
  const servers: Server[] = [];
  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'meridian-docker-'));
    dirs.push(dir);
    return dir;
  };
  const listen = (handler: RequestListener, where: string | 0): Promise<Server> =>
    new Promise((resolve) => {
      const server = createServer(handler);
      servers.push(server);
      server.listen(where, () => resolve(server));
    });
  /** Answers like dockerd: 200 "OK" on /_ping, 404 elsewhere. */
  const dockerApi: RequestListener = (req, res) => {
    if (req.method === 'GET' && req.url === '/_ping') res.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
    else res.writeHead(404).end();
  };

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('is true when the API on DOCKER_HOST (a unix socket) answers /_ping', async () => {
    const socket = join(tempDir(), 'docker.sock');
    await listen(dockerApi, socket);
    await expect(detectDocker({ env: { DOCKER_HOST: `unix://${socket}` } })).resolves.toBe(true);
  });

  it('is true for a daemon on tcp://', async () => {
    const server = await listen(dockerApi, 0);
    const { port } = server.address() as AddressInfo;
    await expect(detectDocker({ env: { DOCKER_HOST: `tcp://127.0.0.1:${port}` } })).resolves.toBe(true);
  });

  it('is false when the socket is missing, or is a stale file', async () => {
    const dir = tempDir();
    await expect(detectDocker({ env: { DOCKER_HOST: `unix://${join(dir, 'docker.sock')}` } })).resolves.toBe(false);
    writeFileSync(join(dir, 'stale.sock'), '');
    await expect(detectDocker({ env: { DOCKER_HOST: `unix://${join(dir, 'stale.sock')}` } })).resolves.toBe(false);
  });

  it('is false when something else listens there, or nothing answers in time', async () => {
    const notDocker = join(tempDir(), 'other.sock');
    await listen((_req, res) => res.writeHead(404).end('no such route'), notDocker);
    await expect(detectDocker({ env: { DOCKER_HOST: `unix://${notDocker}` } })).resolves.toBe(false);

    const silent = join(tempDir(), 'silent.sock');
    await listen(() => undefined, silent);
    const began = Date.now();
    await expect(detectDocker({ env: { DOCKER_HOST: `unix://${silent}` }, timeoutMs: 300 })).resolves.toBe(false);
    expect(Date.now() - began).toBeLessThan(5000);
  });

  it('reads DOCKER_HOST as Docker clients do; the default socket without it', () => {
    expect(dockerEndpoint({})).toEqual({ kind: 'socket', socketPath: '/var/run/docker.sock' });
    expect(dockerEndpoint({ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' })).toEqual({
      kind: 'socket',
      socketPath: '/run/user/1000/docker.sock',
    });
    expect(dockerEndpoint({ DOCKER_HOST: 'tcp://10.0.0.5:2376', DOCKER_TLS_VERIFY: '1' })).toEqual({
      kind: 'tcp',
      host: '10.0.0.5',
      port: 2376,
      tls: true,
    });
    expect(dockerEndpoint({ DOCKER_HOST: 'ssh://me@builder' })).toBeUndefined();
  });
});

describe('the containers path', () => {
  it('writes an env file that bash sources to exactly the values given', () => {
    const dir = mkdtempSync(join(tmpdir(), 'meridian-env-'));
    try {
      const values = {
        KAFKA_BROKERS: 'localhost:32768',
        TEST_DATABASE_URL: "postgres://postgres:p'a$s@localhost:32769/meridian_test",
        TEST_REDIS_URL: 'redis://localhost:32770 `date` $(id)',
      };
      writeFileSync(join(dir, 'test-infra.env'), toEnvFile(values));
      const script = '. "$1/test-infra.env"; printf "%s\\n" "$KAFKA_BROKERS" "$TEST_DATABASE_URL" "$TEST_REDIS_URL"';
      const out = spawnSync('bash', ['-c', script, 'bash', dir], { encoding: 'utf8' });
      expect(out.stdout).toBe(`${Object.values(values).join('\n')}\n`);
      expect(() => toEnvFile({ 'NOT-A-NAME': 'x' })).toThrow('not a variable name');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs the Kafka, PostGIS and Redis images docker-compose.yml runs', () => {
    const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
      services: Record<string, { image?: string }>;
    };
    expect([KAFKA_IMAGE, POSTGIS_IMAGE, REDIS_IMAGE]).toEqual([
      compose.services['kafka'].image,
      compose.services['postgis'].image,
      compose.services['redis'].image,
    ]);
  });

  it('containers-cli stop ends the running start process and removes its files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meridian-infra-'));
    // Stands in for a running `containers-cli start` (what stop does is signal it and wait).
    const running = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const envFile = join(dir, 'test-infra.env');
      writeFileSync(envFile, toEnvFile({ KAFKA_BROKERS: 'localhost:1' }));
      writeFileSync(`${envFile}.pid`, `${running.pid}\n`);
      const ended = new Promise((resolve) => running.once('exit', (_code, signal) => resolve(signal)));
      // Asynchronously: this process must reap `sleep` for stop to see it gone.
      const stop = spawn(
        process.execPath,
        ['-r', '@swc-node/register', 'test/infra/containers-cli.ts', 'stop', envFile],
        {
          cwd: ROOT,
          stdio: 'ignore',
        },
      );
      await expect(new Promise((resolve) => stop.once('exit', resolve))).resolves.toBe(0);
      await expect(ended).resolves.toBe('SIGTERM');
      expect([existsSync(envFile), existsSync(`${envFile}.pid`)]).toEqual([false, false]);
    } finally {
      running.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
