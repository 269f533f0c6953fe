import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import type { Fix } from '@meridian/contracts/telemetry';
import { partitionForKey } from '@meridian/shared/messaging';
import { groupByPartition } from './fix-messages';

const fix = (assetId: string, s: number): Fix => ({ assetId, ts: new Date(s * 1000).toISOString(), lon: 8, lat: 47 });

// The producer's own partitioner with 12 partitions: what MessageBus.partitionOfKey answers.
const partitionOf = (key: string): number => partitionForKey(key, 12);

describe('groupByPartition', () => {
  it("puts each fix in its asset's partition, keyed so Kafka routes the group there, in request order", async () => {
    const assets = Array.from({ length: 200 }, () => randomUUID());
    const fixes = Array.from({ length: 2000 }, (_, i) => fix(assets[i % 200], i));
    const groups = groupByPartition(fixes, partitionOf);
    expect(groups.length).toBeLessThanOrEqual(12);
    expect(groups.flatMap((g) => g.fixes)).toHaveLength(2000);
    for (const g of groups) {
      const keyPartition = partitionOf(g.key);
      for (const f of g.fixes) expect(partitionOf(f.assetId)).toBe(keyPartition);
      const ofFirst = g.fixes.filter((f) => f.assetId === g.fixes[0].assetId).map((f) => f.ts);
      expect(ofFirst).toEqual([...ofFirst].sort());
    }
  });

  it('cuts a group at the message limit, the parts keyed to the same partition and in order', async () => {
    const asset = randomUUID();
    const fixes = Array.from({ length: 25 }, (_, i) => fix(asset, i));
    const groups = groupByPartition(fixes, partitionOf, 10);
    expect(groups.map((g) => g.fixes.length)).toEqual([10, 10, 5]);
    expect(groups.flatMap((g) => g.fixes)).toEqual(fixes);
  });
});
