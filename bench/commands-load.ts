/**
 * Load generators of the `commands` benchmark: a closed loop over HTTP (autocannon, keep-alive),
 * a closed loop over any async call (the event-store baseline), and an open loop at a fixed
 * arrival rate whose latency is measured from each request's *scheduled* send time, so a slow
 * answer never delays (and hides) the requests behind it (no coordinated omission).
 */
import { createRequire } from 'node:module';
import { Agent, request } from 'node:http';
import type { EventEmitter } from 'node:events';
import { now, round } from './harness';

// ---------------------------------------------------------------------------------------------
// Latency summaries and outcome counts

export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

const pick = (sorted: Float64Array, p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];

/** Percentiles (nearest rank) of latencies in ms; NaN fields when there are none. */
export function summarize(values: readonly number[]): LatencySummary {
  if (values.length === 0) {
    return { count: 0, p50: Number.NaN, p95: Number.NaN, p99: Number.NaN, max: Number.NaN, mean: Number.NaN };
  }
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    p50: round(pick(sorted, 50)),
    p95: round(pick(sorted, 95)),
    p99: round(pick(sorted, 99)),
    max: round(sorted[sorted.length - 1]),
    mean: round(sum / sorted.length),
  };
}

/** How many calls ended how: `201`, `202`, `503`, `ok`, `rejected ASSET.…`, `error ECONNRESET`, … */
export class Outcomes {
  private readonly counts = new Map<string, number>();

  add(outcome: string, n = 1): void {
    this.counts.set(outcome, (this.counts.get(outcome) ?? 0) + n);
  }

  get(outcome: string): number {
    return this.counts.get(outcome) ?? 0;
  }

  total(): number {
    let n = 0;
    for (const v of this.counts.values()) n += v;
    return n;
  }

  /** Everything except `success`. */
  others(success: string): number {
    return this.total() - this.get(success);
  }

  merge(other: Outcomes): void {
    for (const [k, v] of other.counts) this.add(k, v);
  }

  toJSON(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  /** `202×3, 503×1` of everything except `success`; `none` when there is nothing else. */
  describeOthers(success: string): string {
    const rest = [...this.counts.entries()].filter(([k]) => k !== success);
    return rest.length ? rest.map(([k, v]) => `${k}×${v}`).join(', ') : 'none';
  }
}

/** What a call ended with, and for anything but success what was said (a problem body, an error message). */
export interface CallResult {
  readonly outcome: string;
  readonly detail?: string;
}

/** One phase of load: outcomes, latency of every answered call and of the successful ones. */
export interface LoadSample {
  readonly outcomes: Outcomes;
  /** The first few details per unsuccessful outcome (response bodies, error messages). */
  readonly examples: Map<string, string[]>;
  /** Every answered call, whatever its outcome (ms). */
  readonly latencies: number[];
  /** Only the successful calls (ms). */
  readonly successLatencies: number[];
  /** Wall time of the phase (ms). */
  elapsedMs: number;
}

export const newSample = (): LoadSample => ({
  outcomes: new Outcomes(),
  examples: new Map(),
  latencies: [],
  successLatencies: [],
  elapsedMs: 0,
});

const EXAMPLES_PER_OUTCOME = 3;

function addExample(sample: LoadSample, outcome: string, detail: string | undefined): void {
  if (detail === undefined) return;
  const list = sample.examples.get(outcome) ?? [];
  if (list.length >= EXAMPLES_PER_OUTCOME) return;
  list.push(detail.length > 400 ? `${detail.slice(0, 400)}…` : detail);
  sample.examples.set(outcome, list);
}

/** The examples as JSON (`{ "400": ["{…problem…}"] }`). */
export const examplesJson = (sample: LoadSample): Record<string, string[]> =>
  Object.fromEntries([...sample.examples.entries()].sort(([a], [b]) => a.localeCompare(b)));

/** Records one answered call. */
function record(sample: LoadSample, progress: Progress, r: CallResult, ms: number, success: string): void {
  sample.outcomes.add(r.outcome);
  sample.latencies.push(ms);
  progress.answered++;
  if (r.outcome === success) {
    sample.successLatencies.push(ms);
    progress.succeeded++;
  } else addExample(sample, r.outcome, r.detail);
}

export function mergeSamples(samples: readonly LoadSample[]): LoadSample {
  const all = newSample();
  for (const s of samples) {
    all.outcomes.merge(s.outcomes);
    for (const [k, list] of s.examples) list.forEach((d) => addExample(all, k, d));
    for (const v of s.latencies) all.latencies.push(v);
    for (const v of s.successLatencies) all.successLatencies.push(v);
    all.elapsedMs += s.elapsedMs;
  }
  return all;
}

const errorResult = (err: unknown): CallResult => {
  const e = err as { code?: unknown; name?: unknown; message?: unknown };
  const kind = typeof e.code === 'string' ? e.code : typeof e.name === 'string' ? e.name : 'error';
  return { outcome: `error ${kind}`, detail: String(e.message) };
};

// ---------------------------------------------------------------------------------------------
// Closed loop over HTTP: autocannon (no typings ship with it; the parts used are declared here)

interface AutocannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (req: AutocannonRequest) => AutocannonRequest;
  onResponse?: (status: number, body: string) => void;
}

