import type { DataOf } from '@meridian/contracts/core';
import { type Principal, principalKey, type PrincipalSnapshotV1 } from '@meridian/contracts/identity';

export type PrincipalSnapshot = DataOf<typeof PrincipalSnapshotV1>;

/** A principal as the admin API lists it. */
export interface PrincipalEntry {
  readonly principal: Principal;
  readonly name: string;
  readonly version: number;
}

interface Known {
  readonly version: number;
  readonly name: string;
  /** Null once revoked (`active: false`): kept, so an older snapshot read later cannot bring it back. */
  readonly principal: Principal | null;
}

/**
 * The latest snapshot of each principal: the highest `version` wins whatever order snapshots come
 * in (a compacted topic read from the start, a republished old one); `active: false` revokes.
 */
export class PrincipalSnapshots {
  private readonly known = new Map<string, Known>();

  apply(snapshot: PrincipalSnapshot): void {
    const key = principalKey(snapshot.principal.tenantId, snapshot.principal.subject);
    const current = this.known.get(key);
    if (current && current.version > snapshot.version) return;
    this.known.set(key, {
      version: snapshot.version,
      name: snapshot.name,
      principal: snapshot.active ? snapshot.principal : null,
    });
  }

  get(tenantId: string, subject: string): Principal | undefined {
    return this.known.get(principalKey(tenantId, subject))?.principal ?? undefined;
  }

  /** One active principal with its name and version. */
  entry(tenantId: string, subject: string): PrincipalEntry | undefined {
    const known = this.known.get(principalKey(tenantId, subject));
    return known?.principal ? { principal: known.principal, name: known.name, version: known.version } : undefined;
  }

  /**
   * A tenant's active principals of one kind in subject order, after `after`: at most `limit`, and
   * whether more follow. A scan of the directory: the admin API's lists, not a hot path.
   */
  list(tenantId: string, kind: Principal['kind'], limit: number, after?: string) {
    const matching: PrincipalEntry[] = [];
    for (const k of this.known.values()) {
      const p = k.principal;
      if (p && p.tenantId === tenantId && p.kind === kind && (after === undefined || p.subject > after)) {
        matching.push({ principal: p, name: k.name, version: k.version });
      }
    }
    matching.sort((a, b) => (a.principal.subject < b.principal.subject ? -1 : 1));
    return { items: matching.slice(0, limit), more: matching.length > limit };
  }

  /** Active principals. */
  get size(): number {
    let active = 0;
    for (const k of this.known.values()) if (k.principal) active++;
    return active;
  }
}
