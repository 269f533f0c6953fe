import type { OgcLink } from './ogc-links';

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Every text that reaches a page goes through here: names and properties are user data. */
export const escapeHtml = (value: unknown): string => String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

const link = (l: OgcLink): string =>
  `<a href="${escapeHtml(l.href)}" rel="${escapeHtml(l.rel)}">${escapeHtml(l.title ?? l.rel)}</a>`;

const value = (v: unknown): string =>
  v !== null && typeof v === 'object' ? `<code>${escapeHtml(JSON.stringify(v))}</code>` : escapeHtml(v);

function table(rows: readonly Readonly<Record<string, unknown>>[], columns: readonly string[]): string {
  const head = columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = rows.map((r) => `<tr>${columns.map((c) => `<td>${String(r[c] ?? '')}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

interface HtmlDocument {
  readonly title?: string;
  readonly description?: string;
  readonly links?: readonly OgcLink[];
  readonly conformsTo?: readonly string[];
  readonly collections?: readonly { id: string; title: string; description: string; links: readonly OgcLink[] }[];
  readonly features?: readonly { id: string; geometry: unknown; properties: Readonly<Record<string, unknown>> }[];
  readonly numberMatched?: number;
  readonly numberReturned?: number;
  readonly extent?: unknown;
  readonly properties?: Readonly<Record<string, unknown>>;
  readonly geometry?: unknown;
}

const itemHref = (links: readonly OgcLink[], rel: string): string | undefined => links.find((l) => l.rel === rel)?.href;

/** A plain server-rendered page of an /ogc resource: its links, then what it holds. */
export function renderHtml(heading: string, doc: HtmlDocument): string {
  const parts: string[] = [`<h1>${escapeHtml(heading)}</h1>`];
  if (doc.description) parts.push(`<p>${escapeHtml(doc.description)}</p>`);
  const navigation = (doc.links ?? []).filter((l) => l.rel !== 'self');
  if (navigation.length > 0)
    parts.push(`<ul class="links">${navigation.map((l) => `<li>${link(l)}</li>`).join('')}</ul>`);
  if (doc.conformsTo) parts.push(`<ul>${doc.conformsTo.map((c) => `<li>${escapeHtml(c)}</li>`).join('')}</ul>`);
  if (doc.collections) {
    const rows = doc.collections.map((c) => {
      const items = c.links.find((l) => l.rel === 'items' && l.type === 'text/html');
      const self = c.links.find((l) => l.rel === 'self' && l.type === 'text/html') ?? c.links[0];
      return {
        id: self ? link({ ...self, title: c.id }) : escapeHtml(c.id),
        title: escapeHtml(c.title),
        description: escapeHtml(c.description),
        items: items ? link({ ...items, title: 'items' }) : '',
      };
    });
    parts.push(table(rows, ['id', 'title', 'description', 'items']));
  }
  if (doc.extent) parts.push(`<h2>Extent</h2><p>${value(doc.extent)}</p>`);
  if (doc.numberReturned !== undefined) {
    parts.push(`<p>${escapeHtml(doc.numberReturned)} of ${escapeHtml(doc.numberMatched ?? '?')} features</p>`);
  }
  if (doc.features) {
    const base = itemHref(doc.links ?? [], 'self')?.split('?')[0] ?? '';
    const keys = [...new Set(doc.features.flatMap((f) => Object.keys(f.properties)))];
    const rows = doc.features.map((f) => ({
      id: `<a href="${escapeHtml(`${base}/${encodeURIComponent(f.id)}?f=html`)}">${escapeHtml(f.id)}</a>`,
      geometry: value(f.geometry),
      ...Object.fromEntries(keys.map((k) => [k, value(f.properties[k])])),
    }));
    parts.push(table(rows, ['id', 'geometry', ...keys]));
  }
  if (doc.properties) {
    const rows = Object.entries(doc.properties).map(([k, v]) => ({ property: escapeHtml(k), value: value(v) }));
    parts.push(table([...rows, { property: 'geometry', value: value(doc.geometry) }], ['property', 'value']));
  }
  return (
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(heading)}</title>` +
    `<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;` +
    `padding:.2em .5em;text-align:left;vertical-align:top}code{font-size:.85em}</style></head>\n<body>\n` +
    `${parts.join('\n')}\n</body></html>\n`
  );
}
