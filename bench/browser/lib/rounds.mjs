// Runs of every case in turn, so the load of a shared machine weighs on all
// of them alike: one warm-up each, then `runs` rounds, the order rotated
// every round. Ratios are taken within a round (case A's time over case B's
// in the same round), and their median reported beside the medians.
import { median } from './machine.mjs';

/**
 * `cases`: `[{ name, run: async () => ({ ms, ...extra }) }]`. Resolves with
 * `{ [name]: { ms: [...], extra: [...] } }`, one entry per round.
 */
export async function rounds(cases, runs, { warmup = true, log = () => {} } = {}) {
  const out = Object.fromEntries(cases.map((c) => [c.name, { ms: [], extra: [] }]));
  if (warmup) {
    for (const c of cases) {
      const r = await c.run();
      log(`  warm-up ${c.name}: ${r.ms.toFixed(0)} ms`);
    }
  }
  for (let round = 0; round < runs; round++) {
    const order = cases.map((_, i) => cases[(i + round) % cases.length]);
    for (const c of order) {
      const { ms, ...extra } = await c.run();
      out[c.name].ms.push(ms);
      out[c.name].extra.push(extra);
      log(`  round ${round + 1}/${runs} ${c.name}: ${ms.toFixed(0)} ms`);
    }
  }
  return out;
}

/** Median MB/s (10^6 bytes per second) of `bytes` done in each of `ms`. */
export function mbps(bytes, msList) {
  return median(msList.map((ms) => bytes / 1e6 / (ms / 1000)));
}

/** Median over rounds of (time of `b`) / (time of `a`): how many times
 * faster `a` is than `b`, paired within rounds. */
export function pairedRatio(a, b) {
  const n = Math.min(a.ms.length, b.ms.length);
  return median(Array.from({ length: n }, (_, i) => b.ms[i] / a.ms[i]));
}
