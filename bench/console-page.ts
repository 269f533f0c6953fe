/**
 * The browser side of `npm run bench -- console` (bench/console.ts): headless Debian Chromium with
 * SwiftShader (software WebGL, test/console/chromium.ts), signing in through identity's login page,
 * a frame recorder inside the page (requestAnimationFrame timestamps, MapLibre `render` events,
 * long tasks), the page's JS heap and CDP Performance metrics, and a Chrome trace summarised per
 * thread: how busy each thread was and, from the trace's V8 samples, which functions took the
 * time, resolved through the build's source maps (and MapLibre's own) to the original sources.
 *
 * Functions handed to `page.evaluate` run in the page: they may use only their arguments and the
 * page's globals (`PageGlobals`), never this module's scope.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { type Browser, type CDPSession, chromium, type Page } from '@playwright/test';
import { chromiumExecutable, WEBGL_ARGS } from '../test/console/chromium';

// ---------------------------------------------------------------------------------------------
// What the page offers (the console's shell puts the map and the live assets on window)

interface MapLike {
  triggerRepaint(): void;
  fitBounds(bounds: [[number, number], [number, number]], options: Record<string, unknown>): void;
  on(type: string, listener: () => void): void;
  once(type: string, listener: () => void): void;
  getLayer(id: string): unknown;
  setLayoutProperty(layer: string, name: 'visibility', value: 'visible' | 'none'): void;
  off(type: string, listener: () => void): void;
  getZoom(): number;
  areTilesLoaded(): boolean;
  getCanvas(): { width: number; height: number };
  querySourceFeatures(source: string, options: { sourceLayer: string }): { id?: string | number }[];
}

interface LiveAssetsLike {
  stats(): { live: number; positions: number };
}

interface FrameRecorder {
  stamps: number[];
  renders: number;
  longTasks: number;
  longTaskMs: number;
  running: boolean;
  stop: () => void;
}

interface WebGlLike {
  getExtension(name: string): { UNMASKED_RENDERER_WEBGL: number; UNMASKED_VENDOR_WEBGL: number } | null;
  getParameter(p: number): unknown;
  RENDERER: number;
  VENDOR: number;
}

interface PageGlobals {
  meridianMap?: MapLike;
  meridianAssets?: LiveAssetsLike;
  __consoleBench?: FrameRecorder;
  requestAnimationFrame(callback: (t: number) => void): number;
  performance: { now(): number; memory?: { usedJSHeapSize: number; totalJSHeapSize: number } };
  PerformanceObserver: new (callback: (list: { getEntries(): { duration: number }[] }) => void) => {
    observe(options: { type: string; buffered?: boolean }): void;
    disconnect(): void;
  };
  document: { createElement(tag: 'canvas'): { getContext(kind: 'webgl2'): WebGlLike | null } };
}

export interface Region {
  readonly minLon: number;
  readonly minLat: number;
  readonly maxLon: number;
  readonly maxLat: number;
}

export interface ConsoleUser {
  readonly tenantId: string;
  readonly username: string;
  readonly password: string;
}

// ---------------------------------------------------------------------------------------------
// The browser

export const VIEWPORT = { width: 1280, height: 800 } as const;

/** Headless Chromium with SwiftShader WebGL, as the browser tests run it; precise `performance.memory`. */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = chromiumExecutable();
  if (!executablePath) throw new Error('no Chromium found (infra/scripts/chromium.sh ensure, or MERIDIAN_CHROMIUM)');
  return chromium.launch({
    executablePath,
    headless: true,
    args: [...WEBGL_ARGS, '--enable-precise-memory-info'],
  });
}

const SIGN_IN_TIMEOUT_MS = 60_000;

/**
 * Signs in as a person does (test/console/fixtures.ts `signIn`): the console's "Sign in", identity's
 * login form, back to the console, which names the user; then waits for the shell's map and live assets.
 */
