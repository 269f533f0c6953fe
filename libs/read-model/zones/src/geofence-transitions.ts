import type { GeofenceCause } from '@meridian/contracts/zones';
import { stableUuid } from '@meridian/shared/util';

export type TransitionType = 'entered' | 'exited';

/** One crossing of a zone boundary by an asset; `id` is deterministic (see transitionId). */
export interface Transition {
  readonly id: string;
  readonly type: TransitionType;
  readonly tenantId: string;
  readonly assetId: string;
  readonly zoneId: string;
  readonly ts: string;
  readonly lon: number;
  readonly lat: number;
  readonly cause: GeofenceCause;
}

/**
 * The id of a transition: the same asset, zone, direction and cause (a fix's timestamp, a zone
 * version, a validity instant) always give the same id, so whoever sees it twice knows it is one
 * transition seen twice.
 */
export const transitionId = (t: Omit<Transition, 'id'>, causeKey: string): string =>
  stableUuid(`geofence:${t.type}:${t.assetId}:${t.zoneId}:${t.cause}:${causeKey}`);

/** A fix of one asset with the live zones of its tenant that contain it at its time. */
export interface FixInZones {
  readonly tenantId: string;
  readonly assetId: string;
  readonly ts: string;
  readonly lon: number;
  readonly lat: number;
  /** `ts` in epoch microseconds. */
  readonly micros: number;
  readonly zoneIds: readonly string[];
}

/**
 * Walks fixes in arrival order and yields the transitions they cause. `inside` is each asset's set
 * of zones it is in before the batch (open stays), `newest` its newest fix time before the batch
 * (epoch microseconds). A fix not newer than its asset's newest so far — late or repeated — is skipped: it is
 * stored, but a late fix must not move the asset back and forth. Pure.
 */
export function fixTransitions(
  fixes: readonly FixInZones[],
  inside: ReadonlyMap<string, ReadonlySet<string>>,
  newest: ReadonlyMap<string, number>,
): Transition[] {
  const current = new Map<string, Set<string>>();
  const latest = new Map(newest);
  const out: Transition[] = [];
  for (const fix of fixes) {
    const micros = fix.micros;
    const before = latest.get(fix.assetId);
    if (before !== undefined && micros <= before) continue;
    latest.set(fix.assetId, micros);
    const was = current.get(fix.assetId) ?? new Set(inside.get(fix.assetId) ?? []);
    const now = new Set(fix.zoneIds);
    const emit = (type: TransitionType, zoneId: string): void => {
      const t = { type, tenantId: fix.tenantId, assetId: fix.assetId, zoneId, ts: fix.ts, lon: fix.lon, lat: fix.lat };
      const transition = { ...t, cause: 'fix' as const };
      out.push({ ...transition, id: transitionId(transition, fix.ts) });
    };
    [...was]
      .filter((z) => !now.has(z))
      .sort()
      .forEach((z) => emit('exited', z));
    [...now]
      .filter((z) => !was.has(z))
      .sort()
      .forEach((z) => emit('entered', z));
    current.set(fix.assetId, now);
  }
  return out;
}

/** A stay opened in this batch (exited while still in it: `exitedAt` set) or one to close. */
export interface VisitChanges {
  readonly open: { tenantId: string; zoneId: string; assetId: string; enteredAt: string; exitedAt: string | null }[];
  readonly close: { zoneId: string; assetId: string; exitedAt: string }[];
}

/** What the transitions do to zone_visits: stays opened (and maybe closed again) in the batch, stays closed. Pure. */
export function visitChanges(transitions: readonly Transition[]): VisitChanges {
  const open: VisitChanges['open'] = [];
  const close: VisitChanges['close'] = [];
  const openHere = new Map<string, VisitChanges['open'][number]>();
  for (const t of transitions) {
    const key = `${t.assetId}|${t.zoneId}`;
    if (t.type === 'entered') {
      const visit = { tenantId: t.tenantId, zoneId: t.zoneId, assetId: t.assetId, enteredAt: t.ts, exitedAt: null };
      open.push(visit);
      openHere.set(key, visit);
    } else {
      const visit = openHere.get(key);
      if (visit) {
        visit.exitedAt = t.ts;
        openHere.delete(key);
      } else close.push({ zoneId: t.zoneId, assetId: t.assetId, exitedAt: t.ts });
    }
  }
  return { open, close };
}
