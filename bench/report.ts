/**
 * Writes a run's results: `results/latest.json` (full), one line appended to
 * `results/history.jsonl` (compact, for trends) and `results/latest.svg` (bar pairs).
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { type BenchResult, fmt } from './harness';

export interface Machine {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly totalMemMb: number;
  readonly platform: string;
  readonly release: string;
  readonly node: string;
  readonly postgres: string;
  readonly kafkaBrokers: readonly string[];
  /** 1-minute load average when the run started and ended: other work on the machine skews results. */
  readonly loadAverage: { readonly start: number; readonly end: number };
}

export interface RunReport {
  readonly runId: string;
  readonly timestamp: string;
  readonly durationMs: number;
  readonly commit: string | null;
  readonly scale: number;
  readonly machine: Machine;
  readonly results: readonly BenchResult[];
}

export const loadAverage1m = (): number => Math.round(loadavg()[0] * 100) / 100;

export function machine(postgres: string, kafkaBrokers: readonly string[], loadAtStart: number): Machine {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model ?? 'unknown',
    totalMemMb: Math.round(totalmem() / 2 ** 20),
    platform: platform(),
    release: release(),
    node: process.version,
    postgres,
    kafkaBrokers,
    loadAverage: { start: loadAtStart, end: loadAverage1m() },
  };
}

/** The checked-out commit (read-only `git rev-parse`); null outside a git checkout. */
export function currentCommit(cwd: string): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return null;
  }
}

/** Result groups that also get a chart of their own (`results/<group>.svg`, shown in bench/README.md). */
const OWN_CHARTS = ['commands'] as const;

export function writeReport(dir: string, report: RunReport): string[] {
  mkdirSync(dir, { recursive: true });
  const latest = join(dir, 'latest.json');
  const history = join(dir, 'history.jsonl');
  const svg = join(dir, 'latest.svg');
  const results = report.results.map((r) => ({
    ...r,
    timestamp: report.timestamp,
    machine: { cpus: report.machine.cpus, node: report.machine.node },
  }));
  writeFileSync(latest, `${JSON.stringify({ ...report, results }, null, 2)}\n`);
  const row = {
    runId: report.runId,
    timestamp: report.timestamp,
    commit: report.commit,
    scale: report.scale,
    machine: {
      cpus: report.machine.cpus,
      node: report.machine.node,
      postgres: report.machine.postgres,
      loadAverage: report.machine.loadAverage,
    },
    results: report.results.map(({ name, value, unit, baseline, ratio, better }) => ({
      name,
      value,
      unit,
      baseline,
      ratio,
      better,
    })),
  };
  appendFileSync(history, `${JSON.stringify(row)}\n`);
  writeFileSync(svg, renderSvg(report));
  const written = [latest, history, svg];
  // Charts the README shows stay put when a later run measures something else: the last run of the
  // group writes `<group>.svg` with only its results.
  for (const group of OWN_CHARTS) {
    const own = report.results.filter((r) => r.name.startsWith(`${group}-`));
    if (own.length === 0) continue;
    const file = join(dir, `${group}.svg`);
    writeFileSync(file, renderSvg({ ...report, results: own }));
    written.push(file);
  }
  return written;
}

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Latency percentiles of one side of an open-loop run, for the chart's percentile panel. */
interface PercentileSet {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/** `details.percentiles` of a result (the `commands` open loop): drawn as a panel below the rows. */
interface PercentilePanel {
  readonly title: string;
  readonly valueName: string;
  readonly baselineName: string;
  readonly targetMs?: number;
  readonly targetLabel?: string;
  readonly value: PercentileSet;
  readonly baseline: PercentileSet;
}

const PERCENTILE_KEYS = ['p50', 'p95', 'p99', 'max'] as const;

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;

const isPercentileSet = (x: unknown): x is PercentileSet =>
  isRecord(x) && PERCENTILE_KEYS.every((k) => typeof x[k] === 'number');

function percentilePanel(r: BenchResult): PercentilePanel | null {
  const p = r.details?.['percentiles'];
  if (!isRecord(p) || !isPercentileSet(p['value']) || !isPercentileSet(p['baseline'])) return null;
  if (typeof p['title'] !== 'string' || typeof p['valueName'] !== 'string' || typeof p['baselineName'] !== 'string') {
    return null;
  }
  return p as unknown as PercentilePanel;
}

/** `details.chartNote`: one line of context printed under a row (latencies, non-success answers). */
function chartNote(r: BenchResult): string | null {
  const note = r.details?.['chartNote'];
  return typeof note === 'string' ? note : null;
}

const PANEL_ROW_H = 52;
/** Panel title, then the target's label, then the plot. */
const PANEL_PLOT_TOP = 50;
const panelHeight = (): number => PANEL_PLOT_TOP + 10 + PERCENTILE_KEYS.length * PANEL_ROW_H + 30;

/** Bars of p50/p95/p99/max for both sides on one log-scaled axis, with the target as a dashed line. */
function renderPanel(panel: PercentilePanel, top: number, labelW: number, barMax: number): string[] {
  const values = [...PERCENTILE_KEYS.flatMap((k) => [panel.value[k], panel.baseline[k]]), panel.targetMs ?? NaN].filter(
    (v) => Number.isFinite(v) && v > 0,
  );
  const lo = 10 ** Math.floor(Math.log10(Math.min(...values, 1)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...values, 10)));
  const span = Math.log10(hi) - Math.log10(lo);
  const x = (v: number): number =>
    labelW + (Number.isFinite(v) && v > 0 ? ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / span) * barMax : 0);
  const plotTop = top + PANEL_PLOT_TOP;
  const bottom = plotTop + 4 + PERCENTILE_KEYS.length * PANEL_ROW_H;
  const parts: string[] = [`<text x="16" y="${top + 20}" font-weight="bold">${esc(panel.title)}</text>`];
  for (let d = lo; d <= hi * 1.0001; d *= 10) {
    parts.push(
      `<line x1="${x(d).toFixed(1)}" y1="${plotTop}" x2="${x(d).toFixed(1)}" y2="${bottom}" stroke="#e2e8f0"/>`,
      `<text x="${x(d).toFixed(1)}" y="${bottom + 16}" fill="#777" text-anchor="middle">${esc(fmt(d))}</text>`,
    );
  }
  PERCENTILE_KEYS.forEach((k, i) => {
    const y = plotTop + 10 + i * PANEL_ROW_H;
    const [v, b] = [panel.value[k], panel.baseline[k]];
    parts.push(
      `<text x="16" y="${y + 28}" font-weight="bold">${k}</text>`,
      `<rect x="${labelW}" y="${y}" width="${Math.max(1, x(v) - labelW).toFixed(1)}" height="20" fill="#2b6cb0"/>`,
      `<text x="${(Math.max(x(v), labelW + 1) + 6).toFixed(1)}" y="${y + 15}">` +
        `${esc(panel.valueName)} ${esc(fmt(v))} ms</text>`,
      `<rect x="${labelW}" y="${y + 24}" width="${Math.max(1, x(b) - labelW).toFixed(1)}" height="20" fill="#a0aec0"/>`,
      `<text x="${(Math.max(x(b), labelW + 1) + 6).toFixed(1)}" y="${y + 39}">` +
        `${esc(panel.baselineName)} ${esc(fmt(b))} ms</text>`,
    );
  });
  if (panel.targetMs !== undefined && panel.targetMs > 0) {
    const tx = x(panel.targetMs).toFixed(1);
    parts.push(
      `<line x1="${tx}" y1="${plotTop}" x2="${tx}" y2="${bottom}" stroke="#c53030" stroke-dasharray="5,4"/>`,
      `<text x="${tx}" y="${plotTop - 6}" fill="#c53030" text-anchor="middle" font-size="12">` +
        `${esc(panel.targetLabel ?? `target ${fmt(panel.targetMs)} ms`)}</text>`,
    );
  }
  return parts;
}

