/**
 * Playwright's global setup: checks for Chromium and the built console, then starts the whole
 * system (test/console/system.ts in a child process) and waits until it is ready.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromiumExecutable } from './chromium';
import { ROOT, startSystemProcess } from './system-process';

export default async function globalSetup(): Promise<void> {
  if (!chromiumExecutable()) {
    throw new Error('no Chromium found: run infra/scripts/chromium.sh ensure, or set MERIDIAN_CHROMIUM');
  }
  if (!existsSync(join(ROOT, 'dist', 'console', 'index.html'))) {
    process.stderr.write(
      '[console-system] dist/console/index.html is missing (npm run console:build): /console/ will answer 404\n',
    );
  }
  if (process.env.MERIDIAN_CONSOLE_REUSE_SYSTEM === '1') {
    // Development: a system started once (`node -r @swc-node/register test/console/system.ts`) serves
    // many runs; nothing is started here and teardown stops nothing.
    const ready = await fetch('http://127.0.0.1:18080/health/ready').catch(() => null);
    if (ready?.status !== 200) throw new Error('MERIDIAN_CONSOLE_REUSE_SYSTEM=1 but no system answers on :18080');
    process.stderr.write('[console-system] reusing the running system\n');
    return;
  }
  const timeoutMs = Number(process.env.MERIDIAN_CONSOLE_SYSTEM_TIMEOUT_MS || 180_000);
  const info = await startSystemProcess(timeoutMs);
  process.stderr.write(`[console-system] ready in ${(info.startMs / 1000).toFixed(1)} s: ${info.console}\n`);
}
