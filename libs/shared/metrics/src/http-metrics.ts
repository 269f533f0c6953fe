import type { Histogram } from 'prom-client';

const METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** The route label of a request that matched no route (404s of scanners, typos): one series for all of them. */
export const UNMATCHED_ROUTE = 'unmatched';

/** HTTP request durations, labelled by route pattern (never the raw URL: ids would explode the series). */
export class HttpMetrics {
  private readonly children = new Map<string, Histogram.Internal<'method' | 'route' | 'status'>>();

  constructor(private readonly duration: Histogram<'method' | 'route' | 'status'>) {}

  /**
   * `route`: the pattern that matched (`/v1/assets/:id`), or undefined for none. Methods outside
   * the standard set are counted as OTHER, so a client cannot mint series with made-up verbs.
   */
  observe(method: string, route: string | undefined, status: number, seconds: number): void {
    const m = METHODS.has(method) ? method : 'OTHER';
    const r = route ?? UNMATCHED_ROUTE;
    const key = `${m} ${status} ${r}`;
    let child = this.children.get(key);
    if (!child) {
      child = this.duration.labels(m, r, String(status));
      this.children.set(key, child);
    }
    child.observe(seconds);
  }
}
