/**
 * `npm run build:server`: compiles the five services, their libraries and the operator tools to
 * CommonJS in dist/server (same paths as the sources), so production starts them with plain
 * `node` — no TypeScript loader at run time (ADR 0027). SWC, the compiler the loader and Jest
 * already use: the same decorator metadata Nest's dependency injection reads, and `@meridian/*`
 * imports rewritten to relative paths from tsconfig.base.json. Types are checked by
 * `npm run typecheck`, not here. Source maps sit beside each file (`node --enable-source-maps`).
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { type Options, transformFile } from '@swc/core';

const ROOT = resolve(__dirname, '..');
const SERVICES = ['gateway', 'identity', 'workflow', 'projection', 'geo-query'];
/** What production runs: the services, every library and the image's roles; never tests or the browser console. */
const SOURCE_DIRS = [...SERVICES.map((s) => join('apps', s, 'src')), 'libs'];
/** The tools the image's roles run (tools/meridian.ts) and what they import; the rest are for developers. */
const TOOLS = ['meridian', 'env', 'tool-bus', 'migrate', 'create-topics', 'dlq', 'projections'].map((t) =>
  join('tools', `${t}.ts`),
);
const EXCLUDED = /(\.spec|\.pw|\.e2e|\.fixture|\.conformance|\.test-bed)\.ts$|\.d\.ts$/;
/** Test support (libs/shared/testing, libs/<x>/src/testing): never imported by what production runs. */
const TEST_SUPPORT = /(^|\/)testing(\/|$)/;
const PARALLEL = 16;

interface TsConfig {
  readonly compilerOptions: { readonly paths: Record<string, string[]> };
}

async function sourcesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(join(ROOT, dir), { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !EXCLUDED.test(e.name))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)))
    .filter((f) => !f.split('/').includes('node_modules') && !TEST_SUPPORT.test(f));
}

export async function buildServer(outDir: string, progress: (line: string) => void = () => undefined): Promise<number> {
  const started = Date.now();
  const { compilerOptions } = (await import(join(ROOT, 'tsconfig.base.json'))) as TsConfig;
  const options: Options = {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      baseUrl: ROOT,
      paths: compilerOptions.paths,
    },
    module: { type: 'commonjs' },
    sourceMaps: true,
    swcrc: false,
  };
  // The output folder is emptied first: never the checkout, a folder holding it, or one inside it
  // other than dist/ and .local/ (`npm run build:server -- .` must not wipe the repository).
  const inside = relative(ROOT, outDir);
  const holdsCheckout = inside === '' || !relative(outDir, ROOT).startsWith('..');
  if (holdsCheckout || (!inside.startsWith('..') && !/^(dist|\.local)\//.test(`${inside}/`))) {
    throw new Error(`refusing to empty ${outDir}: use a folder under dist/ or .local/, or outside the checkout`);
  }
  await rm(outDir, { recursive: true, force: true });
  const files = [...(await Promise.all(SOURCE_DIRS.map(sourcesUnder))).flat(), ...TOOLS];
  let done = 0;
  const queue = [...files];
  const worker = async (): Promise<void> => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      const target = join(outDir, file.replace(/\.ts$/, '.js'));
      const out = await transformFile(join(ROOT, file), { ...options, filename: join(ROOT, file) });
      await mkdir(dirname(target), { recursive: true });
      const mapName = `${target.slice(dirname(target).length + 1)}.map`;
      await writeFile(target, `${out.code}\n//# sourceMappingURL=${mapName}\n`);
      if (out.map) await writeFile(`${target}.map`, out.map);
      if (++done % 200 === 0) progress(`[build] ${done}/${files.length} files`);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  progress(`[build] ${files.length} files → ${relative(ROOT, outDir) || outDir} in ${Date.now() - started} ms`);
  return files.length;
}

if (require.main === module) {
  const out = resolve(ROOT, process.argv[2] ?? join('dist', 'server'));
  buildServer(out, (line) => process.stdout.write(`${line}\n`)).catch((err: unknown) => {
    process.stderr.write(`[build] failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
