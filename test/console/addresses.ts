/**
 * Where the browser tests' system answers: the e2e system's fixed ports (test/e2e/e2e-stack.ts,
 * which test/console/system.ts checks against these at start). Pure, for Playwright's side.
 */

/** The gateway: the API, and the console at /console/. */
export const API = 'http://127.0.0.1:18080';
/** identity's OpenID Connect provider (login page, token endpoint). */
export const ISSUER = 'http://127.0.0.1:18086';
export const CONSOLE_URL = `${API}/console/`;

/** What test/console/system.ts prints after `READY ` once the system is up (JSON). */
export interface ReadyInfo {
  readonly api: string;
  readonly issuer: string;
  readonly console: string;
  readonly tenants: readonly string[];
  readonly users: readonly string[];
  readonly instanceId: string;
  /** How long the start took. */
  readonly startMs: number;
}
