/**
 * The machinery of `npm test` itself: the summary line counts every failure, including a file that
 * crashes before any test runs, and the file order can be reversed or shuffled reproducibly.
 * A small Jest project is written under .local/ (so its files resolve this repository's
 * node_modules) and run for real.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { summarise } from '../tools/test-summary';

const root = resolve(__dirname, '..');
const work = join(root, '.local', 'tmp', `test-tooling-${randomBytes(4).toString('hex')}`);
const project = join(work, 'project');
const jestBin = join(root, 'node_modules', 'jest', 'bin', 'jest.js');

const run = (args: readonly string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, args, {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, MERIDIAN_TEST_ORDER: '', ...env },
  });

const write = (path: string, text: string): void => {
  mkdirSync(resolve(path, '..'), { recursive: true });
  writeFileSync(path, text);
};

const config = join(project, 'jest.config.js');
const listTests = (order: string) => run([jestBin, '--config', config, '--listTests'], { MERIDIAN_TEST_ORDER: order });

const summaryCli = (dir: string) => run(['-r', '@swc-node/register', join(root, 'tools', 'test-summary.ts'), dir]);

const files = ['a-passes.spec.ts', 'b-fails.spec.ts', 'c-crashes.spec.ts', 'd-empty.spec.ts', 'e-passes.spec.ts'];

beforeAll(() => {
  write(
    config,
    `module.exports = ${JSON.stringify({
      rootDir: project,
      testEnvironment: 'node',
      transform: { '^.+\\.ts$': [require.resolve('@swc/jest'), {}] },
      testMatch: ['<rootDir>/*.spec.ts'],
      testSequencer: join(root, 'test', 'sequencer.js'),
    })};\n`,
  );
  const ok = `import { expect, it } from '@jest/globals';\nit('passes', () => expect(1).toBe(1));\n`;
  write(join(project, files[0]), ok);
  write(join(project, files[1]), `${ok}it('fails', () => expect(1).toBe(2));\n`);
  write(join(project, files[2]), `import './no-such-module';\n${ok}`);
  write(join(project, files[3]), 'export const nothing = 0;\n');
  write(join(project, files[4]), ok);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the summary line', () => {
  it('counts failed tests and every file that failed outside its tests, and fails the run', () => {
    const results = join(work, 'jest-results');
    mkdirSync(results, { recursive: true });
    const jestRun = run([jestBin, '--config', config, '--json', `--outputFile=${results}/jest.json`]);
    writeFileSync(join(results, 'jest.exit'), String(jestRun.status));

    // Three passing tests; one failing test, one file that cannot import, one file without tests.
    const summary = summaryCli(results);
    expect(summary.stdout.trim().split('\n').at(-1)).toBe('3 passed, 3 failed');
    expect(summary.status).toBe(1);
    expect(summary.stderr).toContain('c-crashes.spec.ts');
    expect(summary.stderr).toContain('d-empty.spec.ts');
  }, 60_000);

  it('adds up several runners and counts a step that failed without results as one failure', () => {
    const results = join(work, 'mixed-results');
    const playwright = { stats: { expected: 4, unexpected: 1, flaky: 1, skipped: 0 } };
    write(join(results, 'browser.json'), JSON.stringify(playwright));
    const junit = '<testcase name="a"/><testcase name="b"><failure/></testcase><testcase name="c"></testcase>';
    write(join(results, 'ogc.xml'), `<testsuite>${junit}</testsuite>`);
    write(join(results, 'tool.json'), JSON.stringify({ passed: 7, failed: 0 }));
    write(join(results, 'tool.exit'), '0');
    write(join(results, 'lint.exit'), '0');
    write(join(results, 'tsc.exit'), '2');

    const summary = summarise(results);
    expect(summary.runners.map((r) => [r.name, r.passed, r.failed])).toEqual([
      ['browser', 5, 1],
      ['lint', 0, 0],
      ['ogc', 2, 1],
      ['tool', 7, 0],
      ['tsc', 0, 1],
    ]);
    expect([summary.passed, summary.failed]).toEqual([14, 3]);
  });

  it('passes the run only when nothing failed', () => {
    const results = join(work, 'green-results');
    write(join(results, 'tool.json'), JSON.stringify({ passed: 2, failed: 0 }));
    write(join(results, 'tool.exit'), '0');
    const summary = summaryCli(results);
    expect([summary.stdout.trim(), summary.status]).toEqual(['2 passed, 0 failed', 0]);
  }, 30_000);
});

describe('the file order', () => {
  const listed = (order: string): string[] => {
    const res = listTests(order);
    expect(res.status).toBe(0);
    return res.stdout
      .trim()
      .split('\n')
      .map((p) => p.slice(project.length + 1));
  };

  it('runs files by path, backwards, or shuffled by a seed that reproduces the order', () => {
    expect(listed('path')).toEqual(files);
    expect(listed('reverse')).toEqual([...files].reverse());
    const shuffled = listed('random:7');
    expect(listed('random:7')).toEqual(shuffled);
    expect([...shuffled].sort()).toEqual(files);
    // Seed 7 happens to move files (a seed is deterministic): the order really changes.
    expect(shuffled).not.toEqual(files);
  }, 60_000);

  it('refuses an order it does not know instead of silently running the default', () => {
    const res = listTests('sideways');
    expect(res.status).not.toBe(0);
    expect(res.stderr).toContain('MERIDIAN_TEST_ORDER=sideways');
  }, 30_000);
});
