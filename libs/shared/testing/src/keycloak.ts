import { spawn } from 'node:child_process';
import { join } from 'node:path';

/**
 * The local Keycloak of infra/scripts/keycloak.sh: realm `meridian-ext` (infra/keycloak), which
 * plays an organisation's external IdP in the federation tests. Node built-ins only.
 */
const ROOT = join(__dirname, '..', '..', '..', '..');
const SCRIPT = join(ROOT, 'infra', 'scripts', 'keycloak.sh');
const REALM = 'meridian-ext';

export interface KeycloakClient {
  /** `http://127.0.0.1:<port>/realms/meridian-ext` (the script pins Keycloak's hostname). */
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

/** Runs the script; its progress lines go to our stderr, which a failure quotes. */
function runScript(command: 'start' | 'url'): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [SCRIPT, command], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      process.stderr.write(chunk);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(stdout.trim());
      else reject(new Error(`keycloak.sh ${command} exited ${code}:\n${stderr.split('\n').slice(-15).join('\n')}`));
    });
  });
}

/**
 * Starts Keycloak unless it already serves the realm (idempotent: ~0.1 s when up, ~17 s from cold,
 * ~40 s on a fresh tree, plus the one-time download) and says how a relying party reaches it.
 * Nothing stops it: later test files reuse the same server.
 */
export async function ensureKeycloak(): Promise<KeycloakClient> {
  await runScript('start');
  const base = await runScript('url');
  return {
    issuer: `${base}/realms/${REALM}`,
    clientId: 'meridian',
    clientSecret: process.env['MERIDIAN_KEYCLOAK_CLIENT_SECRET'] || 'meridian-federation-secret',
  };
}

/** Just enough of a browser's cookie store for one login: Keycloak sets all on one host and path. */
class CookieJar {
  private readonly cookies = new Map<string, string>();

  store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const expired = attributes.some((a) => /^\s*max-age\s*=\s*(0|-)/i.test(a));
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(eq + 1).trim());
    }
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

const decodeEntities = (s: string): string =>
  s
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
    .replace(/&#x([0-9a-f]+);/gi, (_, code: string) => String.fromCharCode(parseInt(code, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** The login form's action (HTML-decoded), if the page has Keycloak's login form. */
function loginAction(html: string): string | undefined {
  const form = /<form\b[^>]*\bid="kc-form-login"[^>]*>/.exec(html)?.[0];
  const action = form && /\baction="([^"]*)"/.exec(form)?.[1];
  return action ? decodeEntities(action) : undefined;
}

/** Why a page is not the way on: its error message (wrong password) or its title (a required action). */
function pageProblem(html: string, username: string, status: number): Error {
  const message = /class="[^"]*\bkc-feedback-text\b[^"]*"[^>]*>([^<]*)</.exec(html)?.[1]?.trim();
  const title = /<title>([^<]*)<\/title>/.exec(html)?.[1]?.trim();
  return new Error(`Keycloak stopped the login of ${username} (${status}): ${message || title || 'unknown page'}`);
}

interface Step {
  readonly url: string;
  /** The form to post; absent for a GET. */
  readonly form?: URLSearchParams;
}

/**
 * Logs in through Keycloak's HTML login form as a browser would (GET the authorization URL, POST
 * the form with the session cookies, follow Keycloak's redirects) and returns the first redirect
 * that leaves Keycloak: the client's redirect URI with `code` and `state` (or `error`). Throws
 * when Keycloak answers with a page instead (wrong password, a required action).
 */
export async function keycloakFormLogin(authorizationUrl: string, username: string, password: string): Promise<URL> {
  const origin = new URL(authorizationUrl).origin;
  const jar = new CookieJar();
  let step: Step = { url: authorizationUrl };
  for (let hop = 0; hop < 10; hop++) {
    const headers: Record<string, string> = { cookie: jar.header() };
    if (step.form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(step.url, {
      method: step.form ? 'POST' : 'GET',
      headers,
      body: step.form?.toString(),
      redirect: 'manual',
    });
    jar.store(res);
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel();
      const next = new URL(location, step.url);
      if (next.origin !== origin) return next;
      step = { url: next.toString() };
      continue;
    }
    const html = await res.text();
    const action = loginAction(html);
    // Back on a form after posting the password means it was refused.
    if (step.form || res.status !== 200 || !action) throw pageProblem(html, username, res.status);
    step = { url: new URL(action, step.url).toString(), form: new URLSearchParams({ username, password }) };
  }
  throw new Error(`the login of ${username} did not leave Keycloak after 10 requests`);
}
