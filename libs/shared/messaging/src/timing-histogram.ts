/**
 * A latency histogram of fixed size: logarithmic buckets 2 % wide from 1 µs to about 17 minutes
 * (≈ 1,050 counters, 8 KiB), so percentiles are within ±1 % of the true value whatever the range,
 * and recording is O(1) with no allocation. Count, min, max and the sum are kept exactly.
 */
const MIN_MS = 0.001;
const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
const BUCKETS = Math.ceil(Math.log(1_000_000 / MIN_MS) / LOG_GROWTH) + 2;

export interface LatencySummary {
  readonly count: number;
  /** Milliseconds, rounded to microseconds; null when nothing was recorded. */
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  readonly max: number | null;
  readonly mean: number | null;
}

const roundUs = (ms: number): number => Math.round(ms * 1000) / 1000;

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  private n = 0;
  private sum = 0;
  private min = Number.POSITIVE_INFINITY;
  private maxValue = 0;

  /** Records a duration in milliseconds; negative and non-finite values are ignored. */
  record(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) return;
    this.counts[bucketOf(ms)]++;
    this.n++;
    this.sum += ms;
    if (ms < this.min) this.min = ms;
    if (ms > this.maxValue) this.maxValue = ms;
  }

  get count(): number {
    return this.n;
  }

  /**
   * The nearest-rank percentile (the smallest recorded value with at least p % of the values at
   * or below it), as the geometric middle of its bucket, kept within the recorded min and max
   * (which are exact: the first and last ranks).
   */
  percentile(p: number): number | null {
    if (this.n === 0) return null;
    const rank = Math.max(1, Math.ceil((p / 100) * this.n));
    if (rank >= this.n) return this.maxValue;
    if (rank === 1) return this.min;
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(this.maxValue, Math.max(this.min, middleOf(i)));
    }
    return this.maxValue;
  }

  summary(): LatencySummary {
    const pick = (p: number): number | null => {
      const v = this.percentile(p);
      return v === null ? null : roundUs(v);
    };
    return {
      count: this.n,
      p50: pick(50),
      p95: pick(95),
      p99: pick(99),
      max: this.n ? roundUs(this.maxValue) : null,
      mean: this.n ? roundUs(this.sum / this.n) : null,
    };
  }

  reset(): void {
    this.counts.fill(0);
    this.n = 0;
    this.sum = 0;
    this.min = Number.POSITIVE_INFINITY;
    this.maxValue = 0;
  }
}

/** Bucket 0 holds everything below 1 µs; bucket i ≥ 1 holds [MIN·G^(i-1), MIN·G^i). */
function bucketOf(ms: number): number {
  if (ms < MIN_MS) return 0;
  return Math.min(BUCKETS - 1, 1 + Math.floor(Math.log(ms / MIN_MS) / LOG_GROWTH));
}

function middleOf(bucket: number): number {
  if (bucket === 0) return 0;
  return MIN_MS * Math.pow(GROWTH, bucket - 0.5);
}
