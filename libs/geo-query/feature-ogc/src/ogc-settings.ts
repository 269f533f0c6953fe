export const OGC_READ_LIMITS = Symbol('meridian.geo-query.ogc-read-limits');

/** What one OGC items page may cost geo-query and PostgreSQL. */
export interface OgcReadLimits {
  /**
   * Bytes of features per page. A page-size choice, not a transport limit (request/reply messages
   * may reach 16 MiB, DESIGN §2): 768 KiB keeps a page quick to build, send and parse. A page stops
   * early (and says where to go on) once its features would exceed it; OGC lets a page hold fewer
   * features than `limit`.
   */
  readonly replyBudgetBytes: number;
  /**
   * `numberMatched` counts at most this many matches (plus one, to know it was exceeded); above it
   * the page leaves `numberMatched` out, as OGC API – Features Part 1 allows, so a page never counts
   * a whole busy window.
   */
  readonly countCap: number;
}

export const defaultOgcReadLimits: OgcReadLimits = { replyBudgetBytes: 768 * 1024, countCap: 100_000 };
