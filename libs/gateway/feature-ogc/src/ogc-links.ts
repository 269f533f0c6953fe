import { GEOJSON_TYPE, JSON_TYPE } from '@meridian/gateway/util-http';

export const HTML_TYPE = 'text/html';
export const OPENAPI_TYPE = 'application/vnd.oai.openapi+json;version=3.0';

export interface OgcLink {
  readonly href: string;
  readonly rel: string;
  readonly type: string;
  readonly title?: string;
}

/**
 * A query string that percent-encodes only what must be: `,` `:` and `/` stay as they are, so a link
 * followed by a client that re-encodes parameters (the OGC test suite does) still means the same.
 */
export function queryString(params: Readonly<Record<string, string | undefined>>): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%2C/gi, ',').replace(/%3A/gi, ':').replace(/%2F/gi, '/');
  const parts = Object.entries(params)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `${enc(k)}=${enc(v)}`);
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

/** Absolute links under `<public URL>/ogc`. */
export class OgcHrefs {
  readonly root: string;

  constructor(publicUrl: string) {
    this.root = `${publicUrl.replace(/\/+$/, '')}/ogc`;
  }

  href(path: string, params: Readonly<Record<string, string | undefined>> = {}): string {
    return `${this.root}${path}${queryString(params)}`;
  }

  /** `self` in the format served and `alternate` in the other one (JSON type given per resource). */
  selfAndAlternate(
    path: string,
    params: Readonly<Record<string, string | undefined>>,
    served: 'json' | 'html',
    jsonType: string,
    title: string,
  ): OgcLink[] {
    const json = { href: this.href(path, { ...params, f: 'json' }), type: jsonType, title: `${title} as JSON` };
    const html = { href: this.href(path, { ...params, f: 'html' }), type: HTML_TYPE, title: `${title} as HTML` };
    return served === 'json'
      ? [
          { rel: 'self', ...json },
          { rel: 'alternate', ...html },
        ]
      : [
          { rel: 'self', ...html },
          { rel: 'alternate', ...json },
        ];
  }
}

export { GEOJSON_TYPE, JSON_TYPE };
