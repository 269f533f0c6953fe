import type { DataOf } from '@meridian/contracts/core';
import { type Principal, principalKey, type PrincipalSnapshotV1 } from '@meridian/contracts/identity';

export type PrincipalSnapshot = DataOf<typeof PrincipalSnapshotV1>;

/** A principal as the admin API shows it: its latest snapshot, active or disabled. */
export interface PrincipalEntry {
  readonly principal: Principal;
  readonly name: string;
  readonly active: boolean;
  readonly version: number;
}

/** One page of a keyset-paged listing: the entries, and whether more follow the last. */
export interface PrincipalPage {
  readonly items: readonly PrincipalEntry[];
  readonly more: boolean;
}

/**
 * The latest snapshot of each principal: the highest `version` wins whatever order snapshots come
 * in (a compacted topic read from the start, a republished old one); `active: false` revokes. A
 * revoked principal is kept (so an older snapshot read later cannot bring it back, and the admin
 * API can show it as disabled) but never answered by `get`.
 */
export class PrincipalSnapshots {
  private readonly known = new Map<string, PrincipalEntry>();

  apply(snapshot: PrincipalSnapshot): void {
    const key = principalKey(snapshot.principal.tenantId, snapshot.principal.subject);
    const current = this.known.get(key);
    if (current && current.version > snapshot.version) return;
    const { principal, name, active, version } = snapshot;
    this.known.set(key, { principal, name, active, version });
  }

  /** The active principal: what authentication admits. */
  get(tenantId: string, subject: string): Principal | undefined {
    const known = this.known.get(principalKey(tenantId, subject));
    return known?.active ? known.principal : undefined;
  }

  /** The latest snapshot of a principal, active or not. */
  entry(tenantId: string, subject: string): PrincipalEntry | undefined {
    return this.known.get(principalKey(tenantId, subject));
  }

  /**
   * A tenant's principals of one kind (active and disabled) in subject order, after `after`: at
   * most `limit`, and whether more follow. A scan of the directory: the admin API's lists, not a
   * hot path (tens of thousands of principals scan in milliseconds).
   */
  list(tenantId: string, kind: Principal['kind'], limit: number, after?: string): PrincipalPage {
    const matching: PrincipalEntry[] = [];
    for (const entry of this.known.values()) {
      const p = entry.principal;
      if (p.tenantId === tenantId && p.kind === kind && (after === undefined || p.subject > after)) {
        matching.push(entry);
      }
    }
    matching.sort((a, b) => (a.principal.subject < b.principal.subject ? -1 : 1));
    return { items: matching.slice(0, limit), more: matching.length > limit };
  }

  /** Active principals. */
  get size(): number {
    let active = 0;
    for (const k of this.known.values()) if (k.active) active++;
    return active;
  }
}
