/**
 * The deterministic data set of `npm run bench -- seed`: a fleet spread over a few metropolitan
 * areas (mostly in Europe, some elsewhere) and its position history over a window of days.
 *
 * Every asset has its own PRNG (mulberry32 seeded from the generator seed and its index), so what
 * an asset does never depends on how the fixes of all assets are interleaved while loading. The
 * number of fixes is exact: sensors report every 30 minutes all the time; the rest of the budget
 * is split among the mobile assets by an activity weight (a few busy ones, many rarely used), and
 * each mobile asset spends its share on trips — driving along road-like segments (a street grid
 * per city, with arterials straight towards the destination) at urban or arterial speeds, a fix
 * every 5–30 s, stops at lights — parked in between, mostly at night. Evening trips in the
 * Americas, morning trips in Asia and night shifts in Europe cross UTC midnight, so tracks cross
 * the day partitions of read.positions.
 *
 * Pure: no I/O. Bump GENERATOR_VERSION whenever the output changes (the seed's marker records it).
 */
import { stableUuid } from '@meridian/shared/util';
import type { PositionRow } from '@meridian/read-model/positions';

export const GENERATOR_VERSION = 2;
export const SEED = 20_251_201;

export const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
const EARTH_M_PER_DEG = 111_320;

export type SeedKind = 'vehicle' | 'drone' | 'crew' | 'sensor';
export type SeedStatus = 'registered' | 'available' | 'assigned' | 'maintenance';

export interface Metro {
  readonly name: string;
  readonly lon: number;
  readonly lat: number;
  /** Radius of the built-up area (metres) where assets live and drive. */
  readonly radiusM: number;
  /** Share of the fleet. */
  readonly weight: number;
  /** Offset of local time from UTC (hours, standard time; good enough for rhythms of the day). */
  readonly utcOffset: number;
}

export const METROS: readonly Metro[] = [
  { name: 'London', lon: -0.1276, lat: 51.5072, radiusM: 30_000, weight: 14, utcOffset: 0 },
  { name: 'Paris', lon: 2.3522, lat: 48.8566, radiusM: 28_000, weight: 14, utcOffset: 1 },
  { name: 'Berlin', lon: 13.405, lat: 52.52, radiusM: 24_000, weight: 9, utcOffset: 1 },
  { name: 'Randstad', lon: 4.6, lat: 52.15, radiusM: 35_000, weight: 8, utcOffset: 1 },
  { name: 'Madrid', lon: -3.7038, lat: 40.4168, radiusM: 25_000, weight: 8, utcOffset: 1 },
  { name: 'Milan', lon: 9.19, lat: 45.4642, radiusM: 22_000, weight: 7, utcOffset: 1 },
  { name: 'Munich', lon: 11.582, lat: 48.1351, radiusM: 20_000, weight: 5, utcOffset: 1 },
  { name: 'Zurich', lon: 8.5417, lat: 47.3769, radiusM: 18_000, weight: 5, utcOffset: 1 },
  { name: 'Warsaw', lon: 21.0122, lat: 52.2297, radiusM: 20_000, weight: 5, utcOffset: 1 },
  { name: 'Stockholm', lon: 18.0686, lat: 59.3293, radiusM: 20_000, weight: 4, utcOffset: 1 },
  { name: 'Lisbon', lon: -9.1393, lat: 38.7223, radiusM: 18_000, weight: 3, utcOffset: 0 },
  { name: 'New York', lon: -73.95, lat: 40.73, radiusM: 30_000, weight: 6, utcOffset: -5 },
  { name: 'São Paulo', lon: -46.6333, lat: -23.5505, radiusM: 28_000, weight: 4, utcOffset: -3 },
  { name: 'Singapore', lon: 103.8198, lat: 1.3521, radiusM: 14_000, weight: 4, utcOffset: 8 },
  { name: 'Sydney', lon: 151.2093, lat: -33.8688, radiusM: 28_000, weight: 4, utcOffset: 10 },
];

/** Small deterministic PRNG (mulberry32), as the other benchmarks use. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw (Box–Muller). */
const gauss = (random: () => number): number =>
  Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

