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
  return [latest, history, svg];
}

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * One row per benchmark: the Meridian code path (blue; labelled `valueName`, `store` by default)
 * and its baseline (grey), each bar scaled to the larger of the pair. Throughput rows: longer is better;
 * latency rows: shorter is better.
 */
export function renderSvg(report: RunReport): string {
  const width = 1100;
  const labelW = 340;
  const barMax = 420;
  const rowH = 78;
  const top = 70;
  const height = top + report.results.length * rowH + 40;
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
  report.results.forEach((r, i) => {
    const y = top + i * rowH;
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
  });
  parts.push(
    `<text x="16" y="${height - 14}" fill="#777">Bars are scaled to the larger value of each pair. ` +
      'Blue: Meridian code path; grey: baseline measured in the same process.</text>',
    '</svg>',
    '',
  );
  return parts.join('\n');
}
