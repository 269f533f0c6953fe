import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';
import { resolve } from 'node:path';
import { compilerOptions } from './tsconfig.base.json';

// Path aliases come from tsconfig.base.json so tests resolve libs exactly as the services do.
const alias = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([name, [target]]) => [name, resolve(__dirname, target)]),
);

// SWC (not esbuild) compiles the tests: NestJS dependency injection needs decorator metadata.
export default defineConfig({
  plugins: [swc.vite({ module: { type: 'es6' } })],
  resolve: { alias },
  test: {
    globals: false,
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Integration tests share one broker and database; files run one after another.
    fileParallelism: false,
    globalSetup: ['test/global-setup.ts'],
    include: ['libs/**/*.spec.ts', 'apps/**/*.spec.ts', 'test/**/*.spec.ts'],
    reporters: ['default'],
  },
});
