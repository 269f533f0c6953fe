/**
 * The last line of `npm test`: adds up every runner's results and prints `N passed, N failed`;
 * exits 1 when anything failed. `node -r @swc-node/register tools/test-summary.ts <dir>`.
 *
 * The directory (.local/test-results) holds, per runner or step NAME:
 *   NAME.json  Jest's `--json` report, Playwright's JSON reporter output, or
 *              `{ "passed": n, "failed": n, "failures"?: ["…"] }` from any other tool
 *   NAME.xml   JUnit XML (Java tools, or any runner's JUnit reporter)
 *   NAME.exit  the exit code of the runner or step
 * A runner or step that exits non-zero without reporting a failure counts as one failure (a crash,
 * lint or type errors), and so does a Jest suite that failed outside its tests (an import error, a
 * throwing hook, a file without tests): nothing that failed vanishes from the count.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

export interface RunnerResult {
  readonly name: string;
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  /** Why something counted as failed beyond the runner's own failed tests. */
  readonly notes: readonly string[];
}

export interface Summary {
  readonly runners: readonly RunnerResult[];
  readonly passed: number;
  readonly failed: number;
}

type Counts = Omit<RunnerResult, 'name'>;

interface JestSuite {
  readonly name: string;
  readonly status: string;
  readonly message: string;
  readonly assertionResults: readonly { readonly status: string }[];
}

interface JestReport {
  readonly numPassedTests: number;
  readonly numFailedTests: number;
  readonly numPendingTests: number;
  readonly numTodoTests: number;
  readonly testResults: readonly JestSuite[];
}

interface PlaywrightReport {
  readonly stats: {
    readonly expected: number;
    readonly unexpected: number;
    readonly flaky?: number;
    readonly skipped?: number;
  };
  readonly errors?: readonly { readonly message?: string }[];
}

interface GenericReport {
  readonly passed: number;
  readonly failed: number;
  readonly failures?: readonly string[];
}

const ROOT = resolve(__dirname, '..');
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const ansiColour = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
const plain = (text: string): string => text.replace(ansiColour, '');

/** The first line of a failure message that says something (Jest starts with "● Test suite failed to run"). */
const firstLine = (message: string): string =>
  plain(message)
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l.length > 0 && !l.startsWith('●')) ?? 'no message';

const isJest = (r: unknown): r is JestReport =>
  isRecord(r) && isCount(r['numPassedTests']) && isCount(r['numFailedTests']) && Array.isArray(r['testResults']);

const isPlaywright = (r: unknown): r is PlaywrightReport =>
  isRecord(r) && isRecord(r['stats']) && isCount(r['stats']['expected']) && isCount(r['stats']['unexpected']);

const isGeneric = (r: unknown): r is GenericReport => isRecord(r) && isCount(r['passed']) && isCount(r['failed']);

export function countJest(report: JestReport): Counts {
  // A suite that failed while none of its tests did failed outside them; Jest's own count omits it.
  const outside = report.testResults.filter(
    (s) => s.status === 'failed' && !s.assertionResults.some((a) => a.status === 'failed'),
  );
  return {
    passed: report.numPassedTests,
    failed: report.numFailedTests + outside.length,
    skipped: report.numPendingTests + report.numTodoTests,
    notes: outside.map((s) => `suite failed outside its tests: ${relative(ROOT, s.name)}: ${firstLine(s.message)}`),
  };
}

export function countPlaywright(report: PlaywrightReport): Counts {
  const errors = report.errors ?? [];
  return {
    passed: report.stats.expected + (report.stats.flaky ?? 0),
    failed: report.stats.unexpected + errors.length,
    skipped: report.stats.skipped ?? 0,
    notes: errors.map((e) => `error outside tests: ${firstLine(e.message ?? '')}`),
  };
}

/** JUnit XML: one <testcase> per test; failed when it holds a <failure> or an <error>. */
export function countJUnit(xml: string): Counts {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const m of xml.matchAll(/<testcase\b[^>]*?(?:\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const body = m[1] ?? '';
    if (/<(failure|error)\b/.test(body)) failed++;
    else if (/<skipped\b/.test(body)) skipped++;
    else passed++;
  }
  return { passed, failed, skipped, notes: [] };
}

export function countJson(report: unknown): Counts {
  if (isJest(report)) return countJest(report);
  if (isPlaywright(report)) return countPlaywright(report);
  if (isGeneric(report)) {
    return { passed: report.passed, failed: report.failed, skipped: 0, notes: [...(report.failures ?? [])] };
  }
  return { passed: 0, failed: 1, skipped: 0, notes: ['unrecognised result file'] };
}

function readCounts(dir: string, name: string): Counts | undefined {
  const json = join(dir, `${name}.json`);
  const xml = join(dir, `${name}.xml`);
  try {
    if (existsSync(json)) return countJson(JSON.parse(readFileSync(json, 'utf8')) as unknown);
    if (existsSync(xml)) return countJUnit(readFileSync(xml, 'utf8'));
  } catch (err) {
    return { passed: 0, failed: 1, skipped: 0, notes: [`unreadable result file: ${(err as Error).message}`] };
  }
  return undefined;
}

/** Adds up what `dir` holds; see the file comment for its layout. */
export function summarise(dir: string): Summary {
  const stems = readdirSync(dir).map((f) => /^(.+)\.(json|xml|exit)$/.exec(f)?.[1]);
  const names = [...new Set(stems.filter((n) => n !== undefined))];
  const runners = names.sort().map((name): RunnerResult => {
    const counts = readCounts(dir, name);
    const exitFile = join(dir, `${name}.exit`);
    const exit = existsSync(exitFile) ? Number(readFileSync(exitFile, 'utf8').trim()) : 0;
    const base: Counts = counts ?? { passed: 0, failed: 0, skipped: 0, notes: [] };
    if (exit !== 0 && base.failed === 0) {
      const how = counts ? ' but reported no failure' : '';
      return { name, ...base, failed: 1, notes: [...base.notes, `exited with code ${exit}${how}`] };
    }
    return { name, ...base };
  });
  return {
    runners,
    passed: runners.reduce((n, r) => n + r.passed, 0),
    failed: runners.reduce((n, r) => n + r.failed, 0),
  };
}

function main(): void {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: test-summary <results dir>\n');
    process.exit(2);
  }
  let summary: Summary;
  try {
    summary = summarise(dir);
  } catch (err) {
    process.stderr.write(`[summary] cannot read ${dir}: ${(err as Error).message}\n`);
    summary = { runners: [], passed: 0, failed: 1 };
  }
  for (const r of summary.runners) {
    const skipped = r.skipped ? `, ${r.skipped} skipped` : '';
    const counts = r.passed + r.failed + r.skipped > 0 ? `${r.passed} passed, ${r.failed} failed${skipped}` : 'ok';
    process.stderr.write(`[summary] ${r.name}: ${counts}\n`);
    for (const note of r.notes) process.stderr.write(`[summary]   ${note}\n`);
  }
  process.stdout.write(`${summary.passed} passed, ${summary.failed} failed\n`);
  process.exitCode = summary.failed > 0 ? 1 : 0;
}

if (require.main === module) main();
