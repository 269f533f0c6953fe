/**
 * Paths served without a token: health probes, the API documentation (so that /docs can be opened
 * to paste a token into it), the web console's files and settings (it signs in by itself), and the
 * two tenant-independent OGC documents (conformance classes, the OpenAPI 3.0 description), which
 * carry no data. The OGC landing page names the tenant, so it
 * needs a token; GDAL (`GDAL_HTTP_AUTH=BEARER`) sends it on every request anyway.
 */
const PUBLIC_EXACT: ReadonlySet<string> = new Set([
  '/docs',
  '/console',
  '/openapi.json',
  '/openapi.yaml',
  '/ogc/conformance',
  '/ogc/api',
  // Prometheus scrapes without a token; with METRICS_PORT set (the chart) this port answers 404 there.
  '/metrics',
]);

const PUBLIC_PREFIXES: readonly string[] = ['/health/', '/docs/', '/console/'];

/** The path of a request URL, without its query. */
export const pathOf = (url: string): string => {
  const q = url.indexOf('?');
  return q >= 0 ? url.slice(0, q) : url;
};

export function isPublicPath(path: string): boolean {
  return PUBLIC_EXACT.has(path) || PUBLIC_PREFIXES.some((prefix) => path.startsWith(prefix));
}
