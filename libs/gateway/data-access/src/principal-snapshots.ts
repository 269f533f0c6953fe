import type { DataOf } from '@meridian/contracts/core';
import { type Principal, principalKey, type PrincipalSnapshotV1 } from '@meridian/contracts/identity';

export type PrincipalSnapshot = DataOf<typeof PrincipalSnapshotV1>;

interface Known {
  readonly version: number;
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
    this.known.set(key, { version: snapshot.version, principal: snapshot.active ? snapshot.principal : null });
  }

  get(tenantId: string, subject: string): Principal | undefined {
    return this.known.get(principalKey(tenantId, subject))?.principal ?? undefined;
  }

  /** Active principals. */
  get size(): number {
    let active = 0;
    for (const k of this.known.values()) if (k.principal) active++;
    return active;
  }
}
