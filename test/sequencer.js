// Order of test files, so that a file that depends on another having run first (or not run) shows
// up: MERIDIAN_TEST_ORDER=
//   (unset)          Jest's default: last run's failures first, then the slowest
//   path             by path
//   reverse          by path, backwards
//   random           shuffled with a fresh seed (printed, to repeat the run)
//   random:<seed>    shuffled with that seed (a number or any word); same files, same order
// e.g. MERIDIAN_TEST_ORDER=random:42 npm test. Plain JavaScript: Jest loads the sequencer without
// its transform.
const { randomInt } = require('node:crypto');
const { relative } = require('node:path');
const DefaultSequencer = require('@jest/test-sequencer').default;

/** mulberry32: a small deterministic PRNG; the same seed gives the same shuffle on any machine. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A number seed is used as is; any other word is hashed (FNV-1a) into one. */
function seedOf(text) {
  if (/^\d+$/.test(text)) return Number(text) >>> 0;
  let h = 0x811c9dc5;
  for (const ch of text) h = Math.imul(h ^ ch.codePointAt(0), 0x01000193) >>> 0;
  return h;
}

/** Parses MERIDIAN_TEST_ORDER; throws on a value it does not know, rather than silently ignoring it. */
function parseOrder(value) {
  const v = (value ?? '').trim();
  if (v === '' || v === 'default') return { mode: 'default' };
  if (v === 'path' || v === 'reverse') return { mode: v };
  const random = /^random(?::(.+))?$/.exec(v);
  if (random) return { mode: 'random', seed: random[1] ?? String(randomInt(1, 2 ** 31)) };
  throw new Error(`MERIDIAN_TEST_ORDER=${v}: expected path, reverse, random or random:<seed>`);
}

/** Fisher–Yates over the path order, so the result depends only on the seed and the set of files. */
function shuffle(items, seed) {
  const next = prng(seedOf(seed));
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

class OrderSequencer extends DefaultSequencer {
  sort(tests) {
    const order = parseOrder(process.env.MERIDIAN_TEST_ORDER);
    if (order.mode === 'default') return super.sort(tests);
    const byPath = [...tests].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    let sorted = byPath;
    if (order.mode === 'reverse') sorted = byPath.reverse();
    if (order.mode === 'random') sorted = shuffle(byPath, order.seed);
    const how = order.mode === 'random' ? `random:${order.seed}` : order.mode;
    const root = tests[0]?.context.config.rootDir ?? process.cwd();
    process.stderr.write(`[test order] MERIDIAN_TEST_ORDER=${how}: ${sorted.length} files\n`);
    for (const [i, t] of sorted.entries()) process.stderr.write(`[test order]   ${i + 1}. ${relative(root, t.path)}\n`);
    return sorted;
  }
}

module.exports = OrderSequencer;
module.exports.parseOrder = parseOrder;
module.exports.shuffle = shuffle;