function pick<T>(random: () => number, items: readonly (readonly [T, number])[]): T {
  const total = items.reduce((s, [, w]) => s + w, 0);
  let x = random() * total;
  for (const [item, w] of items) {
    x -= w;
    if (x < 0) return item;
  }
  return items[items.length - 1][0];
}

export interface SeedSize {
  readonly assets: number;
  readonly positions: number;
  readonly days: number;
}

/** Scale 1: 10,000 assets, 30 days, 10,000,000 positions; `scale` multiplies assets and positions. */
export function seedSize(scale: number): SeedSize {
  return {
    assets: Math.max(20, Math.round(10_000 * scale)),
    positions: Math.max(20_000, Math.round(10_000_000 * scale)),
    days: 30,
  };
}

export interface SeedAsset {
  readonly index: number;
  readonly id: string;
  readonly name: string;
  readonly kind: SeedKind;
  readonly status: SeedStatus;
  readonly metro: Metro;
  readonly home: { readonly lon: number; readonly lat: number };
  /** Seconds between fixes while moving (sensors: while reporting). */
  readonly intervalS: number;
  /** Fixes this asset reports over the window. */
  readonly fixes: number;
}

export const assetId = (index: number): string => stableUuid(`meridian-bench-seed:${SEED}:asset:${index}`);

const SENSOR_INTERVAL_S = 1800;
const KIND_WEIGHTS: readonly (readonly [SeedKind, number])[] = [
  ['vehicle', 70],
  ['crew', 12],
  ['drone', 8],
  ['sensor', 10],
];
const STATUS_WEIGHTS: readonly (readonly [SeedStatus, number])[] = [
  ['registered', 5],
  ['available', 45],
  ['assigned', 40],
  ['maintenance', 10],
];

/** Metres east/north of a point, as lon/lat (equirectangular; exact enough within a city). */
export function offset(lon: number, lat: number, east: number, north: number): { lon: number; lat: number } {
  return {
    lon: lon + east / (EARTH_M_PER_DEG * Math.cos((lat * Math.PI) / 180)),
    lat: lat + north / EARTH_M_PER_DEG,
  };
}

/** A point of a metro: denser towards the centre, never beyond 1.3 radii. */
export function pointIn(metro: Metro, random: () => number): { lon: number; lat: number } {
  const r = Math.min(1.3, Math.abs(gauss(random)) * 0.5) * metro.radiusM;
  const a = random() * 2 * Math.PI;
  return offset(metro.lon, metro.lat, r * Math.cos(a), r * Math.sin(a));
}

/** The fleet, with each asset's share of the position budget (exact total). */
export function planFleet(size: SeedSize): SeedAsset[] {
  const random = prng(SEED);
  const windowS = (size.days * DAY_MS) / 1000;
  const sensorFixes = Math.floor(windowS / SENSOR_INTERVAL_S);
  const metros = METROS.map((m) => [m, m.weight] as const);
  const drafts = Array.from({ length: size.assets }, (_, index) => {
    const kind = pick(random, KIND_WEIGHTS);
    const metro = pick(random, metros);
    const home = pointIn(metro, random);
    const status = pick(random, STATUS_WEIGHTS);
    const intervalS =
      kind === 'vehicle'
        ? pick(random, [
            [5, 0.1],
            [10, 0.2],
            [15, 0.3],
            [30, 0.4],
          ] as const)
        : kind === 'drone'
          ? 5
          : kind === 'crew'
            ? 30
            : SENSOR_INTERVAL_S;
    // Activity: log-normal, a few busy assets and many quiet ones.
    const weight = Math.exp(0.8 * gauss(random));
    return { index, kind, metro, home, status, intervalS, weight };
  });
  const sensors = drafts.filter((d) => d.kind === 'sensor').length;
  const mobileBudget = Math.max(0, size.positions - sensors * sensorFixes);
  const totalWeight = drafts.filter((d) => d.kind !== 'sensor').reduce((s, d) => s + d.weight, 0);
  const shares = drafts.map((d) => (d.kind === 'sensor' ? 0 : (mobileBudget * d.weight) / totalWeight));
  const fixes = shares.map(Math.floor);
  // Largest remainders get the fixes rounding left over, so the total is exact.
  let left = mobileBudget - fixes.reduce((s, n) => s + n, 0);
  const byRemainder = shares.map((s, i) => [s - Math.floor(s), i] as const).sort((a, b) => b[0] - a[0]);
  for (let j = 0; left > 0 && byRemainder.length > 0; j = (j + 1) % byRemainder.length, left--) {
    fixes[byRemainder[j][1]]++;
  }
  const names: Record<SeedKind, string> = { vehicle: 'Van', drone: 'Drone', crew: 'Crew', sensor: 'Sensor' };
  return drafts.map((d, i) => ({
    index: d.index,
    id: assetId(d.index),
    name: `${names[d.kind]} ${d.metro.name} ${String(d.index).padStart(5, '0')}`,
    kind: d.kind,
    status: d.status,
    metro: d.metro,
    home: d.home,
    intervalS: d.intervalS,
    fixes: d.kind === 'sensor' ? sensorFixes : fixes[i],
  }));
}

