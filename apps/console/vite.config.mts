import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
/** `npm start`'s gateway: `vite` (the dev server) forwards the API to it. */
const gateway = process.env.MERIDIAN_GATEWAY_URL ?? 'http://127.0.0.1:8080';

// The console is a static single-page app: `npm run console:build` writes dist/console, which the
// gateway serves at /console/ (GATEWAY_CONSOLE_DIR). Nothing is loaded from another origin at run time.
export default defineConfig({
  root,
  base: '/console/',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../../dist/console', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
    // MapLibre alone is ~800 kB minified; it is one chunk of its own (see rolldownOptions).
    chunkSizeWarningLimit: 1200,
    rolldownOptions: {
      output: {
        codeSplitting: { groups: [{ name: 'maplibre', test: /node_modules[\\/]maplibre-gl/ }] },
      },
    },
  },
  // MapLibre starts its worker as a module (`new Worker(url, { type: 'module' })`).
  worker: { format: 'es' },
  server: {
    port: 5173,
    proxy: { '/v1': gateway, '/console/config.json': gateway },
  },
});
