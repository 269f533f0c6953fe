/** Playwright's global teardown: stops the system that global setup started (SIGTERM, waits for the exit). */
import { stopSystemProcess } from './system-process';

export default async function globalTeardown(): Promise<void> {
  if (process.env.MERIDIAN_CONSOLE_REUSE_SYSTEM === '1') return;
  await stopSystemProcess();
}
