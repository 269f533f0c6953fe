/**
 * A scripted browser for HTML login pages: follows redirects with a cookie jar and submits forms,
 * as a person would, so tests, benchmarks and tools log in through an OpenID provider's real
 * authorization endpoint (identity's own login page, or Keycloak's).
 */

interface StoredCookie {
  readonly name: string;
  readonly value: string;
  readonly path: string;
}

/** Cookies per origin, sent to the paths they were set for; enough for a login flow, not a browser. */
export class CookieJar {
  private readonly byOrigin = new Map<string, StoredCookie[]>();

  store(url: URL, response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = header.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const attr = (key: string): string | undefined =>
        attributes
          .map((a) => a.trim())
          .find((a) => a.toLowerCase().startsWith(`${key}=`))
          ?.slice(key.length + 1);
      const path = attr('path') ?? defaultPath(url);
      const expires = attr('expires');
      const maxAge = attr('max-age');
      const expired =
        (maxAge !== undefined && Number(maxAge) <= 0) ||
        (expires !== undefined && Date.parse(expires) <= Date.now()) ||
        value === '';
      const kept = (this.byOrigin.get(url.origin) ?? []).filter((c) => !(c.name === name && c.path === path));
      if (!expired) kept.push({ name, value, path });
      this.byOrigin.set(url.origin, kept);
    }
  }

  header(url: URL): string | undefined {
    const cookies = (this.byOrigin.get(url.origin) ?? []).filter((c) => pathMatches(url.pathname, c.path));
    return cookies.length ? cookies.map((c) => `${c.name}=${c.value}`).join('; ') : undefined;
  }
}

const defaultPath = (url: URL): string => {
  const dir = url.pathname.slice(0, url.pathname.lastIndexOf('/'));
  return dir || '/';
};

const pathMatches = (requestPath: string, cookiePath: string): boolean =>
  requestPath === cookiePath ||
  (requestPath.startsWith(cookiePath) && (cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/'));

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

const decodeEntities = (s: string): string =>
  s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, code: string) => {
    if (code[0] === '#') {
      const n = code[1]?.toLowerCase() === 'x' ? parseInt(code.slice(2), 16) : parseInt(code.slice(1), 10);
      return Number.isFinite(n) ? String.fromCodePoint(n) : whole;
    }
    return ENTITIES[code.toLowerCase()] ?? whole;
  });

const attributeOf = (tag: string, name: string): string | undefined => {
  const m = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(tag);
  const raw = m?.[1] ?? m?.[2] ?? m?.[3];
  return raw === undefined ? undefined : decodeEntities(raw);
};

export interface HtmlForm {
  readonly action: URL;
  readonly method: string;
  /** Named inputs with a value (hidden ones and prefilled fields). */
  readonly inputs: Readonly<Record<string, string>>;
}

/** The first `<form>` of a page, or null. */
export function firstForm(html: string, base: URL): HtmlForm | null {
  const form = /<form\b[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) return null;
  const open = form[0].slice(0, form[0].indexOf('>') + 1);
  const inputs: Record<string, string> = {};
  for (const [tag] of (form[1] ?? '').matchAll(/<input\b[^>]*>/gi)) {
    const name = attributeOf(tag, 'name');
    const value = attributeOf(tag, 'value');
    if (name && value !== undefined) inputs[name] = value;
  }
  return {
    action: new URL(attributeOf(open, 'action') ?? base.href, base),
    method: (attributeOf(open, 'method') ?? 'get').toUpperCase(),
    inputs,
  };
}

const MAX_STEPS = 30;

/**
 * Opens `authorizationUrl`, follows redirects (keeping cookies), submits the first form it meets
 * with `fields` merged over its own inputs, and returns the redirect that leaves the issuer's
 * origin: the client's redirect URI with `code` and `state` (or `error`). A page that shows a form
 * again after the submission (a refused login) ends it with an error carrying the HTTP status.
 */
export async function formLogin(authorizationUrl: string | URL, fields: Record<string, string>): Promise<URL> {
  const start = new URL(authorizationUrl);
  const jar = new CookieJar();
  let url = start;
  let init: { method: string; body?: URLSearchParams } = { method: 'GET' };
  let submitted = false;
  for (let step = 0; step < MAX_STEPS; step++) {
    const cookie = jar.header(url);
    const res = await fetch(url, {
      method: init.method,
      redirect: 'manual',
      headers: {
        accept: 'text/html',
        ...(cookie ? { cookie } : {}),
        ...(init.body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(init.body ? { body: init.body } : {}),
    });
    jar.store(url, res);
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.arrayBuffer();
      url = new URL(location, url);
      init = { method: 'GET' };
      if (url.origin !== start.origin) return url;
      continue;
    }
    const html = await res.text();
    const form = firstForm(html, url);
    if (!form) throw new Error(`formLogin: ${url.pathname} answered ${res.status} without a form or a redirect`);
    if (submitted) throw new Error(`formLogin: the form came back after submitting it (HTTP ${res.status})`);
    submitted = true;
    const values = new URLSearchParams({ ...form.inputs, ...fields });
    if (form.method === 'POST') {
      url = form.action;
      init = { method: 'POST', body: values };
    } else {
      url = new URL(form.action);
      url.search = values.toString();
      init = { method: 'GET' };
    }
  }
  throw new Error(`formLogin: more than ${MAX_STEPS} steps without leaving ${start.origin}`);
}
