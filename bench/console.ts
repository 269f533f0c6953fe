/**
 * `npm run bench -- console`: frame times of the operator console (apps/console) with 10,000 live
 * assets, in headless Chromium with **software WebGL (SwiftShader)** on the same machine as the five
 * services, the load generator and the infrastructure — not a GPU, so read the ratios to the idle
 * phase of the same run, not the absolute numbers.
 *
 * Set-up: the five services on ports of their own (28480–28484, OIDC 28486; database
 * meridian_bench_console; tenant bench-console with one console user), the console built into
 * dist/console when its sources are newer (never emptied), 10,000 assets registered through the API
 * over a 200 km box with one fix each (so the asset tiles show them), Chromium signed in through
 * identity's login page, the map fitted to the box.
 *
 * Phases, one after the other in the same page: idle (the assets from tiles, no telemetry); 1,000
 * assets moving (a fix per asset per second through POST /v1/telemetry: the console takes each into
 * its live GeoJSON source the first time it moves — "adoption" — then updates it); 10,000 moving;
 * a Chrome trace of 10,000 moving (not measured); idle again with every asset live. Each phase
 * records every animation frame's timestamp (frame time = interval between frames), MapLibre's
 * renders, long tasks, the positions the page applied (`meridianAssets.stats()`), the page's heap,
 * its main-thread busy time (CDP Performance metrics), and the CPU of every party from /proc.
 *
 * Results: bench/results/console.{json,md,svg} and three rows in latest.json (fps and p95 frame time
 * of the moving phases against the idle phase of the same run). Nothing asserts on timings.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, CDPSession, Page } from '@playwright/test';
import { Pool } from 'pg';
import { ROOT, type ServiceName } from '../tools/stack';
import { CLOCK_TICKS_PER_S, machineTicks, partyPids, processTicks } from './cpu';
import { type CommandsEnvironment, type CommandsSystem, settle } from './commands-stack';
import {
  type ConsoleUser,
  fitRegion,
  type FrameRecording,
  launchBrowser,
  liveStats,
  mapView,
  type MapView,
  type Region,
  signIn,
  snapshot,
  setLayersVisible,
  SourceResolver,
  startCpuProfile,
  startRecorder,
  stopCpuProfile,
  type CpuProfileSummary,
  stopRecorder,
  summariseTrace,
  TRACE_CATEGORIES,
  type TraceSummary,
  VIEWPORT,
  waitForMapIdle,
  webglRenderer,
} from './console-page';
import { type BenchResult, fmt, now, percentile, result, round, runWorkers, say, scaled, withTicker } from './harness';
import { loadAverage1m } from './report';

export const CONSOLE_DATABASE = 'meridian_bench_console';
export const CONSOLE_TENANT = 'bench-console';
/** Ports of its own (`commands` 28080–, `queries` 28180–, `auth` 28280–, `missions` 28380–). */
export const CONSOLE_PORTS: Readonly<Record<ServiceName, number>> = {
  gateway: 28480,
  identity: 28481,
  workflow: 28482,
  projection: 28483,
  'geo-query': 28484,
};
export const CONSOLE_OIDC_PORT = 28486;

/** The person who signs in (identity's BootstrapUser); an operator sees every asset of the tenant. */
const USER = {
  tenantId: CONSOLE_TENANT,
  username: 'bench-operator',
  password: 'bench-operator-password-1',
  displayName: 'Bench Operator',
  roles: ['operator'],
} as const;
const CONSOLE_USER: ConsoleUser = USER;

const gatewayUrl = `http://127.0.0.1:${CONSOLE_PORTS.gateway}`;
export const CONSOLE_URL = `${gatewayUrl}/console/`;

/** The built console the gateway serves: BENCH_CONSOLE_DIR (e.g. a patched build to compare), else dist/console. */
export const consoleDir = (): string => resolve(ROOT, process.env.BENCH_CONSOLE_DIR || join('dist', 'console'));

/** The services' extra environment: the console user, the console's redirect URI, the built console. */
export const consoleEnv = (): Record<string, string> => ({
  IDENTITY_BOOTSTRAP_USERS: JSON.stringify([USER]),
  IDENTITY_CONSOLE_REDIRECT_URIS: `${gatewayUrl}/docs/oauth2-redirect.html,${CONSOLE_URL}`,
  GATEWAY_CONSOLE_DIR: consoleDir(),
});

export interface ConsoleParams {
  readonly assets: number;
  /** Assets moving in the smaller moving phase (0: skipped). */
  readonly small: number;
  /** Length of each measured window. */
  readonly windowMs: number;
  /** The longest an adoption phase may take (it ends when the moving assets are all live). */
  readonly adoptionMaxMs: number;
  /** Length of the Chrome trace of the large moving phase (0: none). */
  readonly traceMs: number;
  readonly region: Region;
  /** Requests per second of the load generator (each carries moving / requestsPerSecond fixes). */
  readonly requestsPerSecond: number;
  readonly speedMps: number;
}

/** A box of 200 km × 200 km in the Swiss plateau and Jura (centre 8.2° E, 47.0° N). */
const REGION_200KM: Region = (() => {
  const [lon, lat, km] = [8.2, 47.0, 200];
  const dLat = km / 2 / 111.32;
  const dLon = km / 2 / (111.32 * Math.cos((lat * Math.PI) / 180));
  return { minLon: lon - dLon, minLat: lat - dLat, maxLon: lon + dLon, maxLat: lat + dLat };
})();

