/**
 * Browser tests of the operator console (apps/console), served by the gateway at /console/ of the
 * e2e system: `npx playwright test -c test/console/playwright.config.ts` (npm test runs it after
 * Jest; the console must be built first, `npm run console:build`). Tests are `*.pw.ts`, so Jest
 * (`*.spec.ts`) never picks them up.
 *
 * Global setup starts the whole system in a child process (test/console/system.ts) and teardown stops
 * it; the tests share it and run one at a time. Playwright compiles these files itself: they import
 * only @playwright/test, node built-ins and the pure files beside them, never the project's services.
 *
 * Environment: MERIDIAN_CHROMIUM (the Chromium binary; default Debian's, test/console/chromium.ts),
 * PLAYWRIGHT_JSON_OUTPUT_NAME (JSON report; default .local/test-results/playwright.json),
 * MERIDIAN_CONSOLE_SYSTEM_TIMEOUT_MS (how long global setup waits for the system, default 180000),
 * MERIDIAN_CONSOLE_REUSE_SYSTEM=1 (use a system already running from test/console/system.ts), and
 * the test infrastructure's KAFKA_BROKERS, TEST_DATABASE_URL, REDIS_URL (test/test-env.ts).
 */
import { join, resolve } from 'node:path';
import { defineConfig } from '@playwright/test';
import { API } from './addresses';
import { chromiumExecutable, WEBGL_ARGS } from './chromium';

const root = resolve(__dirname, '..', '..');
const jsonReport = process.env.PLAYWRIGHT_JSON_OUTPUT_NAME || join(root, '.local', 'test-results', 'playwright.json');

export default defineConfig({
  testDir: __dirname,
  testMatch: '**/*.pw.ts',
  outputDir: join(root, '.local', 'playwright', 'results'),
  // One system (fixed ports, one database) behind every test: one test at a time, in file order.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  globalSetup: join(__dirname, 'global-setup.ts'),
  globalTeardown: join(__dirname, 'global-teardown.ts'),
  reporter: [['list'], ['json', { outputFile: jsonReport }]],
  use: {
    baseURL: API,
    viewport: { width: 1280, height: 800 },
    screenshot: 'only-on-failure',
    trace: 'off',
    actionTimeout: 15_000,
    navigationTimeout: 30_000,
  },
  projects: [
    {
      name: 'chromium',
      use: {
        browserName: 'chromium',
        launchOptions: { executablePath: chromiumExecutable(), args: [...WEBGL_ARGS] },
      },
    },
  ],
});
