/**
 * Small benchmark harness: timing, progress lines, concurrent workers, result records.
 * Benchmarks measure and report; they never assert on timings.
 */
import { performance } from 'node:perf_hooks';

/** Which way is better for a value: throughput (higher) or latency (lower). */
export type Better = 'higher' | 'lower';

/** One measured benchmark against a baseline measured in the same run. */
export interface BenchResult {
  readonly name: string;
  readonly title: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline: number;
  readonly baselineName: string;
  /** What the blue bar of the chart measures; `store` when absent. */
  readonly valueName?: string;
  /** Always `value / baseline`; read it with `better` (throughput: ≥ 1 is parity or better; latency: ≤ 1). */
  readonly ratio: number;
  readonly better: Better;
  readonly parameters: Readonly<Record<string, unknown>>;
  /** Extra numbers that explain the result (breakdowns, spreads); not compared across runs. */
  readonly details?: Readonly<Record<string, unknown>>;
}

export const now = (): number => performance.now();

const t0 = now();
const stamp = (): string => `${((now() - t0) / 1000).toFixed(1).padStart(6)}s`;

/** One progress line, prefixed with the elapsed time of the whole run. */
export function say(message: string): void {
  process.stdout.write(`[bench ${stamp()}] ${message}\n`);
}

/** Prints `report()` every `everyMs` while `work` runs; long phases stay visibly alive. */
export async function withTicker<T>(work: Promise<T>, report: () => string, everyMs = 2000): Promise<T> {
  const timer = setInterval(() => say(`  … ${report()}`), everyMs);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

/**
 * Runs `total` tasks on `concurrency` workers that take the next index from a shared counter,
 * so every worker is busy until the queue is empty. `task(i, worker)` gets a unique index.
 */
export async function runWorkers(
  concurrency: number,
  total: number,
  task: (index: number, worker: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (w: number): Promise<void> => {
    for (let i = next++; i < total; i = next++) await task(i, w);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, (_, w) => worker(w)));
}

/** Wall time of `work` in milliseconds. */
export async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = now();
  await work();
  return now() - start;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Rounds for printing and JSON: 3 significant decimals below 10, fewer above. */
export function round(x: number): number {
  if (!Number.isFinite(x)) return x;
  const abs = Math.abs(x);
  const digits = abs >= 1000 ? 0 : abs >= 100 ? 1 : abs >= 10 ? 2 : 3;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function fmt(x: number): string {
  return round(x).toLocaleString('en-US', { maximumFractionDigits: 3 });
}

export function result(r: Omit<BenchResult, 'ratio'>): BenchResult {
  return { ...r, value: round(r.value), baseline: round(r.baseline), ratio: round(r.value / r.baseline) };
}

/** One line per result: value, baseline and the ratio with the direction that is better. */
export function describe(r: BenchResult): string {
  const hint = r.better === 'higher' ? 'higher is better' : 'lower is better';
  return (
    `${r.title}: ${fmt(r.value)} ${r.unit} vs ${r.baselineName} ${fmt(r.baseline)} ${r.unit} → ratio ` +
    `${fmt(r.ratio)} (${hint})`
  );
}

/** Scale factor for every size (BENCH_SCALE=0.2 for a quick smoke run); never below 1 item. */
export function scaled(n: number, scale: number, min = 1): number {
  return Math.max(min, Math.round(n * scale));
}
