/**
 * Starts and stops test/console/system.ts, the process that runs the whole system for the browser
 * tests, from Playwright's global setup and teardown. Node built-ins only.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { ReadyInfo } from './addresses';

export const ROOT = resolve(__dirname, '..', '..');
const SYSTEM_TS = 'test/console/system.ts';
/** Where setup leaves the process for teardown (both run in Playwright's runner process). */
const HANDLE = Symbol.for('meridian.console.system');
/** …and its pid, for a teardown that runs elsewhere. */
export const PID_ENV = 'MERIDIAN_CONSOLE_SYSTEM_PID';

type Holder = typeof globalThis & { [HANDLE]?: ChildProcess };
const holder = globalThis as Holder;

/** What a start takes at most once the e2e lock is held (about 30–60 s on two cores). */
const START_BUDGET_MS = 90_000;

const prefix = (line: string): string => (line.startsWith('[') ? line : `[console-system] ${line}`);

/**
 * Spawns `node -r @swc-node/register test/console/system.ts` (cwd: the repository root) and waits
 * for its `READY <json>` line; its other output goes to stderr as it comes. On a timeout or an early
 * exit, stops it and throws.
 */
export async function startSystemProcess(timeoutMs: number): Promise<ReadyInfo> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', SYSTEM_TS], {
    cwd: ROOT,
    env: {
      ...process.env,
      // stdin stays open as long as this runner lives: when it closes, the system stops itself.
      MERIDIAN_SYSTEM_STOP_ON_STDIN_EOF: '1',
      // Another e2e system on this machine (the lock port): give up waiting for it in time to say so.
      E2E_LOCK_WAIT_MS: process.env.E2E_LOCK_WAIT_MS ?? String(Math.max(10_000, timeoutMs - START_BUDGET_MS)),
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // Why the system gave up, when it says so (`[console-system] failed: …`): the error names it.
  let failure = '';
  const because = (): string => (failure ? `: ${failure}` : '; see its output above');
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => {
    process.stderr.write(`${line}\n`);
    const m = /\[console-system\] failed: (.*)/.exec(line);
    if (m) failure = m[1];
  });
  const ready = new Promise<ReadyInfo>((done, fail) => {
    const timer = setTimeout(() => {
      const hint = failure ? `: ${failure}` : ' (MERIDIAN_CONSOLE_SYSTEM_TIMEOUT_MS)';
      fail(new Error(`${SYSTEM_TS} was not ready after ${timeoutMs} ms${hint}`));
    }, timeoutMs);
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (!line.startsWith('READY ')) {
        process.stderr.write(`${prefix(line)}\n`);
        return;
      }
      clearTimeout(timer);
      try {
        done(JSON.parse(line.slice('READY '.length)) as ReadyInfo);
      } catch (err) {
        fail(new Error(`${SYSTEM_TS} said ${line}: ${(err as Error).message}`));
      }
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      fail(err);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      // Its last stderr line may still be on its way: read it first.
      setTimeout(
        () => fail(new Error(`${SYSTEM_TS} exited (${signal ?? `code ${code}`}) before it was ready${because()}`)),
        100,
      );
    });
  });
  try {
    const info = await ready;
    child.once('exit', (code, signal) => {
      if (holder[HANDLE] !== child) return; // stopped by teardown
      process.stderr.write(
        `[console-system] the system exited (${signal ?? `code ${code}`}) while the tests ran: ` +
          'every later request is refused; see its output above\n',
      );
    });
    holder[HANDLE] = child;
    process.env[PID_ENV] = String(child.pid);
    return info;
  } catch (err) {
    await stopChild(child);
    throw err;
  }
}

const exited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null;

/**
 * SIGTERM, then waits for the exit. Never SIGKILL: the services run in process groups of their
 * own, and only this process stops them (each gets SIGKILL after 15 s there).
 */
async function stopChild(child: ChildProcess, timeoutMs = 120_000): Promise<void> {
  if (exited(child)) return;
  const gone = new Promise<boolean>((done) => {
    const timer = setTimeout(() => done(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      done(true);
    });
  });
  child.kill('SIGTERM');
  if (!(await gone)) {
    process.stderr.write(`[console-system] still running ${timeoutMs} ms after SIGTERM (pid ${child.pid})\n`);
  }
  child.stdin?.destroy();
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Stops the system that startSystemProcess started (in this process, else by the pid it recorded). */
export async function stopSystemProcess(timeoutMs = 120_000): Promise<void> {
  const child = holder[HANDLE];
  if (child) {
    delete holder[HANDLE];
    await stopChild(child, timeoutMs);
    return;
  }
  const pid = Number(process.env[PID_ENV]);
  if (!pid || !alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
}
