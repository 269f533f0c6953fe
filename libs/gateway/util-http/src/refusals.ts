import type { FastifyRequest } from 'fastify';

/** One refused request, as it is logged: never the token, only what identifies the attempt. */
export interface Refusal {
  readonly code: string;
  readonly status: number;
  readonly method: string;
  readonly path: string;
  readonly ip: string;
}

/** Statuses that mean "not allowed": unauthenticated, forbidden, rate-limited. */
const REFUSED = new Set([401, 403, 429]);

/**
 * Counts (and hands to a logger) every refused request: bad or missing tokens, missing permissions,
 * rate limits, and commands a service refused with an AUTH.* code. The gateway's own count since it
 * started, per code: GET /internal/refusals. Bounded: one counter per stable error code.
 */
export class RefusalLog {
  private readonly counts = new Map<string, number>();
  private listener: ((refusal: Refusal) => void) | null = null;
  private readonly since = new Date().toISOString();

  onRefusal(listener: (refusal: Refusal) => void): void {
    this.listener = listener;
  }

  /** Records the problem about to be sent if it is a refusal; anything else passes unrecorded. */
  record(status: number, code: string, request: FastifyRequest): void {
    if (!REFUSED.has(status) && !code.startsWith('AUTH.')) return;
    this.counts.set(code, (this.counts.get(code) ?? 0) + 1);
    const path = request.url.split('?')[0] ?? request.url;
    this.listener?.({ code, status, method: request.method, path, ip: request.ip });
  }

  snapshot(): { readonly since: string; readonly total: number; readonly byCode: Record<string, number> } {
    const byCode = Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
    return { since: this.since, total: [...this.counts.values()].reduce((a, b) => a + b, 0), byCode };
  }
}

/** The gateway's one refusal log: every problem response passes `sendProblem`, which records into it. */
export const refusals = new RefusalLog();
