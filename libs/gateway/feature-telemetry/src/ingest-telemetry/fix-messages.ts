import { type Fix, MAX_FIXES_PER_MESSAGE } from '@meridian/contracts/telemetry';

/** Fixes that go to Kafka as one position-batch message, keyed by `key` (an asset id among them). */
export interface FixGroup {
  readonly key: string;
  readonly fixes: Fix[];
}

/**
 * Groups fixes by the partition their asset id maps to (`partitionOf`), keeping request order in
 * each group, and cuts groups at `maxPerMessage`. Each group's key is the asset id of its first
 * fix: it maps to the same partition, so every fix of an asset travels through its asset's
 * partition as if sent alone, and per-asset order holds.
 */
export function groupByPartition(
  fixes: readonly Fix[],
  partitionOf: (assetId: string) => number,
  maxPerMessage = MAX_FIXES_PER_MESSAGE,
): FixGroup[] {
  const open = new Map<number, FixGroup>();
  const groups: FixGroup[] = [];
  for (const f of fixes) {
    const partition = partitionOf(f.assetId);
    let group = open.get(partition);
    if (!group || group.fixes.length >= maxPerMessage) {
      group = { key: f.assetId, fixes: [] };
      open.set(partition, group);
      groups.push(group);
    }
    group.fixes.push(f);
  }
  return groups;
}