/**
 * One row per benchmark: the Meridian code path (blue; labelled `valueName`, `store` by default)
 * and its baseline (grey), each bar scaled to the larger of the pair. Throughput rows: longer is better;
 * latency rows: shorter is better. A row whose details carry a `chartNote` gets that line beneath it;
 * results with `details.percentiles` (the commands open loop) add a percentile panel at the bottom.
 */
export function renderSvg(report: RunReport): string {
  const width = 1100;
  const labelW = 340;
  const barMax = 420;
  const rowH = 78;
  const noteH = 20;
  const top = 70;
  const rowHeights = report.results.map((r) => rowH + (chartNote(r) ? noteH : 0));
  const panels = report.results.map(percentilePanel).filter((p): p is PercentilePanel => p !== null);
  const rowsEnd = top + rowHeights.reduce((a, b) => a + b, 0);
  const height = rowsEnd + panels.length * panelHeight() + 40;
  const m = report.machine;
  const subtitle =
    `${report.timestamp} · commit ${report.commit ?? 'n/a'} · ${m.cpus} CPUs · node ${m.node} · ` +
    `PostgreSQL ${m.postgres} · load avg ${m.loadAverage.start}→${m.loadAverage.end}` +
    (report.scale !== 1 ? ` · scale ${report.scale}` : '');
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
      `viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="13">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="16" y="28" font-size="18" font-weight="bold">Meridian benchmarks — store vs baseline (same run)</text>`,
    `<text x="16" y="50" fill="#555">${esc(subtitle)}</text>`,
  ];
  let y = top;
  report.results.forEach((r, i) => {
    const max = Math.max(r.value, r.baseline) || 1;
    const storeW = Math.max(1, (r.value / max) * barMax);
    const baseW = Math.max(1, (r.baseline / max) * barMax);
    const direction = r.better === 'higher' ? 'higher is better' : 'lower is better';
    parts.push(
      `<text x="16" y="${y + 20}" font-weight="bold">${esc(r.title)}</text>`,
      `<text x="16" y="${y + 40}" fill="#555">ratio ${esc(fmt(r.ratio))} (${direction})</text>`,
      `<rect x="${labelW}" y="${y + 6}" width="${storeW.toFixed(1)}" height="22" fill="#2b6cb0"/>`,
      `<text x="${(labelW + storeW + 6).toFixed(1)}" y="${y + 22}">` +
        `${esc(r.valueName ?? 'store')} ${esc(fmt(r.value))} ${esc(r.unit)}</text>`,
      `<rect x="${labelW}" y="${y + 32}" width="${baseW.toFixed(1)}" height="22" fill="#a0aec0"/>`,
      `<text x="${(labelW + baseW + 6).toFixed(1)}" y="${y + 48}">` +
        `${esc(r.baselineName)} ${esc(fmt(r.baseline))} ${esc(r.unit)}</text>`,
    );
    const note = chartNote(r);
    if (note) parts.push(`<text x="16" y="${y + 72}" fill="#555" font-size="12">${esc(note)}</text>`);
    y += rowHeights[i];
  });
  panels.forEach((panel, i) => parts.push(...renderPanel(panel, rowsEnd + i * panelHeight(), labelW, barMax)));
  parts.push(
    `<text x="16" y="${height - 14}" fill="#777">Bars are scaled to the larger value of each pair. ` +
      'Blue: Meridian code path; grey: baseline measured in the same process. Percentile panels: log scale.</text>',
    '</svg>',
    '',
  );
  return parts.join('\n');
}
