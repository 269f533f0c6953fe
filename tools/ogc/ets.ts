/**
 * Runs the OGC API – Features Part 1 executable test suite (ets-ogcapi-features10, an all-in-one
 * TestNG jar) against an /ogc URL and reads its testng-results.xml. Each run writes into a fresh
 * folder under `outDir`, and a run that exits non-zero or leaves no results of its own is an error:
 * a crashed run never reports an earlier run's results.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface EtsTest {
  readonly name: string;
  readonly className: string;
  readonly status: 'PASS' | 'FAIL' | 'SKIP';
  readonly message?: string;
}

export interface EtsResult {
  readonly total: number;
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  readonly tests: readonly EtsTest[];
  readonly resultsFile: string;
  readonly durationMs: number;
}

export interface EtsRun extends EtsResult {
  /** This run's own folder under `outDir` (results, EARL, the properties file). */
  readonly runDir: string;
}

export interface EtsOptions {
  readonly jar: string;
  /** The /ogc landing page the suite tests, e.g. http://127.0.0.1:40123/ogc/ */
  readonly iut: string;
  /** Where run folders go: each run writes into a new `run-*` folder under it. */
  readonly outDir: string;
  readonly collections?: number;
  readonly java?: string;
  readonly log?: (line: string) => void;
}

/** Every file called `name` under `dir`. */
function filesNamed(dir: string, name: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name === name) found.push(p);
    }
  };
  walk(dir);
  return found;
}

const attr = (tag: string, name: string): string | undefined => new RegExp(`\\b${name}="([^"]*)"`).exec(tag)?.[1];

const unescapeXml = (s: string): string =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');

/** The counts on the root element and every test method (configuration methods left out). */
export function parseTestngResults(xml: string, resultsFile = ''): Omit<EtsResult, 'durationMs'> {
  const root = /<testng-results\b[^>]*>/.exec(xml)?.[0] ?? '';
  const count = (name: string) => Number(attr(root, name) ?? 'NaN');
  const tests: EtsTest[] = [];
  const classRe = /<class\b[^>]*name="([^"]+)"[^>]*>([\s\S]*?)<\/class>/g;
  for (let c = classRe.exec(xml); c; c = classRe.exec(xml)) {
    // A self-closing method first: the other form would read on to the next method's end tag.
    const methodRe = /<test-method\b([^>]*)\/>|<test-method\b([^>]*)>([\s\S]*?)<\/test-method>/g;
    for (let m = methodRe.exec(c[2]); m; m = methodRe.exec(c[2])) {
      const tag = m[1] ?? m[2] ?? '';
      if (attr(tag, 'is-config') === 'true') continue;
      const message = /<message>\s*<!\[CDATA\[([\s\S]*?)\]\]>/.exec(m[3] ?? '')?.[1];
      tests.push({
        name: attr(tag, 'name') ?? '?',
        className: c[1],
        status: (attr(tag, 'status') ?? 'SKIP') as EtsTest['status'],
        ...(message ? { message: unescapeXml(message).trim().split('\n')[0] } : {}),
      });
    }
  }
  return {
    total: count('total'),
    passed: count('passed'),
    failed: count('failed'),
    skipped: count('skipped'),
    tests,
    resultsFile,
  };
}

export async function runEts(options: EtsOptions): Promise<EtsRun> {
  mkdirSync(options.outDir, { recursive: true });
  const runDir = mkdtempSync(join(options.outDir, 'run-'));
  const props = join(runDir, 'test-run-props.xml');
  // No DOCTYPE: the suite's parser would try to download the DTD, and offline the run fails.
  writeFileSync(
    props,
    `<?xml version="1.0" encoding="UTF-8"?><properties version="1.0">` +
      `<entry key="iut">${options.iut}</entry><entry key="noofcollections">${options.collections ?? 3}</entry>` +
      `</properties>\n`,
  );
  const started = Date.now();
  const exitCode = await new Promise<number>((resolve, reject) => {
    const child = spawn(options.java ?? 'java', ['-jar', options.jar, '-o', runDir, '-h', 'false', props], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const forward = (d: Buffer) => options.log?.(d.toString());
    child.stdout.on('data', forward);
    child.stderr.on('data', forward);
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
  const durationMs = Date.now() - started;
  // The suite exits 0 when it ran, whatever its tests found; anything else is a crash.
  if (exitCode !== 0) {
    throw new Error(`the suite exited with ${exitCode} (was ${options.iut} reachable?); its output: ${runDir}`);
  }
  const files = filesNamed(runDir, 'testng-results.xml');
  if (files.length !== 1) {
    throw new Error(`the suite wrote ${files.length} testng-results.xml in ${runDir}, expected one`);
  }
  const [file] = files;
  // Belt and braces: the results were written by this run (mtime has at least 1 s resolution).
  if (statSync(file).mtimeMs < started - 1000) throw new Error(`${file} predates this run`);
  return { ...parseTestngResults(readFileSync(file, 'utf8'), file), durationMs, runDir };
}
