/**
 * The test containers for a shell script (infra/scripts/test.sh):
 *
 *   node -r @swc-node/register test/infra/containers-cli.ts start [ENV_FILE] [--exit-with PID]
 *     starts Kafka, PostGIS and Redis (test/infra/containers.ts), writes ENV_FILE (default
 *     .local/test-infra.env: `export NAME='value'` lines to `source`), then stays in the foreground:
 *     the containers live as long as this process (Testcontainers' Ryuk removes them once it is
 *     gone, however it ended). It stops them and removes ENV_FILE on SIGTERM, SIGINT or SIGHUP, and
 *     once process PID (default: its parent) has exited — run it in the background of the script
 *     that uses the containers, with --exit-with $$.
 *   node -r @swc-node/register test/infra/containers-cli.ts stop [ENV_FILE]
 *     signals the running `start` (its pid is in ENV_FILE.pid) and waits until it has ended.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { type StartedTestInfra, startTestContainers, toEnvFile } from './containers';

const DEFAULT_ENV_FILE = join(__dirname, '..', '..', '.local', 'test-infra.env');
const STOP_TIMEOUT_MS = 60_000;

const log = (message: string): void => void process.stderr.write(`[test-infra] ${message}\n`);

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it is just not ours to signal.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

async function start(envFile: string, exitWith: number | undefined): Promise<void> {
  const pidFile = `${envFile}.pid`;
  const parent = process.ppid;
  const ownerGone = (): boolean => (exitWith === undefined ? process.ppid !== parent : !alive(exitWith));
  let infra: StartedTestInfra | undefined;
  let stopping = false;
  const shutdown = async (why: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log(`stopping the test containers (${why})`);
    rmSync(envFile, { force: true });
    await infra?.stop();
    rmSync(pidFile, { force: true });
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => void shutdown(signal));
  // Once the owner is gone nobody would stop us: end, and the containers with us.
  setInterval(() => {
    if (ownerGone()) void shutdown('the process that started them exited');
  }, 1000).unref();

  mkdirSync(dirname(envFile), { recursive: true });
  rmSync(envFile, { force: true });
  writeFileSync(pidFile, `${process.pid}\n`);
  log('starting Kafka, PostGIS and Redis with Testcontainers...');
  const began = Date.now();
  try {
    infra = await startTestContainers();
  } catch (err) {
    rmSync(pidFile, { force: true });
    throw err;
  }
  // Written whole, then renamed: a reader never sources half a file.
  writeFileSync(`${envFile}.tmp`, toEnvFile({ ...infra.env }));
  renameSync(`${envFile}.tmp`, envFile);
  log(
    `ready in ${((Date.now() - began) / 1000).toFixed(1)} s: ${Object.entries(infra.env)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  );
  // Keeps the event loop (and with it the containers) alive until a signal or the parent's exit.
  setInterval(() => undefined, 1 << 30);
}

async function stop(envFile: string): Promise<void> {
  const pidFile = `${envFile}.pid`;
  if (!existsSync(pidFile)) {
    log('no test containers running');
    return;
  }
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while (alive(pid) && Date.now() < deadline) await sleep(200);
    if (alive(pid)) throw new Error(`process ${pid} did not end within ${STOP_TIMEOUT_MS / 1000} s`);
  }
  rmSync(pidFile, { force: true });
  rmSync(envFile, { force: true });
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { 'exit-with': { type: 'string' } },
});
const [command, envFile = DEFAULT_ENV_FILE] = positionals;
const exitWith = values['exit-with'] === undefined ? undefined : Number(values['exit-with']);
if ((command !== 'start' && command !== 'stop') || (exitWith !== undefined && !(exitWith > 0))) {
  log('usage: containers-cli.ts start [ENV_FILE] [--exit-with PID] | stop [ENV_FILE]');
  process.exit(2);
}
(command === 'start' ? start(envFile, exitWith) : stop(envFile)).catch((err: unknown) => {
  log(`failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
