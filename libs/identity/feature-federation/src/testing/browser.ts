/**
 * Spec support: just enough of a browser for a login across sites. It keeps cookies per origin
 * with their paths (oidc-provider scopes its interaction cookies to `/interaction/<uid>` and
 * `/auth/<uid>`), follows redirects within the site it was pointed at, and stops at the first
 * redirect that leaves it or at the first page.
 */

interface Cookie {
  readonly name: string;
  readonly value: string;
  readonly path: string;
}

export type Visit =
  | { readonly kind: 'page'; readonly url: URL; readonly status: number; readonly html: string }
  | { readonly kind: 'left'; readonly url: URL };

const pathMatches = (requestPath: string, cookiePath: string): boolean =>
  requestPath === cookiePath ||
  (requestPath.startsWith(cookiePath) && (cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/'));

export class Browser {
  private readonly jar = new Map<string, Cookie[]>();

  /** GETs `start` and follows redirects on its origin. */
  async visit(start: string | URL, maxHops = 20): Promise<Visit> {
    let url = new URL(start);
    for (let hop = 0; hop < maxHops; hop++) {
      const cookie = this.header(url);
      const res = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
      this.store(url, res);
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.arrayBuffer();
        const next = new URL(location, url);
        if (next.origin !== url.origin) return { kind: 'left', url: next };
        url = next;
        continue;
      }
      return { kind: 'page', url, status: res.status, html: await res.text() };
    }
    throw new Error(`more than ${maxHops} redirects from ${String(start)}`);
  }

  /** A cookie's value as the server set it (for a test to look behind it). */
  cookie(origin: string, name: string): string | undefined {
    return this.jar.get(new URL(origin).origin)?.find((c) => c.name === name)?.value;
  }

  private header(url: URL): string | undefined {
    const cookies = (this.jar.get(url.origin) ?? []).filter((c) => pathMatches(url.pathname, c.path));
    return cookies.length ? cookies.map((c) => `${c.name}=${c.value}`).join('; ') : undefined;
  }

  private store(url: URL, res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const attr = (key: string): string | undefined =>
        attributes.find((a) => a.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1);
      const path = attr('path') ?? '/';
      const maxAge = attr('max-age');
      const expires = attr('expires');
      const expired =
        value === '' ||
        (maxAge !== undefined && Number(maxAge) <= 0) ||
        (expires !== undefined && Date.parse(expires) <= Date.now());
      const kept = (this.jar.get(url.origin) ?? []).filter((c) => !(c.name === name && c.path === path));
      if (!expired) kept.push({ name, value, path });
      this.jar.set(url.origin, kept);
    }
  }
}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" };

/** The href of the link with this text on a page, HTML-decoded. */
export function linkHref(html: string, text: string): string | null {
  for (const [, href = '', body = ''] of html.matchAll(/<a\s+href="([^"]*)"[^>]*>([\s\S]*?)<\/a>/g)) {
    if (body.trim() === text) return href.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ENTITIES[e] ?? '');
  }
  return null;
}
