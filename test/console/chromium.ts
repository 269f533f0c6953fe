/**
 * Which Chromium the browser tests drive, and how: Debian's `chromium` package (infra/scripts/chromium.sh
 * ensure), not Playwright's own download. Pure (node built-ins only): the Playwright config reads it.
 */
import { accessSync, constants } from 'node:fs';

/**
 * The real binaries behind the distributions' launchers, then the launchers themselves (Debian's
 * /usr/bin/chromium is a shell script that sources /etc/chromium.d and adds flags of its own).
 */
const CANDIDATES = [
  '/usr/lib/chromium/chromium',
  '/usr/lib/chromium-browser/chromium-browser',
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
];

const isExecutable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** MERIDIAN_CHROMIUM when set (as given, even if missing: the launch error names it), else the first binary found. */
export function chromiumExecutable(): string | undefined {
  const given = process.env.MERIDIAN_CHROMIUM;
  if (given) return given;
  return CANDIDATES.find(isExecutable);
}

/**
 * MapLibre draws with WebGL 2. Headless Chromium without a GPU has it only through SwiftShader (a
 * CPU implementation behind ANGLE/Vulkan), which Chromium no longer falls back to unless told:
 * `--enable-unsafe-swiftshader` (Playwright adds it too today; explicit here so an upgrade cannot
 * drop it), and the GPU blocklist must not veto it. Verified with Debian Chromium 156 headless: a
 * webgl2 context on "ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero)))", and a MapLibre
 * map that renders its layers. `--use-angle=swiftshader` chooses the same renderer but starts slower.
 */
export const WEBGL_ARGS: readonly string[] = ['--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'];