interface AutocannonOptions {
  readonly url: string;
  readonly connections: number;
  /** Seconds. */
  readonly duration: number;
  readonly pipelining: number;
  /** Seconds before a request counts as a timeout. */
  readonly timeout: number;
  readonly requests: readonly AutocannonRequest[];
}

interface AutocannonResult {
  readonly errors: number;
  readonly timeouts: number;
  readonly resets: number;
  readonly non2xx: number;
  readonly statusCodeStats: Readonly<Record<string, { readonly count: number }>>;
  readonly requests: { readonly sent: number; readonly total: number };
}

type AutocannonInstance = EventEmitter & { stop(): void };
type Autocannon = (
  options: AutocannonOptions,
  done: (err: Error | null, result: AutocannonResult) => void,
) => AutocannonInstance;

const autocannon = createRequire(__filename)('autocannon') as Autocannon;

export interface HttpTarget {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  /** Headers of the next request (the current `Authorization`: tokens are renewed while a phase runs). */
  readonly headers: () => Readonly<Record<string, string>>;
  /** The JSON body of the next request (a new asset every time). */
  readonly body: () => string;
  /** The status that counts as success (201). */
  readonly success: number;
}

/** Live counters a ticker can print while a phase runs. */
export interface Progress {
  answered: number;
  succeeded: number;
  sent: number;
  inFlight: number;
}

export const newProgress = (): Progress => ({ answered: 0, succeeded: 0, sent: 0, inFlight: 0 });

/**
 * `connections` keep-alive connections, each sending its next request as soon as the previous one
 * is answered, for `durationMs`. Requests still in flight when the time is up are abandoned by
 * autocannon and not counted.
 */
export function httpClosedLoop(
  target: HttpTarget,
  connections: number,
  durationMs: number,
  progress: Progress,
): Promise<LoadSample & { readonly autocannon: AutocannonResult }> {
  const sample = newSample();
  const success = String(target.success);
  return new Promise((resolve, reject) => {
    const started = now();
    const instance = autocannon(
      {
        url: `http://${target.host}:${target.port}`,
        connections,
        duration: durationMs / 1000,
        pipelining: 1,
        // Longer than any answer the gateway gives (it answers 202 after its command timeout):
        // a slow answer is counted as what it is, not as a client-side timeout.
        timeout: 60,
        requests: [
          {
            method: 'POST',
            path: target.path,
            setupRequest: (req) => ({
              ...req,
              headers: { ...req.headers, ...target.headers(), 'content-type': 'application/json' },
              body: target.body(),
            }),
            // Called before the 'response' event of the same answer: keeps a few unsuccessful bodies.
            onResponse: (status, body) => {
              if (String(status) !== success) addExample(sample, String(status), body);
            },
          },
        ],
      },
      (err, res) => {
        sample.elapsedMs = now() - started;
        if (err) reject(err);
        else {
          if (res.errors > 0) sample.outcomes.add('error (connection)', res.errors - res.timeouts);
          if (res.timeouts > 0) sample.outcomes.add('error (client timeout)', res.timeouts);
          resolve({ ...sample, autocannon: res });
        }
      },
    );
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) =>
      record(sample, progress, { outcome: String(statusCode) }, responseTime, success),
    );
  });
}

// ---------------------------------------------------------------------------------------------
// Closed loop over any async call (the event-store baseline)

/**
 * `concurrency` callers, each starting its next call as soon as the previous one returns, until
 * `durationMs` has passed; calls in flight then finish and are counted (their time too).
 * `call(i)` resolves to an outcome; `success` names the one that counts.
 */
export async function closedLoop(
  concurrency: number,
  durationMs: number,
  call: (i: number) => Promise<CallResult>,
  success: string,
  progress: Progress,
): Promise<LoadSample> {
  const sample = newSample();
  const started = now();
  const end = started + durationMs;
  let next = 0;
  const caller = async (): Promise<void> => {
    while (now() < end) {
      const i = next++;
      const t = now();
      let r: CallResult;
      try {
        r = await call(i);
      } catch (err) {
        r = errorResult(err);
      }
      record(sample, progress, r, now() - t, success);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, caller));
  sample.elapsedMs = now() - started;
  return sample;
}