/** One fix with its instant in epoch milliseconds (for ordering). */
export interface SeedFix extends PositionRow {
  readonly t: number;
}

interface Trip {
  start: number;
  readonly fixes: number;
}

/** Local hour of a trip's start: mostly daytime, some evenings, a few night shifts. */
function startHour(random: () => number): number {
  const slot = random();
  if (slot < 0.82) return 7 + random() * 12.5; // 07:00–19:30
  if (slot < 0.95) return 19.5 + random() * 4; // evening
  return random() * 4.5; // 00:00–04:30
}

/**
 * Trips of `fixes` fixes in total over [start, end): durations of a realistic trip, starts spread
 * over the days at local times of day, never overlapping (at least a short stop in between).
 */
function planTrips(asset: SeedAsset, random: () => number, start: number, end: number): Trip[] {
  const trips: Trip[] = [];
  let left = asset.fixes;
  while (left > 0) {
    const minutes =
      asset.kind === 'drone'
        ? 6 + random() * 20
        : asset.kind === 'crew'
          ? 20 + random() * 70
          : Math.min(150, 6 + Math.exp(2.8 + 0.6 * gauss(random)));
    const n = Math.max(2, Math.min(left, Math.round((minutes * 60) / asset.intervalS)));
    trips.push({ start: 0, fixes: Math.min(n, left) });
    left -= Math.min(n, left);
  }
  // Days counted from the UTC midnight before the window, so local hours are local hours.
  const base = Math.floor(start / DAY_MS) * DAY_MS;
  const days = Math.ceil((end - base) / DAY_MS);
  for (const trip of trips) {
    for (let attempt = 0; attempt < 20; attempt++) {
      // Weekends quieter: a weekend day is kept only half of the time.
      let day = Math.floor(random() * days);
      if (new Date(base + day * DAY_MS).getUTCDay() % 6 === 0 && random() < 0.5) day = Math.floor(random() * days);
      const localMs = startHour(random) * HOUR_MS - asset.metro.utcOffset * HOUR_MS;
      trip.start = base + day * DAY_MS + localMs;
      // Drawn again when it would begin before the window or end after it (the partial first and last days).
      if (trip.start >= start && trip.start + (trip.fixes - 1) * asset.intervalS * 1000 < end) break;
    }
  }
  trips.sort((a, b) => a.start - b.start);
  const duration = (t: Trip): number => (t.fixes - 1) * asset.intervalS * 1000;
  const gap = 5 * MINUTE_MS;
  // Forward: no overlaps and nothing before the window; backward: nothing after it.
  let earliest = start;
  for (const t of trips) {
    t.start = Math.max(t.start, earliest);
    earliest = t.start + duration(t) + gap;
  }
  let latest = end - 1000;
  for (let i = trips.length - 1; i >= 0; i--) {
    const t = trips[i];
    t.start = Math.min(t.start, latest - duration(t));
    latest = t.start - gap;
  }
  if (trips.length > 0 && trips[0].start < start) {
    throw new Error(`asset ${asset.index}: ${asset.fixes} fixes do not fit in the window`);
  }
  return trips;
}