export async function signIn(page: Page, consoleUrl: string, issuer: string, user: ConsoleUser): Promise<void> {
  const issuerOrigin = new URL(issuer).origin;
  await page.goto(consoleUrl);
  await page.getByRole('button', { name: 'Sign in' }).click({ timeout: SIGN_IN_TIMEOUT_MS });
  await page.waitForURL((url) => url.origin === issuerOrigin, { timeout: SIGN_IN_TIMEOUT_MS });
  await page.locator('#tenant').fill(user.tenantId);
  await page.locator('#username').fill(user.username);
  await page.locator('#password').fill(user.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL((url) => url.href.startsWith(consoleUrl), { timeout: SIGN_IN_TIMEOUT_MS });
  await page.getByTestId('whoami').filter({ hasText: user.username }).waitFor({ timeout: SIGN_IN_TIMEOUT_MS });
  await page.waitForFunction(
    () => {
      const g = globalThis as unknown as PageGlobals;
      return !!g.meridianMap && !!g.meridianAssets;
    },
    undefined,
    { timeout: SIGN_IN_TIMEOUT_MS },
  );
}

/** The WebGL renderer the page gets (SwiftShader here: not a GPU). */
export function webglRenderer(page: Page): Promise<{ vendor: string; renderer: string } | null> {
  return page.evaluate(() => {
    const g = globalThis as unknown as PageGlobals;
    const gl = g.document.createElement('canvas').getContext('webgl2');
    if (!gl) return null;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    return {
      vendor: String(gl.getParameter(info ? info.UNMASKED_VENDOR_WEBGL : gl.VENDOR)),
      renderer: String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER)),
    };
  });
}

export interface MapView {
  readonly zoom: number;
  readonly canvas: { readonly width: number; readonly height: number };
  /** Distinct asset ids in the loaded tiles of `asset-tiles`. */
  readonly tileAssets: number;
  readonly tilesLoaded: boolean;
}

/** Fits the map to the region, without animation. */
export async function fitRegion(page: Page, region: Region): Promise<void> {
  await page.evaluate((r) => {
    const map = (globalThis as unknown as PageGlobals).meridianMap;
    if (!map) throw new Error('no map on window');
    map.fitBounds(
      [
        [r.minLon, r.minLat],
        [r.maxLon, r.maxLat],
      ],
      { animate: false, padding: 24 },
    );
  }, region);
}

export function mapView(page: Page): Promise<MapView> {
  return page.evaluate(() => {
    const map = (globalThis as unknown as PageGlobals).meridianMap;
    if (!map) throw new Error('no map on window');
    const ids = new Set<string>();
    for (const f of map.querySourceFeatures('asset-tiles', { sourceLayer: 'assets' })) {
      if (f.id !== undefined) ids.add(String(f.id));
    }
    const canvas = map.getCanvas();
    return {
      zoom: map.getZoom(),
      canvas: { width: canvas.width, height: canvas.height },
      tileAssets: ids.size,
      tilesLoaded: map.areTilesLoaded(),
    };
  });
}

/** Shows or hides map layers (by id; missing ones are skipped); returns the ids it changed. */
export function setLayersVisible(page: Page, layers: readonly string[], visible: boolean): Promise<string[]> {
  return page.evaluate(
    ([ids, show]) => {
      const map = (globalThis as unknown as PageGlobals).meridianMap;
      if (!map) throw new Error('no map on window');
      const changed = ids.filter((id) => map.getLayer(id) !== undefined);
      for (const id of changed) map.setLayoutProperty(id, 'visibility', show ? 'visible' : 'none');
      return changed;
    },
    [layers, visible] as const,
  );
}

export function liveStats(page: Page): Promise<{ live: number; positions: number }> {
  return page.evaluate(() => {
    const assets = (globalThis as unknown as PageGlobals).meridianAssets;
    if (!assets) throw new Error('no live assets on window');
    return assets.stats();
  });
}

// ---------------------------------------------------------------------------------------------
// The frame recorder

export interface FrameSnapshot {
  /** Page clock (ms) when read. */
  readonly now: number;
  readonly frames: number;
  readonly live: number;
  readonly positions: number;
}

