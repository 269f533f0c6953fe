import type { Format } from './ogc-params';

/**
 * JSON unless asked for HTML: by `f=html`, or by an Accept header that prefers text/html to every
 * JSON type (a browser's). `*∕*` and clients that name no type get JSON.
 */
export function negotiate(f: Format | undefined, accept: string | undefined): Format {
  if (f) return f;
  if (!accept) return 'json';
  let html = 0;
  let json = 0;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.trim().toLowerCase().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (Number.isNaN(q)) continue;
    if (type === 'text/html') html = Math.max(html, q);
    else if (/^application\/([\w.-]+\+)?json$/.test(type.trim())) json = Math.max(json, q);
  }
  return html > 0 && html > json ? 'html' : 'json';
}