/**
 * The fixes of one asset, in time order, generated lazily: `emitUntil(t, out)` appends every fix
 * before `t` and keeps its place.
 */
export class AssetTrack {
  private readonly random: () => number;
  private readonly trips: Trip[];
  private trip = 0;
  private fix = 0;
  private lon: number;
  private lat: number;
  /** Current road segment: unit vector (east, north), metres left on it, cruising speed. */
  private dirE = 1;
  private dirN = 0;
  private segmentLeftM = 0;
  private cruise = 10;
  private speed = 0;
  private stoppedFor = 0;
  private battery = 100;
  private alt = 0;
  private target: { lon: number; lat: number };
  private readonly gridAngle: number;
  private readonly tenantId: string;
  /** The newest fix emitted so far and the one before it (asset_latest, previous_ts). */
  last: SeedFix | null = null;
  previous: SeedFix | null = null;
  emitted = 0;

  constructor(
    readonly asset: SeedAsset,
    tenantId: string,
    start: number,
    end: number,
  ) {
    this.tenantId = tenantId;
    this.random = prng((SEED ^ Math.imul(asset.index + 1, 0x9e3779b1)) >>> 0);
    this.lon = asset.home.lon;
    this.lat = asset.home.lat;
    this.target = asset.home;
    // Each city has its street grid orientation (the same for every asset of the city).
    const cityIndex = METROS.indexOf(asset.metro);
    this.gridAngle = prng(SEED + cityIndex)() * (Math.PI / 2);
    this.trips =
      asset.kind === 'sensor'
        ? [{ start: start + Math.floor(this.random() * asset.intervalS * 1000), fixes: asset.fixes }]
        : planTrips(asset, this.random, start, end);
  }

  /** When the asset moves (sensors: the one long reporting period), as [start, end] in epoch ms. */
  get tripWindows(): { start: number; end: number }[] {
    return this.trips.map((t) => ({ start: t.start, end: t.start + (t.fixes - 1) * this.asset.intervalS * 1000 }));
  }

  /** Instant of the next fix, or Infinity when the asset is done. */
  get nextAt(): number {
    const trip = this.trips[this.trip];
    return trip ? trip.start + this.fix * this.asset.intervalS * 1000 : Infinity;
  }

  emitUntil(until: number, out: SeedFix[]): void {
    for (let t = this.nextAt; t < until; t = this.nextAt) {
      if (this.fix === 0) this.beginTrip();
      else this.advance(this.asset.intervalS);
      // Jitter of a few hundred milliseconds: devices do not report on the second.
      const jitter = this.asset.kind === 'sensor' ? 0 : Math.floor(this.random() * 400);
      const fix = this.fixAt(t + jitter);
      out.push(fix);
      this.previous = this.last;
      this.last = fix;
      this.emitted++;
      this.fix++;
      if (this.fix >= this.trips[this.trip].fixes) {
        this.trip++;
        this.fix = 0;
        this.speed = 0;
      }
    }
  }

  private beginTrip(): void {
    if (this.asset.kind === 'sensor') return;
    // Out to somewhere in the city, or back home (about half of the trips end where they began).
    this.target = this.random() < 0.45 ? this.asset.home : pointIn(this.asset.metro, this.random);
    this.segmentLeftM = 0;
    this.battery = 100;
    this.alt = 0;
  }

  /** Moves along the road-like path for `seconds` of driving. */
  private advance(seconds: number): void {
    const kind = this.asset.kind;
    if (kind === 'sensor') return;
    let left = seconds;
    while (left > 0) {
      if (this.segmentLeftM <= 0) this.newSegment();
      if (this.stoppedFor > 0) {
        const wait = Math.min(left, this.stoppedFor);
        this.stoppedFor -= wait;
        left -= wait;
        this.speed = 0;
        continue;
      }
      // Accelerate towards the cruising speed (about 2 m/s²), with small fluctuations.
      this.speed = Math.min(this.cruise, this.speed + 2 * Math.min(left, 5)) * (0.97 + this.random() * 0.06);
      const step = Math.min(left, this.segmentLeftM / Math.max(this.speed, 0.5));
      const metres = this.speed * step;
      const moved = offset(this.lon, this.lat, this.dirE * metres, this.dirN * metres);
      this.lon = moved.lon;
      this.lat = moved.lat;
      this.segmentLeftM -= metres;
      left -= step;
      if (kind === 'drone') {
        this.battery = Math.max(5, this.battery - step * 0.05);
        this.alt = Math.min(120, this.alt + step * 3);
      }
      // A red light or a junction at the end of a street segment, sometimes.
      if (this.segmentLeftM <= 0 && kind === 'vehicle' && this.random() < 0.3)
        this.stoppedFor = 10 + this.random() * 50;
    }
  }