export interface FrameRecording {
  /** requestAnimationFrame timestamps (ms, page clock). */
  readonly stamps: readonly number[];
  /** MapLibre `render` events: frames the map actually drew. */
  readonly renders: number;
  readonly longTasks: number;
  readonly longTaskMs: number;
  readonly startedAt: number;
  readonly stoppedAt: number;
  readonly statsAtStart: { readonly live: number; readonly positions: number };
  readonly statsAtEnd: { readonly live: number; readonly positions: number };
  /** performance.memory.usedJSHeapSize at the end (bytes), when Chromium offers it. */
  readonly heapUsedBytes: number | null;
  readonly heapTotalBytes: number | null;
}

/**
 * Starts recording every animation frame, MapLibre render and long task; returns the page clock.
 * `repaint`: the map is asked to redraw every frame (`triggerRepaint`) although nothing changed.
 */
export function startRecorder(page: Page, repaint = false): Promise<{ now: number; live: number; positions: number }> {
  return page.evaluate((redraw) => {
    const g = globalThis as unknown as PageGlobals;
    const map = g.meridianMap;
    const assets = g.meridianAssets;
    if (!map || !assets) throw new Error('no map or live assets on window');
    g.__consoleBench?.stop();
    const rec: FrameRecorder = {
      stamps: [],
      renders: 0,
      longTasks: 0,
      longTaskMs: 0,
      running: true,
      stop: () => undefined,
    };
    const onRender = (): void => {
      rec.renders += 1;
    };
    map.on('render', onRender);
    let observer: { disconnect(): void } | null = null;
    try {
      const o = new g.PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
          rec.longTasks += 1;
          rec.longTaskMs += entry.duration;
        }
      });
      o.observe({ type: 'longtask' });
      observer = o;
    } catch {
      observer = null; // no Long Tasks API: counted as 0
    }
    const loop = (t: number): void => {
      rec.stamps.push(t);
      if (!rec.running) return;
      if (redraw) map.triggerRepaint();
      g.requestAnimationFrame(loop);
    };
    g.requestAnimationFrame(loop);
    rec.stop = () => {
      rec.running = false;
      map.off('render', onRender);
      observer?.disconnect();
    };
    g.__consoleBench = rec;
    return { now: g.performance.now(), ...assets.stats() };
  }, repaint);
}

/** What the recorder has so far (for progress lines and end conditions); cheap. */
export function snapshot(page: Page): Promise<FrameSnapshot> {
  return page.evaluate(() => {
    const g = globalThis as unknown as PageGlobals;
    const rec = g.__consoleBench;
    const stats = g.meridianAssets?.stats() ?? { live: 0, positions: 0 };
    return { now: g.performance.now(), frames: rec?.stamps.length ?? 0, ...stats };
  });
}

/** Stops the recorder and returns everything it recorded. */
export function stopRecorder(page: Page): Promise<Omit<FrameRecording, 'startedAt' | 'statsAtStart'>> {
  return page.evaluate(() => {
    const g = globalThis as unknown as PageGlobals;
    const rec = g.__consoleBench;
    if (!rec) throw new Error('no recorder running');
    rec.stop();
    g.__consoleBench = undefined;
    const memory = g.performance.memory;
    return {
      stamps: rec.stamps,
      renders: rec.renders,
      longTasks: rec.longTasks,
      longTaskMs: rec.longTaskMs,
      stoppedAt: g.performance.now(),
      statsAtEnd: g.meridianAssets?.stats() ?? { live: 0, positions: 0 },
      heapUsedBytes: memory ? memory.usedJSHeapSize : null,
      heapTotalBytes: memory ? memory.totalJSHeapSize : null,
    };
  });
}

/** Waits for MapLibre's `idle` (nothing loading, nothing left to draw); ms it took, or null after `timeoutMs`. */
export function waitForMapIdle(page: Page, timeoutMs: number): Promise<number | null> {
  return page.evaluate((limit) => {
    const g = globalThis as unknown as PageGlobals;
    const map = g.meridianMap;
    if (!map) throw new Error('no map on window');
    const started = g.performance.now();
    return new Promise<number | null>((done) => {
      const timer = setTimeout(() => done(null), limit);
      map.once('idle', () => {
        clearTimeout(timer);
        done(g.performance.now() - started);
      });
      map.triggerRepaint();
    });
  }, timeoutMs);
}