export const consoleParams = (scale: number): ConsoleParams => ({
  assets: scaled(10_000, scale, 200),
  small: scaled(1000, scale, 20),
  windowMs: scaled(20_000, scale, 4000),
  adoptionMaxMs: 240_000,
  traceMs: process.env.BENCH_CONSOLE_TRACE === 'off' ? 0 : scaled(5000, Math.min(scale, 1), 2000),
  region: REGION_200KM,
  requestsPerSecond: 10,
  speedMps: 30,
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// The console's build

/** Newest modification time (ms) of the files under `dir`. */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.isFile()) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Builds the console into dist/console when index.html is missing or older than apps/console:
 * `vite build --emptyOutDir=false` (other runs' tests serve that directory; it is never emptied).
 */
export function ensureConsoleBuilt(): void {
  if (process.env.BENCH_CONSOLE_DIR) {
    say(`  console: ${consoleDir()} as given (BENCH_CONSOLE_DIR; not built here)`);
    return;
  }
  const index = join(consoleDir(), 'index.html');
  let builtAt = 0;
  try {
    builtAt = statSync(index).mtimeMs;
  } catch {
    builtAt = 0;
  }
  const sourcesAt = newestMtime(join(ROOT, 'apps', 'console'));
  if (builtAt >= sourcesAt) {
    say(`  console: dist/console is up to date (built ${new Date(builtAt).toISOString()})`);
    return;
  }
  say(`  console: ${builtAt ? 'dist/console is older than apps/console' : 'not built'}; vite build (≈ 20–60 s)`);
  const started = now();
  execFileSync(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'),
      'build',
      '--config',
      'apps/console/vite.config.mts',
      '--emptyOutDir=false',
      '--logLevel',
      'warn',
    ],
    { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  say(`  console built in ${fmt((now() - started) / 1000)} s`);
}

// ---------------------------------------------------------------------------------------------
// The fleet and its telemetry

/** Small deterministic PRNG (mulberry32): every run draws the same fleet. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KINDS = ['vehicle', 'drone', 'crew', 'sensor'] as const;

interface Fleet {
  readonly ids: string[];
  readonly region: Region;
  /** Where each asset is at t = 0 and how far it goes per second (degrees). */
  readonly start: readonly { readonly lon: number; readonly lat: number }[];
  readonly step: readonly { readonly dLon: number; readonly dLat: number; readonly heading: number }[];
  /** Wall clock of t = 0 (ms). */
  readonly t0: number;
  readonly speedMps: number;
}

function drawFleet(ids: string[], region: Region, speedMps: number): Fleet {
  const random = prng(20261201);
  const width = region.maxLon - region.minLon;
  const height = region.maxLat - region.minLat;
  const midLat = (region.minLat + region.maxLat) / 2;
  const start = ids.map(() => ({ lon: region.minLon + random() * width, lat: region.minLat + random() * height }));
  const step = ids.map(() => {
    const heading = random() * 360;
    const rad = (heading * Math.PI) / 180;
    const metresPerDegLat = 111_320;
    const metresPerDegLon = 111_320 * Math.cos((midLat * Math.PI) / 180);
    return {
      dLon: (Math.sin(rad) * speedMps) / metresPerDegLon,
      dLat: (Math.cos(rad) * speedMps) / metresPerDegLat,
      heading,
    };
  });
  return { ids, region, start, step, t0: Date.now(), speedMps };
}

const bounce = (x: number, lo: number, span: number): number => {
  const m = (((x - lo) % (2 * span)) + 2 * span) % (2 * span);
  return lo + (m <= span ? m : 2 * span - m);
};

interface Fix {
  readonly assetId: string;
  readonly ts: string;
  readonly lon: number;
  readonly lat: number;
  readonly speed: number;
  readonly heading: number;
}

/** Asset `i` at wall clock `at`: a straight line that bounces off the region's edges. */
function fixOf(fleet: Fleet, i: number, at: number): Fix {
  const t = (at - fleet.t0) / 1000;
  const r = fleet.region;
  return {
    assetId: fleet.ids[i],
    ts: new Date(at).toISOString(),
    lon: +bounce(fleet.start[i].lon + t * fleet.step[i].dLon, r.minLon, r.maxLon - r.minLon).toFixed(6),
    lat: +bounce(fleet.start[i].lat + t * fleet.step[i].dLat, r.minLat, r.maxLat - r.minLat).toFixed(6),
    speed: fleet.speedMps,
    heading: Math.round(fleet.step[i].heading) % 360,
  };
}

async function post(system: CommandsSystem, path: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`http://${system.host}:${system.port}${path}`, {
    method: 'POST',
    headers: { ...system.auth.get(), 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? (JSON.parse(text) as unknown) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed };
}

interface TelemetryAnswer {
  readonly accepted: number;
  readonly rejected: readonly { readonly index: number; readonly code: string; readonly detail?: string }[];
}

async function registerFleet(system: CommandsSystem, n: number): Promise<string[]> {
  const ids: string[] = new Array<string>(n);
  let done = 0;
  const started = now();
  await withTicker(
    runWorkers(32, n, async (i) => {
      const r = await post(system, '/v1/assets', { name: `Console bench ${i}`, kind: KINDS[i % KINDS.length] });
      if (r.status !== 201 && r.status !== 202) throw new Error(`register: HTTP ${r.status} ${JSON.stringify(r.body)}`);
      ids[i] = (r.body as { id: string }).id;
      done++;
    }),
    () => `${fmt(done)} of ${fmt(n)} assets registered (${fmt((done / (now() - started)) * 1000)}/s)`,
    5000,
  );
  return ids;
}

/** Waits until the projection has `n` assets (registered, or with a position). */
async function waitForProjection(pool: Pool, n: number, what: 'registered' | 'positioned'): Promise<void> {
  const sql =
    what === 'registered'
      ? 'SELECT count(*)::int AS n FROM read.asset_latest WHERE name IS NOT NULL'
      : 'SELECT count(*)::int AS n FROM read.asset_latest WHERE name IS NOT NULL AND geom IS NOT NULL';
  let have = 0;
  await withTicker(
    (async () => {
      for (const deadline = Date.now() + 180_000; ;) {
        have = (await pool.query<{ n: number }>(sql)).rows[0].n;
        if (have >= n) return;
        if (Date.now() > deadline) throw new Error(`the projection has ${have} of ${n} assets ${what} after 3 min`);
        await sleep(500);
      }
    })(),
    () => `projection: ${fmt(have)} of ${fmt(n)} assets ${what}`,
    5000,
  );
}

/** One fix per asset at its starting point (so the asset tiles show the whole fleet). */
async function placeFleet(system: CommandsSystem, fleet: Fleet): Promise<void> {
  const n = fleet.ids.length;
  let pending = Array.from({ length: n }, (_, i) => i);
  for (let attempt = 1; pending.length > 0; attempt++) {
    const rejected: number[] = [];
    const codes: Record<string, number> = {};
    const batches = Math.ceil(pending.length / 1000);
    await runWorkers(4, batches, async (b) => {
      const slice = pending.slice(b * 1000, (b + 1) * 1000);
      const at = Date.now();
      const r = await post(system, '/v1/telemetry', { fixes: slice.map((i) => fixOf(fleet, i, at)) });
      if (r.status !== 202) throw new Error(`telemetry: HTTP ${r.status} ${JSON.stringify(r.body)}`);
      for (const x of (r.body as TelemetryAnswer).rejected) {
        rejected.push(slice[x.index]);
        const why = `${x.code}${x.detail ? ` (${x.detail})` : ''}`;
        codes[why] = (codes[why] ?? 0) + 1;
      }
    });
    if (rejected.length === 0) return;
    if (attempt >= 10) throw new Error(`${rejected.length} initial fixes still rejected after ${attempt} attempts`);
    say(`  ${fmt(rejected.length)} initial fixes rejected (${JSON.stringify(codes)}); again in 2 s`);
    pending = rejected;
    await sleep(2000);
  }
}

/**
 * Open loop: every asset of `[0, moving)` gets a fix about once a second, in `requestsPerSecond`
 * requests per second (request k carries the k-th slice of the moving assets), at most 16 in flight.
 */
class LoadGenerator {
  sentFixes = 0;
  acceptedFixes = 0;
  rejectedFixes = 0;
  /** Fixes not sent because the generator was a second or more behind its schedule. */
  skippedFixes = 0;
  readonly failures: Record<string, number> = {};
  private readonly latencies: number[] = [];
  maxLagMs = 0;
  maxInFlight = 0;
  private inFlight = 0;
  private running = false;
  private loop: Promise<void> | null = null;
  private readonly requests = new Set<Promise<void>>();

  constructor(
    private readonly system: CommandsSystem,
    private readonly fleet: Fleet,
    readonly moving: number,
    private readonly requestsPerSecond: number,
  ) {}

  get targetPerS(): number {
    return this.moving;
  }

  start(): this {
    this.running = true;
    this.loop = this.run();
    return this;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await Promise.all([...this.requests]);
  }

  /** Latencies since the last call (ms), for a window's percentiles. */
  takeLatencies(): number[] {
    return this.latencies.splice(0, this.latencies.length);
  }

  private async run(): Promise<void> {
    const slices = this.requestsPerSecond;
    const perRequest = Math.ceil(this.moving / slices);
    const intervalMs = 1000 / slices;
    const started = now();
    for (let k = 0; this.running; k++) {
      let due = started + k * intervalMs;
      const wait = due - now();
      if (wait > 0) await sleep(wait);
      while (this.inFlight >= 16 && this.running) await sleep(5);
      if (!this.running) break;
      this.maxLagMs = Math.max(this.maxLagMs, now() - due);
      // A second or more behind (the system did not keep up): the missed requests are skipped, not
      // sent in a burst, so no asset gets more than about a fix a second.
      const behind = Math.floor((now() - due) / intervalMs);
      if (behind >= slices) {
        this.skippedFixes += behind * perRequest;
        k += behind;
        due = started + k * intervalMs;
      }
      const from = (k % slices) * perRequest;
      const to = Math.min(this.moving, from + perRequest);
      if (from >= to) continue;
      const at = Date.now();
      const fixes = Array.from({ length: to - from }, (_, j) => fixOf(this.fleet, from + j, at));
      this.send(fixes);
    }
  }

  private send(fixes: Fix[]): void {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.sentFixes += fixes.length;
    const t = now();
    const request = post(this.system, '/v1/telemetry', { fixes })
      .then((r) => {
        if (r.status === 202) {
          const answer = r.body as TelemetryAnswer;
          this.acceptedFixes += answer.accepted;
          this.rejectedFixes += answer.rejected.length;
          this.latencies.push(now() - t);
        } else {
          this.failures[`HTTP ${r.status}`] = (this.failures[`HTTP ${r.status}`] ?? 0) + 1;
        }
      })
      .catch((err: Error) => {
        this.failures[err.name || 'error'] = (this.failures[err.name || 'error'] ?? 0) + 1;
      })
      .finally(() => {
        this.inFlight--;
        this.requests.delete(request);
      });
    this.requests.add(request);
  }
}

/**
 * A second reader of the tenant's live stream (positions only), in this process, reading as fast as
 * it can: how many positions per second the stream delivers, and how many bytes one takes. Reconnects
 * with Last-Event-ID when the response ends (a token that expired, a restart).
 */
class StreamProbe {
  events = 0;
  bytes = 0;
  private readonly controller = new AbortController();

  constructor(private readonly system: CommandsSystem) {}

  start(): this {
    void this.run();
    return this;
  }

  stop(): void {
    this.controller.abort();
  }

  private async run(): Promise<void> {
    let lastId: string | undefined;
    const marker = 'event: position';
    while (!this.controller.signal.aborted) {
      try {
        const res = await fetch(`http://${this.system.host}:${this.system.port}/v1/stream?types=position`, {
          headers: {
            ...this.system.auth.get(),
            accept: 'text/event-stream',
            ...(lastId ? { 'last-event-id': lastId } : {}),
          },
          signal: this.controller.signal,
        });
        if (!res.ok || !res.body) throw new Error(`stream: HTTP ${res.status}`);
        const decoder = new TextDecoder();
        let tail = '';
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          this.bytes += chunk.byteLength;
          const text = tail + decoder.decode(chunk, { stream: true });
          for (let i = text.indexOf(marker); i >= 0; i = text.indexOf(marker, i + marker.length)) this.events++;
          const ids = text.match(/^id: (.+)$/gm);
          if (ids?.length) lastId = ids[ids.length - 1].slice(4);
          // A marker cut between two chunks is counted once: keep only what cannot hold a whole one.
          const cut = text.lastIndexOf(marker);
          tail = text.slice(Math.max(cut >= 0 ? cut + marker.length : 0, text.length - marker.length + 1));
        }
      } catch {
        if (this.controller.signal.aborted) return;
      }
      await sleep(1000);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// CPU of every party over a window (/proc)

interface CpuMark {
  readonly at: number;
  readonly machine: number | null;
  readonly bench: number;
  /** Ticks per party: each service, PostgreSQL, Kafka, Redis, and Chromium's processes by type. */
  readonly parties: Map<string, Map<number, number>>;
  /** Ticks per Chromium thread (`<process type>/<thread name>`). */
  readonly threads: Map<string, number>;
}

/** /proc/<pid>/stat fields after the command: state is [0], ppid [1], utime [11], stime [12]. */
function statFields(path: string): { comm: string; fields: string[] } | null {
  try {
    const stat = readFileSync(path, 'utf8');
    const open = stat.indexOf('(');
    const close = stat.lastIndexOf(')');
    return { comm: stat.slice(open + 1, close), fields: stat.slice(close + 2).split(' ') };
  } catch {
    return null;
  }
}

/** Chromium's processes: descendants of this process whose command is Chromium, by `--type`. */
function chromiumProcesses(exclude: ReadonlySet<number>): Map<number, string> {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = statFields(`/proc/${entry}/stat`);
    if (!stat) continue;
    const ppid = Number(stat.fields[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  const out = new Map<number, string>();
  const queue = [...(children.get(process.pid) ?? [])];
  while (queue.length) {
    const pid = queue.shift() as number;
    queue.push(...(children.get(pid) ?? []));
    if (exclude.has(pid)) continue;
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
    } catch {
      continue;
    }
    if (!/chrom/i.test(cmdline.split(' ')[0] ?? '')) continue;
    const type = /--type=([\w-]+)/.exec(cmdline)?.[1] ?? 'browser';
    out.set(pid, type === 'gpu-process' ? 'gpu' : type);
  }
  return out;
}

function cpuMark(system: CommandsSystem): CpuMark {
  const services: Record<string, number> = {};
  for (const name of Object.keys(CONSOLE_PORTS) as ServiceName[]) {
    const pid = system.pidOf(name);
    if (pid !== undefined) services[name] = pid;
  }
  const parties = new Map<string, Map<number, number>>();
  const add = (party: string, pid: number): void => {
    const ticks = processTicks([pid]);
    if (ticks === null) return;
    const map = parties.get(party) ?? new Map<number, number>();
    map.set(pid, ticks);
    parties.set(party, map);
  };
  for (const [party, pids] of partyPids(services)) for (const pid of pids) add(party, pid);
  const threads = new Map<string, number>();
  for (const [pid, type] of chromiumProcesses(new Set(Object.values(services)))) {
    add(`chromium ${type}`, pid);
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      const stat = statFields(`/proc/${pid}/task/${tid}/stat`);
      if (!stat) continue;
      const key = `${type}/${stat.comm.replace(/\d+$/, '').trim()}`;
      threads.set(key, (threads.get(key) ?? 0) + Number(stat.fields[11]) + Number(stat.fields[12]));
    }
  }
  const usage = process.cpuUsage();
  return {
    at: now(),
    machine: machineTicks(),
    bench: (usage.user + usage.system) / 1e6,
    parties,
    threads,
  };
}

export interface CpuUse {
  /** Cores (1 = one core busy) per party over the window. */
  readonly cores: Record<string, number>;
  /** The busiest Chromium threads (cores). */
  readonly chromiumThreads: Record<string, number>;
  /** Every Chromium thread group (cores). */
  readonly threadCores: Record<string, number>;
  readonly machineCores: number | null;
}

function cpuBetween(a: CpuMark, b: CpuMark): CpuUse {
  const seconds = (b.at - a.at) / 1000;
  const cores: Record<string, number> = {};
  let ours = 0;
  for (const [party, pids] of b.parties) {
    const before = a.parties.get(party);
    let ticks = 0;
    // A process new in the window: its share before the start is unknown, so it is left out.
    for (const [pid, t] of pids) ticks += t - (before?.get(pid) ?? t);
    const c = ticks / CLOCK_TICKS_PER_S / seconds;
    cores[party] = round(c);
    ours += c;
  }
  const bench = (b.bench - a.bench) / seconds;
  cores['bench process (load generator, Playwright)'] = round(bench);
  ours += bench;
  const machineCores =
    a.machine !== null && b.machine !== null ? (b.machine - a.machine) / CLOCK_TICKS_PER_S / seconds : null;
  if (machineCores !== null) cores['rest of the machine'] = round(Math.max(0, machineCores - ours));
  const threadCores = Object.fromEntries(
    [...b.threads]
      .map(([k, t]) => [k, round((t - (a.threads.get(k) ?? t)) / CLOCK_TICKS_PER_S / seconds)] as const)
      .sort((x, y) => y[1] - x[1]),
  );
  const chromiumThreads = Object.fromEntries(
    Object.entries(threadCores)
      .filter(([, c]) => c >= 0.01)
      .slice(0, 10),
  );
  return { cores, chromiumThreads, threadCores, machineCores: machineCores === null ? null : round(machineCores) };
}

// ---------------------------------------------------------------------------------------------
// Phases

export interface FrameStats {
  readonly frames: number;
  readonly seconds: number;
  readonly fps: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Frames longer than 50 ms, and the share of the window spent in them. */
  readonly longFrames: number;
  readonly longFrameTimeShare: number;
}

export function frameStats(stamps: readonly number[]): FrameStats {
  const intervals = stamps.slice(1).map((t, i) => t - stamps[i]);
  const seconds = stamps.length > 1 ? (stamps[stamps.length - 1] - stamps[0]) / 1000 : 0;
  const long = intervals.filter((d) => d > 50);
  return {
    frames: intervals.length,
    seconds: round(seconds),
    fps: round(seconds > 0 ? intervals.length / seconds : 0),
    p50Ms: round(percentile(intervals, 50)),
    p95Ms: round(percentile(intervals, 95)),
    p99Ms: round(percentile(intervals, 99)),
    maxMs: round(intervals.length ? Math.max(...intervals) : Number.NaN),
    longFrames: long.length,
    longFrameTimeShare: round(seconds > 0 ? long.reduce((a, b) => a + b, 0) / 1000 / seconds : 0),
  };
}

export interface PhaseResult {
  readonly phase: string;
  readonly title: string;
  readonly moving: number;
  /** The phase's length by the bench's clock (frame statistics use the page's frame timestamps). */
  readonly wallSeconds: number;
  readonly frames: FrameStats;
  readonly mapRendersPerS: number;
  readonly longTasks: number;
  readonly longTaskMs: number;
  readonly positionsAppliedPerS: number;
  readonly liveAtStart: number;
  readonly liveAtEnd: number;
  readonly heapUsedMb: number | null;
  readonly heapTotalMb: number | null;
  /** CPU (cores) of the renderer's main thread, MapLibre's worker and the GPU process (SwiftShader), from /proc. */
  readonly mainThreadCores: number | null;
  readonly workerCores: number | null;
  readonly gpuCores: number | null;
  /**
   * CPU milliseconds per map draw of the GPU process (SwiftShader) and of the renderer process (main
   * thread, MapLibre's worker, V8's helpers): what a frame costs whatever share of the CPU it got.
   */
  readonly cpuMsPerDraw: { readonly gpu: number | null; readonly renderer: number | null };
  readonly streamConnects: number;
  /**
   * Positions per second the stream delivered to a Node client reading as fast as it can, and what the
   * page received (its stream's bytes, CDP Network, divided by the bytes per position of the Node client).
   */
  readonly stream: { readonly deliveredPerS: number; readonly pageReceivedPerS: number | null };
  readonly load: {
    readonly targetFixesPerS: number;
    readonly sentFixesPerS: number;
    readonly acceptedFixesPerS: number;
    readonly rejectedFixes: number;
    readonly skippedFixes: number;
    readonly failures: Record<string, number>;
    readonly requestP50Ms: number;
    readonly requestP99Ms: number;
    readonly maxLagMs: number;
    readonly maxInFlight: number;
  } | null;
  readonly cpu: CpuUse;
  readonly loadAverage: number;
  /** Adoption phases: whether every moving asset became live before the phase's time limit. */
  readonly complete?: boolean;
  readonly profiled?: boolean;
}

interface PageContext {
  readonly page: Page;
  readonly cdp: CDPSession;
  readonly system: CommandsSystem;
  readonly streamConnects: () => number;
  /** Bytes the page's stream responses received so far (CDP Network.dataReceived). */
  readonly pageStreamBytes: () => number;
  readonly probe: StreamProbe;
}

interface PhaseOptions {
  readonly phase: string;
  readonly title: string;
  readonly moving: number;
  readonly load: LoadGenerator | null;
  /** Ends after this long… */
  readonly windowMs: number;
  /** …or, when given, as soon as this holds (checked with each progress line and every second). */
  readonly until?: (live: number) => boolean;
  /** Ask the map to redraw every frame although nothing changed (the cost of drawing alone). */
  readonly repaint?: boolean;
  /** The main thread was sampled by V8's profiler during the phase (a few % overhead). */
  readonly profiled?: boolean;
  /** Called once the recorder runs (the adoption phases start their telemetry here). */
  readonly started?: () => void;
}

async function runPhase(ctx: PageContext, o: PhaseOptions): Promise<PhaseResult> {
  const { page } = ctx;
  const cpuStart = cpuMark(ctx.system);
  const probe0 = { events: ctx.probe.events, bytes: ctx.probe.bytes, page: ctx.pageStreamBytes() };
  const connectsStart = ctx.streamConnects();
  const load0 = o.load && {
    sent: o.load.sentFixes,
    accepted: o.load.acceptedFixes,
    rejected: o.load.rejectedFixes,
    skipped: o.load.skippedFixes,
  };
  const failures0 = o.load ? { ...o.load.failures } : {};
  o.load?.takeLatencies();
  if (o.load) o.load.maxLagMs = 0;
  const started = now();
  const begin = await startRecorder(page, o.repaint ?? false);
  o.started?.();
  let last = { at: begin.now, frames: 0, positions: begin.positions };
  let complete = o.until ? false : undefined;
  let nextProgress = now() + 5000;
  for (;;) {
    const elapsed = now() - started;
    if (elapsed >= o.windowMs) break;
    await sleep(Math.min(1000, o.windowMs - elapsed));
    const checkUntil = o.until !== undefined;
    if (!checkUntil && now() < nextProgress) continue;
    const s = await snapshot(page);
    if (o.until?.(s.live)) {
      complete = true;
      break;
    }
    if (now() >= nextProgress) {
      const dt = (s.now - last.at) / 1000;
      say(
        `  … ${o.phase}: ${fmt((now() - started) / 1000)} s, ${fmt((s.frames - last.frames) / dt)} fps, ` +
          `${fmt((s.positions - last.positions) / dt)} positions/s applied, ${fmt(s.live)} live` +
          (o.load ? `; load ${fmt(o.load.acceptedFixes - (load0?.accepted ?? 0))} fixes accepted so far` : ''),
      );
      last = { at: s.now, frames: s.frames, positions: s.positions };
      nextProgress = now() + 5000;
    }
  }
  const rec: FrameRecording = {
    ...(await stopRecorder(page)),
    startedAt: begin.now,
    statsAtStart: { live: begin.live, positions: begin.positions },
  };
  const seconds = (now() - started) / 1000;
  const wallSeconds = round(seconds);
  const cpu = cpuBetween(cpuStart, cpuMark(ctx.system));
  const pageSeconds = (rec.stoppedAt - rec.startedAt) / 1000;
  const probed = { events: ctx.probe.events - probe0.events, bytes: ctx.probe.bytes - probe0.bytes };
  const pageBytes = ctx.pageStreamBytes() - probe0.page;
  const latencies = o.load?.takeLatencies() ?? [];
  const failures: Record<string, number> = {};
  for (const [k, v] of Object.entries(o.load?.failures ?? {}))
    if (v - (failures0[k] ?? 0) > 0) failures[k] = v - (failures0[k] ?? 0);
  // The first interval runs from the recorder's start: a page frozen when the phase begins counts.
  const frames = frameStats([rec.startedAt, ...rec.stamps]);
  const phase: PhaseResult = {
    phase: o.phase,
    title: o.title,
    moving: o.moving,
    wallSeconds,
    frames,
    mapRendersPerS: round(rec.renders / pageSeconds),
    longTasks: rec.longTasks,
    longTaskMs: round(rec.longTaskMs),
    positionsAppliedPerS: round((rec.statsAtEnd.positions - rec.statsAtStart.positions) / pageSeconds),
    liveAtStart: rec.statsAtStart.live,
    liveAtEnd: rec.statsAtEnd.live,
    heapUsedMb: rec.heapUsedBytes === null ? null : round(rec.heapUsedBytes / 2 ** 20),
    heapTotalMb: rec.heapTotalBytes === null ? null : round(rec.heapTotalBytes / 2 ** 20),
    mainThreadCores: cpu.threadCores['renderer/chromium'] ?? null,
    workerCores: cpu.threadCores['renderer/DedicatedWorker'] ?? null,
    gpuCores: cpu.cores['chromium gpu'] ?? null,
    cpuMsPerDraw: {
      gpu: perDraw(cpu.cores['chromium gpu'], rec.renders / pageSeconds),
      renderer: perDraw(cpu.cores['chromium renderer'], rec.renders / pageSeconds),
    },
    streamConnects: ctx.streamConnects() - connectsStart,
    stream: {
      deliveredPerS: round(probed.events / seconds),
      pageReceivedPerS: probed.events > 0 ? round(((pageBytes / probed.bytes) * probed.events) / seconds) : null,
    },
    load:
      o.load && load0
        ? {
            targetFixesPerS: o.load.targetPerS,
            sentFixesPerS: round((o.load.sentFixes - load0.sent) / seconds),
            acceptedFixesPerS: round((o.load.acceptedFixes - load0.accepted) / seconds),
            rejectedFixes: o.load.rejectedFixes - load0.rejected,
            skippedFixes: o.load.skippedFixes - load0.skipped,
            failures,
            requestP50Ms: round(percentile(latencies, 50)),
            requestP99Ms: round(percentile(latencies, 99)),
            maxLagMs: round(o.load.maxLagMs),
            maxInFlight: o.load.maxInFlight,
          }
        : null,
    cpu,
    loadAverage: loadAverage1m(),
    ...(complete === undefined ? {} : { complete }),
    ...(o.profiled ? { profiled: true } : {}),
  };
  say(`  ${describePhase(phase)}`);
  return phase;
}

const perDraw = (cores: number | undefined, drawsPerS: number): number | null =>
  cores === undefined || drawsPerS < 0.05 ? null : round((cores * 1000) / drawsPerS);

export function describePhase(p: PhaseResult): string {
  const f = p.frames;
  const load = p.load
    ? `; fixes ${fmt(p.load.acceptedFixesPerS)}/s accepted of ${fmt(p.load.targetFixesPerS)}/s ` +
      `(request p99 ${fmt(p.load.requestP99Ms)} ms)`
    : '';
  return (
    `${p.phase}: ${fmt(p.wallSeconds)} s, ${fmt(f.fps)} fps, frame p50/p95/p99 ${fmt(f.p50Ms)}/${fmt(f.p95Ms)}/` +
    `${fmt(f.p99Ms)} ms (max ${fmt(f.maxMs)}), ${f.longFrames} frames > 50 ms; map draws ${fmt(p.mapRendersPerS)}/s; ` +
    `${fmt(p.positionsAppliedPerS)} positions/s applied; live ${fmt(p.liveAtEnd)}; ` +
    `heap ${fmt(p.heapUsedMb ?? NaN)} MB; ` +
    `cores: main thread ${fmt(p.mainThreadCores ?? NaN)}, worker ${fmt(p.workerCores ?? NaN)}, ` +
    `GPU process ${fmt(p.gpuCores ?? NaN)}; stream ${fmt(p.stream.deliveredPerS)} positions/s, page got ` +
    `${fmt(p.stream.pageReceivedPerS ?? NaN)}/s` +
    load
  );
}

// ---------------------------------------------------------------------------------------------
// The benchmark

export interface ConsoleReport {
  readonly timestamp: string;
  readonly rendering: string;
  readonly webgl: { readonly vendor: string; readonly renderer: string } | null;
  readonly chromium: string;
  readonly viewport: typeof VIEWPORT;
  readonly map: MapView;
  readonly params: ConsoleParams;
  readonly setup: Readonly<Record<string, number>>;
  readonly loadAverage: { readonly start: number; readonly end: number };
  readonly phases: readonly PhaseResult[];
  readonly trace: (TraceSummary & { readonly during: string; readonly file: string }) | null;
  /** V8 samples of the page's main thread during the trace (CDP Profiler). */
  readonly profile: CpuProfileSummary | null;
  /** V8 samples of the page's main thread during the large adoption phase. */
  readonly adoptionProfile: CpuProfileSummary | null;
  readonly pageErrors: readonly string[];
}

export async function consoleBenchmark(env: CommandsEnvironment, params: ConsoleParams): Promise<BenchResult[]> {
  const loadStart = loadAverage1m();
  const setup: Record<string, number> = {};
  let t = now();
  const lap = (name: string): void => {
    setup[name] = round((now() - t) / 1000);
    t = now();
  };
  ensureConsoleBuilt();
  lap('buildS');
  const system = await env.start();
  lap('stackS');
  const pool = new Pool({ connectionString: system.databaseUrl, max: 2, application_name: 'meridian-bench-console' });
  let browser: Browser | null = null;
  let load: LoadGenerator | null = null;
  let probe: StreamProbe | null = null;
  try {
    say(`  registering ${fmt(params.assets)} assets through the API (32 clients)`);
    const ids = await registerFleet(system, params.assets);
    await waitForProjection(pool, params.assets, 'registered');
    lap('registerS');
    const fleet = drawFleet(ids, params.region, params.speedMps);
    say(`  one fix each over ${fmt(200)} km × ${fmt(200)} km (${regionText(params.region)})`);
    await placeFleet(system, fleet);
    await waitForProjection(pool, params.assets, 'positioned');
    lap('placeS');

    say('  Chromium (headless, SwiftShader WebGL): signing in as bench-operator');
    browser = await launchBrowser();
    const context = await browser.newContext({ viewport: VIEWPORT });
    const page = await context.newPage();
    // The page's stream bytes (CDP Network) from the first request on: the stream starts at sign-in.
    const cdp = await context.newCDPSession(page);
    const streamRequests = new Set<string>();
    let pageStreamBytes = 0;
    cdp.on('Network.requestWillBeSent', (e) => {
      if (e.request.url.includes('/v1/stream')) streamRequests.add(e.requestId);
    });
    cdp.on('Network.dataReceived', (e) => {
      if (streamRequests.has(e.requestId)) pageStreamBytes += e.dataLength;
    });
    await cdp.send('Network.enable');
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.length < 20 && pageErrors.push(err.message));
    let streamConnects = 0;
    page.on('request', (r) => {
      if (r.url().includes('/v1/stream')) streamConnects++;
    });
    await signIn(page, CONSOLE_URL, system.issuer, CONSOLE_USER);
    const webgl = await webglRenderer(page);
    say(`  WebGL: ${webgl ? `${webgl.vendor} — ${webgl.renderer}` : 'none (the map cannot draw)'}`);
    await fitRegion(page, params.region);
    let view = await mapView(page);
    await withTicker(
      (async () => {
        for (const deadline = Date.now() + 120_000; Date.now() < deadline;) {
          view = await mapView(page);
          if (view.tilesLoaded && view.tileAssets >= params.assets) return;
          await sleep(500);
        }
        say(`  the tiles show ${fmt(view.tileAssets)} of ${fmt(params.assets)} assets after 2 min; going on`);
      })(),
      () => `map at zoom ${fmt(view.zoom)}: ${fmt(view.tileAssets)} assets in the loaded tiles`,
      5000,
    );
    say(
      `  map at zoom ${fmt(view.zoom)} (${view.canvas.width}×${view.canvas.height} px canvas), ` +
        `${fmt(view.tileAssets)} assets in its tiles`,
    );
    lap('browserS');
    probe = new StreamProbe(system).start();
    const ctx: PageContext = {
      page,
      cdp,
      system,
      streamConnects: () => streamConnects,
      pageStreamBytes: () => pageStreamBytes,
      probe,
    };
    await settle(system, 'the idle phase');
    await sleep(2000);

    const phases: PhaseResult[] = [];
    const n = params.assets;
    say(`  phase idle: ${fmt(n)} assets from tiles, no telemetry, ${fmt(params.windowMs / 1000)} s`);
    phases.push(
      await runPhase(ctx, {
        phase: 'idle',
        title: `idle: ${fmt(n)} assets from tiles, no telemetry`,
        moving: 0,
        load: null,
        windowMs: params.windowMs,
      }),
    );
    say(`  phase repaint: the same map redrawn every frame (map.triggerRepaint), no telemetry`);
    phases.push(
      await runPhase(ctx, {
        phase: 'repaint',
        title: `redraw only: ${fmt(n)} assets from tiles, the map redrawn every frame, no telemetry`,
        moving: 0,
        load: null,
        windowMs: params.windowMs,
        repaint: true,
      }),
    );
    // What each part of the map costs to draw: the same redraw with some layers hidden (shorter windows).
    for (const [phase, title, layers] of DRAW_EXPERIMENTS) {
      const hidden = await setLayersVisible(page, layers, false);
      say(`  phase ${phase}: redrawn every frame with ${hidden.join(', ')} hidden`);
      phases.push(
        await runPhase(ctx, { phase, title, moving: 0, load: null, windowMs: params.windowMs / 2, repaint: true }),
      );
      await setLayersVisible(page, hidden, true);
    }

    let adoptionProfile: CpuProfileSummary | null = null;
    const moving = async (m: number, livePrior: number): Promise<void> => {
      say(`  ${fmt(m)} assets start moving (${fmt(m)} fixes/s in ${params.requestsPerSecond} requests/s)`);
      const previous = load as LoadGenerator | null;
      await previous?.stop(); // the next one sends for these assets too
      const generator = new LoadGenerator(system, fleet, m, params.requestsPerSecond);
      load = generator;
      // The large adoption is sampled on the main thread (V8's profiler, 1 ms): where a frozen page spends it.
      const profiled = m === n && params.traceMs > 0;
      if (profiled) await startCpuProfile(cdp);
      phases.push(
        await runPhase(ctx, {
          phase: `adopt-${label(m)}`,
          title: `${fmt(m - livePrior)} assets become live (tiles → live source), until all ${fmt(m)} are live`,
          moving: m,
          load: generator,
          // Telemetry starts once the recorder runs: a page that freezes on the first positions is measured.
          started: () => void generator.start(),
          windowMs: params.adoptionMaxMs,
          until: (live) => live >= m,
          profiled,
        }),
      );
      if (profiled) adoptionProfile = await stopCpuProfile(cdp, new SourceResolver(consoleDir(), ROOT));
      phases.push(
        await runPhase(ctx, {
          phase: `moving-${label(m)}`,
          title: `${fmt(m)} assets moving, a fix each per second`,
          moving: m,
          load: generator,
          windowMs: params.windowMs,
        }),
      );
    };
    if (params.small > 0 && params.small < n) await moving(params.small, 0);
    await moving(n, params.small > 0 && params.small < n ? params.small : 0);

    let trace: ConsoleReport['trace'] = null;
    let profile: CpuProfileSummary | null = null;
    if (params.traceMs > 0) {
      say(
        `  Chrome trace and main-thread CPU profile of ${fmt(n)} moving, ` +
          `${fmt(params.traceMs / 1000)} s (not measured)`,
      );
      const resolver = new SourceResolver(consoleDir(), ROOT);
      await browser.startTracing(page, { categories: TRACE_CATEGORIES });
      await startCpuProfile(cdp);
      await sleep(params.traceMs);
      profile = await stopCpuProfile(cdp, resolver);
      const buffer = await browser.stopTracing();
      const dir = join(ROOT, '.local', 'bench-console');
      mkdirSync(dir, { recursive: true });
      const file = join(dir, 'trace.json');
      writeFileSync(file, buffer);
      const summary = summariseTrace(buffer.toString('utf8'), resolver);
      trace = { ...summary, during: `moving-${label(n)}`, file: file.slice(ROOT.length + 1) };
      say(`  trace: ${fmt(buffer.length / 2 ** 20)} MB in ${trace.file}; busiest threads:`);
      for (const th of summary.threads.slice(0, 6)) say(`    ${th.thread}: ${fmt(th.busy * 100)} % busy`);
      say(`  main thread (${fmt(profile.seconds)} s of samples), most self time:`);
      for (const f of profile.functions.slice(0, 6)) say(`    ${fmt(f.share * 100)} % ${f.fn}`);
    }

    const stopping = load as LoadGenerator | null;
    await stopping?.stop();
    load = null;
    say('  telemetry stopped; waiting for the stream to drain');
    await settle(system, 'the second idle phase', 30_000);
    const idleIn = await waitForMapIdle(page, 120_000);
    say(`  map idle ${idleIn === null ? 'not reached in 2 min; going on' : `after ${fmt(idleIn / 1000)} s`}`);
    await sleep(2000);
    phases.push(
      await runPhase(ctx, {
        phase: 'idle-after',
        title: `idle again: ${fmt((await liveStats(page)).live)} assets live (GeoJSON source), no telemetry`,
        moving: 0,
        load: null,
        windowMs: params.windowMs,
      }),
    );

    const report: ConsoleReport = {
      timestamp: new Date().toISOString(),
      rendering: 'software-rendered (SwiftShader), not a GPU',
      webgl,
      chromium: browser.version(),
      viewport: VIEWPORT,
      map: view,
      params,
      setup,
      loadAverage: { start: loadStart, end: loadAverage1m() },
      phases,
      trace,
      profile,
      adoptionProfile,
      pageErrors,
    };
    await context.close();
    writeConsoleReport(resolve(__dirname, 'results'), report);
    return benchResults(report);
  } finally {
    const running = load as LoadGenerator | null;
    await running?.stop().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    probe?.stop();
    await pool.end().catch(() => undefined);
  }
}

/** Redraw-only phases with layers hidden (ids of apps/console's base-map.ts and live-assets.ts). */
const DRAW_EXPERIMENTS: readonly (readonly [string, string, readonly string[]])[] = [
  [
    'repaint-no-icons',
    'redraw only, without the kind pictograms (symbol layers)',
    ['asset-tiles-icon', 'live-assets-icon'],
  ],
  [
    'repaint-no-assets',
    'redraw only, without any asset layer (base map alone)',
    ['asset-tiles-dot', 'asset-tiles-icon', 'live-assets-dot', 'live-assets-icon'],
  ],
  ['repaint-no-basemap', 'redraw only, without the country fill and outline', ['countries-fill', 'countries-line']],
];

const label = (n: number): string => (n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n));

const regionText = (r: Region): string =>
  `lon ${r.minLon.toFixed(3)}–${r.maxLon.toFixed(3)}, lat ${r.minLat.toFixed(3)}–${r.maxLat.toFixed(3)}`;

function benchResults(report: ConsoleReport): BenchResult[] {
  const idle = report.phases.find((p) => p.phase === 'idle');
  if (!idle) return [];
  const note = (p: PhaseResult): string =>
    `SwiftShader, not a GPU · p50/p95/p99 ${fmt(p.frames.p50Ms)}/${fmt(p.frames.p95Ms)}/${fmt(p.frames.p99Ms)} ms · ` +
    `${fmt(p.positionsAppliedPerS)} positions/s applied · ${fmt(p.load?.acceptedFixesPerS ?? 0)} fixes/s posted`;
  const out: BenchResult[] = [];
  for (const p of report.phases.filter((x) => x.phase.startsWith('moving-'))) {
    const parameters = { ...report.params, moving: p.moving, rendering: report.rendering };
    const details = { phase: p, idle, chartNote: note(p), webgl: report.webgl };
    out.push(
      result({
        name: `console-fps-${p.phase}`,
        title: `Console frames/s, ${fmt(p.moving)} assets moving (SwiftShader)`,
        value: p.frames.fps,
        unit: 'fps',
        baseline: idle.frames.fps,
        baselineName: 'idle map',
        valueName: `${fmt(p.moving)} moving`,
        better: 'higher',
        parameters,
        details,
      }),
    );
    if (p.moving === report.params.assets) {
      out.push(
        result({
          name: `console-frame-p95-${p.phase}`,
          title: `Console p95 frame time, ${fmt(p.moving)} assets moving (SwiftShader)`,
          value: p.frames.p95Ms,
          unit: 'ms',
          baseline: idle.frames.p95Ms,
          baselineName: 'idle map',
          valueName: `${fmt(p.moving)} moving`,
          better: 'lower',
          parameters,
          details,
        }),
      );
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// console.json, console.md, console.svg

const pct = (x: number | null): string => (x === null || !Number.isFinite(x) ? 'n/a' : `${fmt(x * 100)} %`);

const TABLE_COLUMNS = [
  'phase',
  's',
  'frames',
  'fps',
  'p50 ms',
  'p95 ms',
  'p99 ms',
  'max ms',
  'frames > 50 ms (time share)',
  'map draws/s',
  'positions applied/s',
  'fixes/s accepted / target',
  'live assets drawn',
  'heap MB',
  'cores: main thread / worker / GPU process',
  'CPU ms per draw: GPU process / renderer',
  'stream positions/s: delivered / page received',
  'fps vs idle',
  'p95 vs idle',
];

export function consoleTable(report: ConsoleReport): string[] {
  const idle = report.phases.find((p) => p.phase === 'idle');
  const rows = report.phases.map((p) => {
    const f = p.frames;
    const fixes = p.load ? `${fmt(p.load.acceptedFixesPerS)} / ${fmt(p.load.targetFixesPerS)}` : '—';
    const vs = (x: number, base: number | undefined): string =>
      base && Number.isFinite(x) && Number.isFinite(base) ? `${fmt(x / base)}×` : '—';
    return (
      `| ${p.phase} | ${fmt(p.wallSeconds)} | ${f.frames} | ${fmt(f.fps)} | ` +
      `${fmt(f.p50Ms)} | ${fmt(f.p95Ms)} | ${fmt(f.p99Ms)} | ` +
      `${fmt(f.maxMs)} | ${f.longFrames} (${pct(f.longFrameTimeShare)}) | ${fmt(p.mapRendersPerS)} | ` +
      `${fmt(p.positionsAppliedPerS)} | ${fixes} | ${fmt(p.liveAtEnd)} | ${fmt(p.heapUsedMb ?? NaN)} | ` +
      `${fmt(p.mainThreadCores ?? NaN)} / ${fmt(p.workerCores ?? NaN)} / ${fmt(p.gpuCores ?? NaN)} | ` +
      `${p.cpuMsPerDraw.gpu === null ? '—' : fmt(p.cpuMsPerDraw.gpu)} / ` +
      `${p.cpuMsPerDraw.renderer === null ? '—' : fmt(p.cpuMsPerDraw.renderer)} | ` +
      `${fmt(p.stream.deliveredPerS)} / ${fmt(p.stream.pageReceivedPerS ?? NaN)} | ` +
      `${vs(f.fps, idle?.frames.fps)} | ` +
      `${vs(f.p95Ms, idle?.frames.p95Ms)} |`
    );
  });
  return [
    `| ${TABLE_COLUMNS.join(' | ')} |`,
    `|---|${TABLE_COLUMNS.slice(1)
      .map(() => '--:')
      .join('|')}|`,
    ...rows,
  ];
}

function cpuTable(report: ConsoleReport): string[] {
  const parties = [...new Set(report.phases.flatMap((p) => Object.keys(p.cpu.cores)))];
  return [
    `| cores | ${report.phases.map((p) => p.phase).join(' | ')} |`,
    `|---|${report.phases.map(() => '--:').join('|')}|`,
    ...parties.map((party) => `| ${party} | ${report.phases.map((p) => fmt(p.cpu.cores[party] ?? 0)).join(' | ')} |`),
    `| **machine (all CPUs)** | ${report.phases.map((p) => fmt(p.cpu.machineCores ?? NaN)).join(' | ')} |`,
    `| load average (1 min, at the end) | ${report.phases.map((p) => fmt(p.loadAverage)).join(' | ')} |`,
  ];
}

function writeConsoleReport(dir: string, report: ConsoleReport): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'console.json'), `${JSON.stringify(report, null, 2)}\n`);
  const threadLines = (p: PhaseResult): string =>
    Object.entries(p.cpu.chromiumThreads)
      .slice(0, 6)
      .map(([k, v]) => `${k} ${fmt(v)}`)
      .join(', ');
  const md = [
    '# Console frame-time benchmark',
    '',
    `**${report.rendering}.** ${report.timestamp}; Chromium ${report.chromium} headless, WebGL ` +
      `\`${report.webgl?.renderer ?? 'none'}\`; viewport ${report.viewport.width}×${report.viewport.height}, map at ` +
      `zoom ${fmt(report.map.zoom)} showing ${fmt(report.map.tileAssets)} assets from tiles; ` +
      `${fmt(report.params.assets)} ` +
      `assets over a 200 km box; load average ${report.loadAverage.start} → ${report.loadAverage.end}. Every ` +
      'service, the infrastructure, the load generator and the browser share the machine.',
    '',
    'Frame time = interval between `requestAnimationFrame` callbacks; long frames > 50 ms. Ratios are against ' +
      'the idle phase of the same run.',
    '',
    ...consoleTable(report),
    '',
    '## CPU during each phase (cores, from /proc)',
    '',
    ...cpuTable(report),
    '',
    'Busiest Chromium threads per phase (cores):',
    '',
    ...report.phases.map((p) => `- ${p.phase}: ${threadLines(p)}`),
    '',
    ...(report.trace
      ? [
          `## Chrome trace during ${report.trace.during} (${fmt(report.trace.seconds)} s, ${report.trace.file})`,
          '',
          '| thread | busy |',
          '|---|--:|',
          ...report.trace.threads.slice(0, 8).map((th) => `| ${th.thread} | ${pct(th.busy)} |`),
          '',
          'Main threads of the renderer and the GPU process, time per trace event (nested events overlap):',
          '',
          '| thread | event | ms | count | longest ms |',
          '|---|---|--:|--:|--:|',
          ...report.trace.events.map(
            (e) => `| ${e.thread} | ${e.event} | ${fmt(e.ms)} | ${e.count} | ${fmt(e.maxMs)} |`,
          ),
          '',
          '| thread | self time by function (sampled) | ms | share |',
          '|---|---|--:|--:|',
          ...report.trace.functions
            .filter((f) => f.share >= 0.02)
            .slice(0, 30)
            .map((f) => `| ${f.thread} | \`${f.fn}\` | ${fmt(f.ms)} | ${pct(f.share)} |`),
          '',
          '| thread | self time by source | ms | share |',
          '|---|---|--:|--:|',
          ...report.trace.sources
            .filter((f) => f.share >= 0.02)
            .map((f) => `| ${f.thread} | \`${f.fn}\` | ${fmt(f.ms)} | ${pct(f.share)} |`),
          '',
        ]
      : []),
    ...(report.profile
      ? profileSection(`Main thread during ${report.trace?.during ?? 'the trace'}, sampled`, report.profile)
      : []),
    ...(report.adoptionProfile
      ? profileSection(`Main thread during adopt-${label(report.params.assets)}, sampled`, report.adoptionProfile)
      : []),
    ...(report.pageErrors.length ? ['## Page errors', '', ...report.pageErrors.map((e) => `- ${e}`), ''] : []),
  ].join('\n');
  writeFileSync(join(dir, 'console.md'), md);
  writeFileSync(join(dir, 'console.svg'), renderConsoleSvg(report));
}

function profileSection(title: string, profile: CpuProfileSummary): string[] {
  return [
    `## ${title} (CDP Profiler, 1 ms, ${fmt(profile.seconds)} s)`,
    '',
    '| self time by function | ms | share |',
    '|---|--:|--:|',
    ...profile.functions.filter((f) => f.share >= 0.01).map((f) => `| \`${f.fn}\` | ${fmt(f.ms)} | ${pct(f.share)} |`),
    '',
    '| inclusive (on the stack) | ms | share |',
    '|---|--:|--:|',
    ...profile.inclusive.filter((f) => f.share >= 0.05).map((f) => `| \`${f.fn}\` | ${fmt(f.ms)} | ${pct(f.share)} |`),
    '',
    'Heaviest stacks (innermost first):',
    '',
    ...profile.stacks
      .filter((st) => st.share >= 0.02)
      .slice(0, 8)
      .map((st) => `- ${pct(st.share)} (${fmt(st.ms)} ms): ${st.stack.map((f) => `\`${f}\``).join(' ← ')}`),
    '',
  ];
}

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Per phase: p50/p95/p99 frame time on a log scale (16.7 ms and 50 ms marked), fps beside it. */
export function renderConsoleSvg(report: ConsoleReport): string {
  const width = 1100;
  const labelW = 300;
  const plotW = 560;
  const rowH = 74;
  const top = 92;
  const height = top + report.phases.length * rowH + 60;
  const values = report.phases.flatMap((p) => [p.frames.p50Ms, p.frames.p95Ms, p.frames.p99Ms]).filter((v) => v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...values, 10)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...values, 100)));
  const x = (v: number): number =>
    labelW + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotW;
  const bottom = top + report.phases.length * rowH;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      'font-family="Helvetica, Arial, sans-serif" font-size="13">',
    '<rect width="100%" height="100%" fill="#ffffff"/>',
    `<text x="16" y="28" font-size="18" font-weight="bold">Console frame times, ${esc(fmt(report.params.assets))} ` +
      'assets — software-rendered (SwiftShader), not a GPU</text>',
    `<text x="16" y="50" fill="#555">${esc(
      `${report.timestamp} · Chromium ${report.chromium} headless · ${report.webgl?.renderer ?? 'no WebGL'}`,
    )}</text>`,
    `<text x="16" y="70" fill="#555">${esc(
      `viewport ${report.viewport.width}×${report.viewport.height} · zoom ${fmt(report.map.zoom)} · ` +
        `load avg ${report.loadAverage.start}→${report.loadAverage.end} · services, infrastructure, load ` +
        'generator and browser on the same machine',
    )}</text>`,
  ];
  for (let d = lo; d <= hi * 1.0001; d *= 10) {
    parts.push(
      `<line x1="${x(d).toFixed(1)}" y1="${top}" x2="${x(d).toFixed(1)}" y2="${bottom}" stroke="#e2e8f0"/>`,
      `<text x="${x(d).toFixed(1)}" y="${bottom + 16}" fill="#777" text-anchor="middle">${esc(fmt(d))} ms</text>`,
    );
  }
  for (const [ms, text] of [
    [1000 / 60, '60 fps'],
    [50, '50 ms'],
  ] as const) {
    parts.push(
      `<line x1="${x(ms).toFixed(1)}" y1="${top - 6}" x2="${x(ms).toFixed(1)}" y2="${bottom}" stroke="#c53030" ` +
        'stroke-dasharray="5,4"/>',
      `<text x="${x(ms).toFixed(1)}" y="${top - 10}" fill="#c53030" text-anchor="middle" font-size="12">${text}</text>`,
    );
  }
  const colours = { p50: '#90cdf4', p95: '#3182ce', p99: '#1a365d' } as const;
  report.phases.forEach((p, i) => {
    const y = top + i * rowH + 8;
    parts.push(
      `<text x="16" y="${y + 18}" font-weight="bold">${esc(p.phase)}</text>`,
      `<text x="16" y="${y + 36}" fill="#555" font-size="12">${esc(
        `${fmt(p.frames.fps)} fps · ${fmt(p.positionsAppliedPerS)} positions/s · ${fmt(p.liveAtEnd)} live`,
      )}</text>`,
    );
    (['p50', 'p95', 'p99'] as const).forEach((k, j) => {
      const v = p.frames[`${k}Ms`];
      const w = Math.max(1, x(v) - labelW);
      parts.push(
        `<rect x="${labelW}" y="${y + j * 19}" width="${w.toFixed(1)}" height="16" fill="${colours[k]}"/>`,
        `<text x="${(labelW + w + 6).toFixed(1)}" y="${y + j * 19 + 13}" font-size="12">${k} ${esc(fmt(v))} ms</text>`,
      );
    });
  });
  parts.push(
    `<text x="16" y="${height - 14}" fill="#777">Frame time = interval between requestAnimationFrame callbacks; ` +
      'log scale. Ratios and every number: bench/results/console.md.</text>',
    '</svg>',
    '',
  );
  return parts.join('\n');
}
