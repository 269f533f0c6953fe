/**
 * The OGC test-suite runner (tools/ogc/ets.ts) with a stand-in for `java`: it reports the run it
 * started, never an earlier one's results, and a crashed run is an error.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { runEts } from '../tools/ogc/ets';

const work = join(resolve(__dirname, '..'), '.local', 'tmp', `ogc-ets-${randomBytes(4).toString('hex')}`);
const outDir = join(work, 'out');

const results = (passed: number, failed: number) =>
  `<?xml version="1.0" encoding="UTF-8"?>
<testng-results ignored="0" total="${passed + failed}" passed="${passed}" failed="${failed}" skipped="0">
  <suite name="ogcapi-features-1.0-1.9"><test name="t"><class name="org.opengis.cite.Core">
    ${Array.from({ length: passed }, (_, i) => `<test-method status="PASS" name="ok${i}"/>`).join('\n    ')}
    ${Array.from(
      { length: failed },
      (_, i) => `<test-method status="FAIL" name="bad${i}"><exception><message><![CDATA[no &lt;links&gt;
at line 2]]></message></exception></test-method>`,
    ).join('\n    ')}
  </class></test></suite>
</testng-results>
`;

/** A `java` that is called as the suite is (`-jar <jar> -o <dir> -h false <props>`). */
function fakeJava(name: string, script: string): string {
  const path = join(work, name);
  writeFileSync(path, `#!/bin/sh\nout="$4"\n${script}\n`);
  chmodSync(path, 0o755);
  return path;
}

const writesResults = (xml: string, exit = 0) =>
  `mkdir -p "$out/testng/0b6f"\ncat > "$out/testng/0b6f/testng-results.xml" <<'XML'\n${xml}XML\nexit ${exit}`;

beforeAll(() => void mkdirSync(work, { recursive: true }));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('runEts', () => {
  const options = { jar: 'ets.jar', iut: 'http://127.0.0.1:1/ogc/', outDir };

  it("reads this run's testng-results.xml from a fresh folder, with each test's status and message", async () => {
    const result = await runEts({ ...options, java: fakeJava('pass.sh', writesResults(results(3, 1))) });
    expect([result.total, result.passed, result.failed, result.skipped]).toEqual([4, 3, 1, 0]);
    expect(relative(outDir, result.runDir)).toMatch(/^run-[^/]+$/);
    expect(result.resultsFile.startsWith(result.runDir)).toBe(true);
    expect(result.tests.filter((t) => t.status === 'FAIL')).toEqual([
      { name: 'bad0', className: 'org.opengis.cite.Core', status: 'FAIL', message: 'no <links>' },
    ]);
    const again = await runEts({ ...options, java: fakeJava('pass2.sh', writesResults(results(5, 0))) });
    expect(again.runDir).not.toBe(result.runDir);
    expect([again.passed, again.failed]).toEqual([5, 0]);
  });

  it('fails a crashed run instead of reporting the previous run left in the same output folder', async () => {
    await runEts({ ...options, java: fakeJava('ok.sh', writesResults(results(260, 0))) });
    const crash = fakeJava('crash.sh', 'echo "Exception in thread main" >&2\nexit 1');
    await expect(runEts({ ...options, java: crash })).rejects.toThrow(/exited with 1/);
  });

  it('fails a run that exits non-zero even when it wrote results', async () => {
    const java = fakeJava('late-crash.sh', writesResults(results(2, 0), 3));
    await expect(runEts({ ...options, java })).rejects.toThrow(/exited with 3/);
  });

  it('fails a run that exits 0 without results of its own', async () => {
    await expect(runEts({ ...options, java: fakeJava('silent.sh', 'exit 0') })).rejects.toThrow(
      /wrote 0 testng-results\.xml/,
    );
  });
});