// ---------------------------------------------------------------------------------------------
// A Chrome trace, summarised

/** Trace categories: top-level tasks of every thread, and V8's sampling profiler (all threads). */
export const TRACE_CATEGORIES = [
  'toplevel',
  'devtools.timeline',
  'disabled-by-default-devtools.timeline',
  'v8.execute',
  'disabled-by-default-v8.cpu_profiler',
];

interface TraceEvent {
  readonly pid: number;
  readonly tid: number;
  readonly ts: number;
  readonly ph: string;
  readonly name: string;
  readonly cat?: string;
  readonly dur?: number;
  readonly id?: string;
  readonly args?: Record<string, unknown>;
}

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}

export interface ThreadBusy {
  readonly thread: string;
  /** Share of the trace's wall time the thread ran tasks (0–1). */
  readonly busy: number;
}

export interface HotFunction {
  readonly thread: string;
  /** The original function and source (through the source maps) when resolvable. */
  readonly fn: string;
  readonly ms: number;
  /** Share of the thread's sampled time (idle excluded). */
  readonly share: number;
}

export interface TraceSummary {
  readonly seconds: number;
  readonly threads: readonly ThreadBusy[];
  /**
   * The renderer's main thread and the GPU process's main thread: time in each kind of trace event
   * (`Commit`, `FireAnimationFrame`, `HandlePostMessage`, `GPUTask`, …; nested events overlap).
   */
  readonly events: readonly {
    readonly thread: string;
    readonly event: string;
    readonly ms: number;
    readonly count: number;
    readonly maxMs: number;
  }[];
  /** Self time by function, per thread, largest first. */
  readonly functions: readonly HotFunction[];
  /** Self time by original source file, per thread. */
  readonly sources: readonly HotFunction[];
}

const TASK_EVENTS = new Set(['ThreadControllerImpl::RunTask', 'ThreadPool_RunTask', 'RunTask']);