// ---------------------------------------------------------------------------------------------
// Open loop: a fixed arrival rate, latency from the scheduled send time

export interface OpenLoopSample extends LoadSample {
  readonly offered: number;
  readonly sent: number;
  /** Calls not answered when the drain time ran out; their age then is counted as their latency. */
  readonly unanswered: number;
  /** How late the scheduler sent calls (event-loop delay of the load generator itself), ms. */
  readonly sendLag: LatencySummary;
  readonly maxInFlight: number;
  /** Wall time from the first scheduled send to the last answer (or the drain deadline), ms. */
  readonly spanMs: number;
}

/** A call the open loop can abandon when its drain time is over. */
export type AbortableCall = (i: number, signal: AbortSignal) => Promise<CallResult>;

/**
 * Sends call `i` at `start + i / rate` for `durationMs`, whatever happened to the calls before it,
 * and waits at most `drainMs` after the last send for the answers. Latency = answer time − the
 * scheduled send time (a late send, because the event loop was busy, counts against the system).
 */
export async function openLoop(
  ratePerSecond: number,
  durationMs: number,
  drainMs: number,
  call: AbortableCall,
  success: string,
  progress: Progress,
): Promise<OpenLoopSample> {
  const sample = newSample();
  const interval = 1000 / ratePerSecond;
  const offered = Math.max(1, Math.round((durationMs / 1000) * ratePerSecond));
  const start = now() + 5;
  const pending = new Map<number, { readonly scheduled: number; readonly abort: AbortController }>();
  const sendLags: number[] = [];
  let sent = 0;
  let maxInFlight = 0;
  let lastAnswer = start;
  let drained: () => void = () => undefined;

  const fire = (i: number, scheduled: number): void => {
    const abort = new AbortController();
    pending.set(i, { scheduled, abort });
    maxInFlight = Math.max(maxInFlight, pending.size);
    progress.inFlight = pending.size;
    const settle = (r: CallResult): void => {
      if (!pending.delete(i)) return; // abandoned at the drain deadline: already counted
      const t = now();
      lastAnswer = t;
      progress.inFlight = pending.size;
      record(sample, progress, r, t - scheduled, success);
      if (sent === offered && pending.size === 0) drained();
    };
    call(i, abort.signal).then(settle, (err: unknown) => settle(errorResult(err)));
  };

  await new Promise<void>((scheduled) => {
    const tick = (): void => {
      const t = now();
      while (sent < offered && start + sent * interval <= t) {
        const at = start + sent * interval;
        sendLags.push(t - at);
        progress.sent = ++sent;
        fire(sent - 1, at);
      }
      if (sent === offered) return scheduled();
      setTimeout(tick, Math.max(0, start + sent * interval - now()));
    };
    setTimeout(tick, Math.max(0, start - now()));
  });

  if (pending.size > 0) {
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((done) => {
      drained = done;
      timer = setTimeout(done, drainMs);
    });
    clearTimeout(timer);
  }
  const unanswered = pending.size;
  if (unanswered > 0) {
    const t = now();
    lastAnswer = t;
    for (const [, p] of pending) {
      sample.outcomes.add('unanswered');
      sample.latencies.push(t - p.scheduled); // a lower bound: it had not been answered yet
      p.abort.abort();
    }
    pending.clear();
    progress.inFlight = 0;
  }
  sample.elapsedMs = lastAnswer - start;
  return {
    ...sample,
    offered,
    sent,
    unanswered,
    sendLag: summarize(sendLags),
    maxInFlight,
    spanMs: lastAnswer - start,
  };
}

/**
 * `POST target.path` over a keep-alive agent; resolves to the status code once the body is read
 * (with the body as the detail when the status is not the target's success).
 * One agent per phase: `maxSockets` bounds the connections, requests beyond it wait in the agent
 * (and that wait counts in their latency).
 */
export function httpPoster(target: HttpTarget, maxSockets: number): { call: AbortableCall; close(): void } {
  const agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  const call: AbortableCall = (_i, signal) =>
    new Promise<CallResult>((resolve, reject) => {
      const body = target.body();
      const req = request(
        {
          host: target.host,
          port: target.port,
          path: target.path,
          method: 'POST',
          agent,
          signal,
          headers: {
            ...target.headers(),
            'content-type': 'application/json',
            'content-length': String(Buffer.byteLength(body)),
          },
        },
        (res) => {
          const outcome = String(res.statusCode);
          const chunks: Buffer[] = [];
          res.on('error', reject);
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve(
              res.statusCode === target.success
                ? { outcome }
                : { outcome, detail: Buffer.concat(chunks).toString('utf8') },
            ),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  return { call, close: () => agent.destroy() };
}
