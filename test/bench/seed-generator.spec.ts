import { describe, expect, it } from '@jest/globals';
import { AssetTrack, DAY_MS, planFleet, type SeedAsset, type SeedFix, seedSize } from '../../bench/seed-generator';

const HOUR_MS = 3_600_000;
const END = Date.UTC(2025, 5, 30, 12);
const START = END - 30 * DAY_MS;

const metres = (a: SeedFix, b: SeedFix): number => {
  const cos = Math.cos((a.lat * Math.PI) / 180);
  return Math.hypot((b.lon - a.lon) * 111_320 * cos, (b.lat - a.lat) * 111_320);
};

function allFixes(asset: SeedAsset, chunkMs: number): SeedFix[] {
  const track = new AssetTrack(asset, 'tenant-a', START, END);
  const out: SeedFix[] = [];
  for (let t = START; t < END; t += chunkMs) track.emitUntil(t + chunkMs, out);
  return out;
}

describe('bench seed generator', () => {
  const size = seedSize(0.01); // 100 assets, 100,000 positions
  const fleet = planFleet(size);

  it('plans exactly the asked number of positions, the same way every time', () => {
    expect(fleet).toHaveLength(100);
    expect(fleet.reduce((n, a) => n + a.fixes, 0)).toBe(size.positions);
    expect(planFleet(size)).toEqual(fleet);
    expect(new Set(fleet.map((a) => a.id)).size).toBe(fleet.length);
  });

  it('emits each asset’s fixes in time order inside the window, whatever the chunking', () => {
    for (const asset of fleet.slice(0, 25)) {
      const hourly = allFixes(asset, HOUR_MS);
      expect(hourly).toHaveLength(asset.fixes);
      expect(allFixes(asset, 7 * DAY_MS)).toEqual(hourly);
      for (let i = 1; i < hourly.length; i++) expect(hourly[i].t).toBeGreaterThan(hourly[i - 1].t);
      expect(hourly[0].t).toBeGreaterThanOrEqual(START);
      expect(hourly[hourly.length - 1].t).toBeLessThan(END);
      expect(hourly.every((f) => f.ts === new Date(f.t).toISOString() && f.assetId === asset.id)).toBe(true);
    }
  });

  it('moves vehicles at road speeds without jumps and keeps them in their city', () => {
    const vehicles = fleet.filter((a) => a.kind === 'vehicle').slice(0, 10);
    expect(vehicles.length).toBeGreaterThan(0);
    for (const v of vehicles) {
      const fixes = allFixes(v, DAY_MS);
      for (let i = 1; i < fixes.length; i++) {
        const dt = (fixes[i].t - fixes[i - 1].t) / 1000;
        // Within a trip (fixes one interval apart): no faster than ~110 km/h plus GPS noise.
        if (dt <= v.intervalS + 1) expect(metres(fixes[i - 1], fixes[i]) / dt).toBeLessThan(32 + 40 / dt);
        expect(fixes[i].speed ?? 0).toBeLessThanOrEqual(31);
      }
      const far = fixes.filter((f) => metres(f, { ...f, lon: v.metro.lon, lat: v.metro.lat }) > 2 * v.metro.radiusM);
      expect(far).toHaveLength(0);
    }
  });

  it('drives mostly in the local daytime', () => {
    let day = 0;
    let all = 0;
    for (const asset of fleet.filter((a) => a.kind !== 'sensor')) {
      for (const f of allFixes(asset, DAY_MS)) {
        const localHour = (((f.t / HOUR_MS + asset.metro.utcOffset) % 24) + 24) % 24;
        if (localHour >= 7 && localHour < 21) day++;
        all++;
      }
    }
    expect(day / all).toBeGreaterThan(0.75);
  });

  it('parks assets between trips and has tracks crossing UTC midnight', () => {
    let crossings = 0;
    let longStops = 0;
    for (const asset of fleet.filter((a) => a.kind !== 'sensor')) {
      const fixes = allFixes(asset, DAY_MS);
      for (let i = 1; i < fixes.length; i++) {
        const gap = fixes[i].t - fixes[i - 1].t;
        if (gap > 4 * HOUR_MS) longStops++;
        if (gap < 60_000 && Math.floor(fixes[i].t / DAY_MS) !== Math.floor(fixes[i - 1].t / DAY_MS)) crossings++;
      }
    }
    expect(longStops).toBeGreaterThan(100);
    expect(crossings).toBeGreaterThan(0);
  });
});