/** Per-thread busy share, and sampled self time by function and by source file. */
export function summariseTrace(json: string, resolver: SourceResolver): TraceSummary {
  const parsed = JSON.parse(json) as { traceEvents?: TraceEvent[] } | TraceEvent[];
  const events = Array.isArray(parsed) ? parsed : (parsed.traceEvents ?? []);
  const processNames = new Map<number, string>();
  const threadNames = new Map<string, string>();
  for (const e of events) {
    if (e.ph !== 'M') continue;
    const name = String((e.args as { name?: string } | undefined)?.name ?? '');
    if (e.name === 'process_name') processNames.set(e.pid, name);
    if (e.name === 'thread_name') threadNames.set(`${e.pid}:${e.tid}`, name);
  }
  const label = (pid: number, tid: number): string =>
    `${processNames.get(pid) ?? `pid ${pid}`} / ${threadNames.get(`${pid}:${tid}`) ?? `tid ${tid}`}`;

  // Wall span: the first and last timestamped event.
  let start = Infinity;
  let end = -Infinity;
  const tasks = new Map<string, [number, number][]>();
  for (const e of events) {
    if (e.ph === 'M' || !(e.ts > 0)) continue;
    start = Math.min(start, e.ts);
    end = Math.max(end, e.ts + (e.dur ?? 0));
    if (e.ph === 'X' && TASK_EVENTS.has(e.name) && e.dur !== undefined) {
      const key = `${e.pid}:${e.tid}`;
      const list = tasks.get(key) ?? [];
      list.push([e.ts, e.ts + e.dur]);
      tasks.set(key, list);
    }
  }
  const span = Math.max(1, end - start);
  const threads: ThreadBusy[] = [];
  for (const [key, intervals] of tasks) {
    intervals.sort((a, b) => a[0] - b[0]);
    let busy = 0;
    let [from, to] = intervals[0];
    for (const [s, e] of intervals.slice(1)) {
      if (s <= to) to = Math.max(to, e);
      else {
        busy += to - from;
        [from, to] = [s, e];
      }
    }
    busy += to - from;
    const [pid, tid] = key.split(':').map(Number);
    threads.push({ thread: label(pid, tid), busy: busy / span });
  }
  threads.sort((a, b) => b.busy - a.busy);

  const eventTotals = new Map<string, { thread: string; event: string; us: number; count: number; max: number }>();
  for (const e of events) {
    if (e.ph !== 'X' || e.dur === undefined || TASK_EVENTS.has(e.name)) continue;
    const thread = threadNames.get(`${e.pid}:${e.tid}`);
    if (thread !== 'CrRendererMain' && thread !== 'CrGpuMain') continue;
    const key = `${e.pid}:${e.tid}:${e.name}`;
    const t = eventTotals.get(key) ?? { thread: label(e.pid, e.tid), event: e.name, us: 0, count: 0, max: 0 };
    t.us += e.dur;
    t.count += 1;
    t.max = Math.max(t.max, e.dur);
    eventTotals.set(key, t);
  }
  const eventRows = [...eventTotals.values()]
    .filter((t) => !t.event.startsWith('V8.GC_'))
    .sort((a, b) => b.us - a.us)
    .slice(0, 16)
    .map((t) => ({ thread: t.thread, event: t.event, ms: t.us / 1000, count: t.count, maxMs: t.max / 1000 }));

  // V8 samples: a `Profile` event per profiled thread, then `ProfileChunk`s with nodes and samples.
  const profiles = new Map<
    string,
    { thread: string; frames: Map<number, CallFrame>; self: Map<number, number>; total: number }
  >();
  for (const e of events) {
    if (e.ph !== 'P' || (e.name !== 'Profile' && e.name !== 'ProfileChunk')) continue;
    const key = `${e.pid}:${e.id}`;
    let profile = profiles.get(key);
    if (!profile) {
      profile = { thread: label(e.pid, e.tid), frames: new Map(), self: new Map(), total: 0 };
      profiles.set(key, profile);
    }
    if (e.name === 'Profile') {
      profile.thread = label(e.pid, e.tid);
      continue;
    }
    const data = (e.args as { data?: ChunkData } | undefined)?.data;
    for (const node of data?.cpuProfile?.nodes ?? []) profile.frames.set(node.id, node.callFrame);
    const samples = data?.cpuProfile?.samples ?? [];
    const deltas = data?.timeDeltas ?? [];
    samples.forEach((id, i) => {
      const us = Math.max(0, deltas[i] ?? 0);
      profile.self.set(id, (profile.self.get(id) ?? 0) + us);
    });
  }
  const functions: HotFunction[] = [];
  const sources: HotFunction[] = [];
  for (const profile of profiles.values()) {
    const byFn = new Map<string, number>();
    const bySource = new Map<string, number>();
    let total = 0;
    for (const [id, us] of profile.self) {
      const frame = profile.frames.get(id);
      if (!frame || frame.functionName === '(idle)' || frame.functionName === '(root)') continue;
      total += us;
      const where = resolver.resolve(frame);
      byFn.set(where.fn, (byFn.get(where.fn) ?? 0) + us);
      bySource.set(where.source, (bySource.get(where.source) ?? 0) + us);
    }
    if (total === 0) continue;
    const top = (map: Map<string, number>, into: HotFunction[], n: number): void => {
      [...map.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, n)
        .forEach(([fn, us]) => into.push({ thread: profile.thread, fn, ms: us / 1000, share: us / total }));
    };
    top(byFn, functions, 15);
    top(bySource, sources, 10);
  }
  return { seconds: span / 1e6, threads, events: eventRows, functions, sources };
}

interface ChunkData {
  readonly cpuProfile?: { readonly nodes?: { id: number; callFrame: CallFrame }[]; readonly samples?: number[] };
  readonly timeDeltas?: number[];
}

// ---------------------------------------------------------------------------------------------
// A CPU profile of the page's main thread (CDP Profiler), summarised

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: number[];
}

