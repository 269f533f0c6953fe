import type { OgcCollectionId, OgcExtent } from '@meridian/contracts/ogc';
import { GEOJSON_TYPE, HTML_TYPE, JSON_TYPE, type OgcHrefs, type OgcLink } from './ogc-links';
import { CRS84, type Format } from './ogc-params';

/** What each collection is; the extents come from geo-query per tenant. */
export const collectionInfo: Readonly<Record<OgcCollectionId, { title: string; description: string }>> = {
  assets: {
    title: 'Assets',
    description:
      "Every registered asset at its latest position (geometry null before its first fix); its time is its last fix's.",
  },
  zones: {
    title: 'Zones',
    description: 'Live (not archived) zones; their time is their validity window, either end open.',
  },
  positions: {
    title: 'Positions',
    description:
      'Every stored position fix, id `<assetId>~<epoch µs>`. Without `datetime`, items are the last 24 hours. ' +
      'The spatial extent is the whole world (history is not summarised); the time extent runs from the oldest ' +
      'stored day.',
  },
};

const GREGORIAN = 'http://www.opengis.net/def/uom/ISO-8601/0/Gregorian';

export interface CollectionDocument {
  readonly id: OgcCollectionId;
  readonly title: string;
  readonly description: string;
  readonly links: OgcLink[];
  readonly extent: {
    readonly spatial?: { readonly bbox: number[][]; readonly crs: string };
    readonly temporal?: { readonly interval: (string | null)[][]; readonly trs: string };
  };
  readonly itemType: 'feature';
  readonly crs: string[];
}

/** A collection's description, with links in both formats, as /collections and /collections/{id} serve it. */
export function collectionDocument(hrefs: OgcHrefs, extent: OgcExtent, served: Format): CollectionDocument {
  const id = extent.id;
  const info = collectionInfo[id];
  const path = `/collections/${id}`;
  return {
    id,
    title: info.title,
    description: info.description,
    links: [
      ...hrefs.selfAndAlternate(path, {}, served, JSON_TYPE, info.title),
      { rel: 'items', type: GEOJSON_TYPE, title: `${info.title} as GeoJSON`, href: hrefs.href(`${path}/items`) },
      {
        rel: 'items',
        type: HTML_TYPE,
        title: `${info.title} as HTML`,
        href: hrefs.href(`${path}/items`, { f: 'html' }),
      },
    ],
    extent: {
      ...(extent.bbox ? { spatial: { bbox: [extent.bbox], crs: CRS84 } } : {}),
      ...(extent.interval ? { temporal: { interval: [extent.interval], trs: GREGORIAN } } : {}),
    },
    itemType: 'feature',
    crs: [CRS84],
  };
}