  /** The next stretch: along the street grid towards the target, or straight (arterial, drone, on foot). */
  private newSegment(): void {
    const kind = this.asset.kind;
    const cosLat = Math.cos((this.lat * Math.PI) / 180);
    let dE = (this.target.lon - this.lon) * EARTH_M_PER_DEG * cosLat;
    let dN = (this.target.lat - this.lat) * EARTH_M_PER_DEG;
    let distance = Math.hypot(dE, dN);
    if (distance < 200) {
      // Arrived: the next errand.
      this.target = pointIn(this.asset.metro, this.random);
      dE = (this.target.lon - this.lon) * EARTH_M_PER_DEG * cosLat;
      dN = (this.target.lat - this.lat) * EARTH_M_PER_DEG;
      distance = Math.max(1, Math.hypot(dE, dN));
    }
    const bearing = Math.atan2(dN, dE);
    let angle = bearing;
    if (kind === 'vehicle') {
      const arterial = this.random() < 0.3;
      if (!arterial) {
        // Street grid: the grid direction closest to the bearing, sometimes the other one.
        const quarter = Math.PI / 2;
        const k = Math.round((bearing - this.gridAngle) / quarter);
        const alt = (bearing - this.gridAngle) / quarter > k ? k + 1 : k - 1;
        angle = this.gridAngle + (this.random() < 0.7 ? k : alt) * quarter;
      }
      this.cruise = arterial ? 14 + this.random() * 14 : 7 + this.random() * 7;
      this.segmentLeftM = Math.min(distance + 50, arterial ? 600 + this.random() * 2400 : 120 + this.random() * 600);
    } else if (kind === 'drone') {
      angle = bearing + gauss(this.random) * 0.05;
      this.cruise = 12 + this.random() * 6;
      this.segmentLeftM = Math.min(distance + 20, 300 + this.random() * 700);
    } else {
      angle = bearing + gauss(this.random) * 0.4;
      this.cruise = 1.1 + this.random() * 0.5;
      this.segmentLeftM = Math.min(distance + 10, 40 + this.random() * 160);
    }
    this.dirE = Math.cos(angle);
    this.dirN = Math.sin(angle);
  }

  private fixAt(t: number): SeedFix {
    const kind = this.asset.kind;
    // What the receiver reports: the true position plus a few metres of noise.
    const accuracy = kind === 'sensor' ? 5 : 3 + this.random() * 9;
    const noisy = offset(this.lon, this.lat, gauss(this.random) * accuracy * 0.4, gauss(this.random) * accuracy * 0.4);
    const moving = kind !== 'sensor' && this.speed > 0.2;
    const compass = ((90 - (Math.atan2(this.dirN, this.dirE) * 180) / Math.PI + 360) % 360) as number;
    return {
      t,
      tenantId: this.tenantId,
      assetId: this.asset.id,
      ts: new Date(t).toISOString(),
      lon: Math.round(noisy.lon * 1e6) / 1e6,
      lat: Math.round(noisy.lat * 1e6) / 1e6,
      ...(kind === 'drone' ? { alt: Math.round(this.alt) } : {}),
      speed: Math.round((moving ? this.speed : 0) * 10) / 10,
      ...(moving ? { heading: Math.round(compass) % 360 } : {}),
      ...(kind === 'drone' || kind === 'crew' ? { battery: Math.round(this.battery) } : {}),
      accuracy: Math.round(accuracy * 10) / 10,
    };
  }
}