export interface CpuProfileSummary {
  readonly seconds: number;
  /** Sampled self time by function (idle excluded), largest first. */
  readonly functions: readonly { readonly fn: string; readonly ms: number; readonly share: number }[];
  /** Self time by original source file. */
  readonly sources: readonly { readonly source: string; readonly ms: number; readonly share: number }[];
  /** The heaviest call stacks (innermost first, up to 8 frames) with their self time. */
  readonly stacks: readonly { readonly stack: readonly string[]; readonly ms: number; readonly share: number }[];
  /** Time by inclusive function (on the stack of a sample), largest first: where the time goes from. */
  readonly inclusive: readonly { readonly fn: string; readonly ms: number; readonly share: number }[];
}

/** Starts V8's sampling profiler on the page's main thread (1 ms interval). */
export async function startCpuProfile(cdp: CDPSession): Promise<void> {
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 1000 });
  await cdp.send('Profiler.start');
}

export async function stopCpuProfile(cdp: CDPSession, resolver: SourceResolver): Promise<CpuProfileSummary> {
  const { profile } = await cdp.send('Profiler.stop');
  await cdp.send('Profiler.disable');
  const nodes = new Map<number, ProfileNode>(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const self = new Map<number, number>();
  samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + Math.max(0, deltas[i + 1] ?? deltas[i] ?? 0)));
  const byFn = new Map<string, number>();
  const bySource = new Map<string, number>();
  const byStack = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  for (const [id, us] of self) {
    const node = nodes.get(id);
    if (!node || node.callFrame.functionName === '(idle)' || node.callFrame.functionName === '(root)') continue;
    total += us;
    const where = resolver.resolve(node.callFrame);
    byFn.set(where.fn, (byFn.get(where.fn) ?? 0) + us);
    bySource.set(where.source, (bySource.get(where.source) ?? 0) + us);
    const stack: string[] = [];
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = nodes.get(at)?.callFrame;
      if (!frame || frame.functionName === '(root)') break;
      const fn = resolver.resolve(frame).fn;
      if (stack.length < 8) stack.push(fn);
      if (!seen.has(fn)) {
        seen.add(fn);
        inclusive.set(fn, (inclusive.get(fn) ?? 0) + us);
      }
    }
    const key = stack.join(' ← ');
    byStack.set(key, (byStack.get(key) ?? 0) + us);
  }
  const top = <K extends string>(map: Map<string, number>, n: number, key: K) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(
        ([k, us]) =>
          ({ [key]: k, ms: us / 1000, share: total ? us / total : 0 }) as Record<K, string> & {
            ms: number;
            share: number;
          },
      );
  return {
    seconds: (profile.endTime - profile.startTime) / 1e6,
    functions: top(byFn, 25, 'fn'),
    sources: top(bySource, 12, 'source'),
    stacks: top(byStack, 12, 'stack').map((s) => ({ ...s, stack: s.stack.split(' ← ') })),
    inclusive: top(inclusive, 25, 'fn'),
  };
}

// ---------------------------------------------------------------------------------------------
// Source maps: the console's build (dist/console/assets/*.js.map), then MapLibre's own dist maps

interface Segment {
  readonly col: number;
  readonly source: number;
  readonly line: number;
  readonly srcCol: number;
  readonly name: number;
}

