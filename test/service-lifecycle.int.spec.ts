import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { testDatabaseUrl, testRedisUrl } from './test-env';

const root = resolve(__dirname, '..');

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

function runWorkflow(
  env: Record<string, string>,
  whileRunning?: (output: () => string, stop: () => void) => Promise<void>,
): Promise<Exit> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/workflow/src/main.ts'], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<Exit>((done) => child.on('exit', (code, signal) => done({ code, signal, output })));
  void whileRunning?.(
    () => output,
    () => child.kill('SIGTERM'),
  );
  return exited;
}

async function waitReady(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`not ready on ${port}`);
}

describe('service lifecycle', () => {
  it('refuses to start with bad configuration and names every bad setting', async () => {
    const exit = await runWorkflow({ WORKFLOW_HTTP_PORT: 'eighty', KAFKA_BROKERS: 'nohostport', LOG_LEVEL: 'chatty' });
    expect(exit.code).toBe(1);
    expect(exit.output).toContain('invalid configuration');
    for (const name of ['WORKFLOW_HTTP_PORT', 'KAFKA_BROKERS', 'LOG_LEVEL']) expect(exit.output).toContain(name);
  }, 60_000);

  it('shuts down gracefully on SIGTERM: stops consuming, then closes its connections', async () => {
    const port = 18182;
    const exit = await runWorkflow(
      {
        WORKFLOW_HTTP_PORT: String(port),
        DATABASE_URL: testDatabaseUrl(),
        REDIS_URL: testRedisUrl(),
        INSTANCE_ID: `lifecycle-${process.pid}`,
        LOG_LEVEL: 'info',
      },
      async (_output, stop) => {
        await waitReady(port, 120_000);
        stop();
      },
    );
    expect(exit.code).toBe(0);
    const shuttingDown = exit.output.indexOf('"msg":"shutting down"');
    const closed = exit.output.indexOf('"msg":"connections closed"');
    expect(shuttingDown).toBeGreaterThan(-1);
    expect(closed).toBeGreaterThan(shuttingDown);
    expect(exit.output).not.toContain('shutdown took too long');
    // JSON logs: every line the service printed after start is a JSON object.
    const lines = exit.output.trim().split('\n');
    expect(lines.every((l) => l.startsWith('{') && JSON.parse(l))).toBe(true);
  }, 180_000);
});