interface LoadedMap {
  readonly file: string;
  readonly sources: readonly string[];
  readonly names: readonly string[];
  readonly lines: readonly (readonly Segment[])[];
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Map([...B64].map((c, i) => [c, i]));

/** Decodes a v3 source map's `mappings` (Base64 VLQ) into segments per generated line. */
function decodeMappings(mappings: string): Segment[][] {
  const lines: Segment[][] = [];
  let [source, line, srcCol, name] = [0, 0, 0, 0];
  for (const text of mappings.split(';')) {
    const segments: Segment[] = [];
    let col = 0;
    for (const raw of text.split(',')) {
      if (!raw) continue;
      const values: number[] = [];
      let value = 0;
      let shift = 0;
      for (const c of raw) {
        const digit = B64_INDEX.get(c) ?? 0;
        value += (digit & 31) << shift;
        if (digit & 32) shift += 5;
        else {
          values.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      col += values[0] ?? 0;
      if (values.length >= 4) {
        source += values[1];
        line += values[2];
        srcCol += values[3];
        if (values.length >= 5) name += values[4];
        segments.push({ col, source, line, srcCol, name: values.length >= 5 ? name : -1 });
      }
    }
    lines.push(segments);
  }
  return lines;
}

function lookup(map: LoadedMap, line: number, col: number): Segment | undefined {
  const segments = map.lines[line];
  if (!segments || segments.length === 0) return undefined;
  let lo = 0;
  let hi = segments.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (segments[mid].col <= col) lo = mid;
    else hi = mid - 1;
  }
  return segments[lo].col <= col ? segments[lo] : segments[0];
}

/** Resolves sampled call frames of the console's scripts to original functions and files. */
export class SourceResolver {
  private readonly maps = new Map<string, LoadedMap | null>();
  private readonly cache = new Map<string, { fn: string; source: string }>();

  constructor(
    /** The built console (dist/console): `/console/assets/x.js` is `<dir>/assets/x.js(.map)`. */
    private readonly consoleDir: string,
    private readonly root: string,
  ) {}

  resolve(frame: CallFrame): { fn: string; source: string } {
    const key = `${frame.url}:${frame.lineNumber}:${frame.columnNumber}:${frame.functionName}`;
    let hit = this.cache.get(key);
    if (!hit) {
      hit = this.resolveUncached(frame);
      this.cache.set(key, hit);
    }
    return hit;
  }

  private resolveUncached(frame: CallFrame): { fn: string; source: string } {
    const named = frame.functionName || '(anonymous)';
    if (!frame.url) return { fn: named, source: named.startsWith('(') ? named : '(native)' };
    let path: string | null = null;
    try {
      const url = new URL(frame.url);
      if (url.pathname.startsWith('/console/')) path = join(this.consoleDir, url.pathname.slice('/console/'.length));
    } catch {
      path = null;
    }
    if (!path) return { fn: `${named} (${frame.url})`, source: frame.url };
    let map = this.load(`${path}.map`);
    let at = map ? lookup(map, frame.lineNumber, frame.columnNumber) : undefined;
    let name = map && at && at.name >= 0 ? map.names[at.name] : undefined;
    let file = map && at ? this.sourcePath(map, at.source) : path;
    let line = at ? at.line : frame.lineNumber;
    // MapLibre's dist files are minified bundles with maps of their own: one step further.
    for (let hops = 0; map && at && hops < 2; hops++) {
      const next = this.load(`${file}.map`);
      const deeper = next ? lookup(next, line, at.srcCol) : undefined;
      if (!next || !deeper) break;
      name = deeper.name >= 0 ? next.names[deeper.name] : name;
      file = this.sourcePath(next, deeper.source);
      line = deeper.line;
      [map, at] = [next, deeper];
    }
    const source = relative(this.root, file).replace(/^node_modules\//, '');
    const fn = name && frame.functionName ? `${name}` : named;
    return { fn: `${fn} (${source}:${line + 1})`, source };
  }

  /**
   * A map's source as a path. Vite writes the worker chunk's map one directory short
   * (`../../node_modules/…` beside `../../../node_modules/…`): a source that is not where its map
   * says, but names node_modules, is taken from the repository's node_modules.
   */
  private sourcePath(map: LoadedMap, index: number): string {
    const source = map.sources[index] ?? '';
    const beside = resolve(dirname(map.file), source);
    const modules = source.indexOf('node_modules/');
    if (existsSync(beside) || modules < 0) return beside;
    return join(this.root, source.slice(modules));
  }

  private load(file: string): LoadedMap | null {
    if (this.maps.has(file)) return this.maps.get(file) ?? null;
    let loaded: LoadedMap | null = null;
    if (existsSync(file)) {
      try {
        const raw = JSON.parse(readFileSync(file, 'utf8')) as {
          sources: string[];
          names?: string[];
          mappings: string;
          sourceRoot?: string;
        };
        const sources = raw.sources.map((s) => (raw.sourceRoot ? join(raw.sourceRoot, s) : s));
        loaded = { file, sources, names: raw.names ?? [], lines: decodeMappings(raw.mappings) };
      } catch {
        loaded = null;
      }
    }
    this.maps.set(file, loaded);
    return loaded;
  }
}
