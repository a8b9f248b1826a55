#!/usr/bin/env node
// Issue 8, item 3: peak renderer memory while our uploader sends a large
// sparse file from disk through the file input (1 GiB, then 4 GiB), on the
// embedded store of a release presign-server --dev, at the upload defaults
// (8 MiB parts, 4 in flight, checksums on). The renderer's RSS (VmRSS and
// RssAnon, summed over the browser's renderer processes: the page and its
// hash workers live there; every renderer of the browser is counted) is
// read from /proc every 50 ms; so is the network
// service's, which reads the file's bytes for the PUTs. "Idle" is the page
// after a 32 MiB warm-up upload (workers started), settled. Goal: flat in
// file size and a peak <= (concurrency + 1) x partSize + 32 MiB above idle.
//
//   node bench/browser/memory.mjs [--sizes 1024,4096] [--no-build]
//
// The store keeps each object until the next run clears it: 4 GiB needs
// about 8 GiB free in the temp folder (parts, then the object). Writes
// bench/results/browser-memory.json. Not a test.
import { readFileSync, readdirSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium } from '../../tests/e2e/browser.mjs';
import { arg, flag } from './lib/args.mjs';
import { makeFile, MIB, workDir } from './lib/files.mjs';
import { describeMachine, sampleLoad } from './lib/machine.mjs';
import { preparePeers } from './lib/peers.mjs';
import { buildProduct, repo, startStore } from './lib/stores.mjs';

const sizes = arg('sizes', '1024,4096').split(',').map(Number);
const PART = 8 * MIB;
const CONCURRENCY = 4;
const budget = (CONCURRENCY + 1) * PART + 32 * MIB;

/** Process ids whose parent is `pid`. */
function childrenOf(pid) {
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(name));
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

/** `pid`'s descendants (renderers are the zygote's children, not the
 * browser's). */
function descendants(pid) {
  const out = [];
  for (let todo = childrenOf(pid); todo.length;) {
    const next = todo.pop();
    out.push(next);
    todo.push(...childrenOf(next));
  }
  return out;
}

/** Descendants of `pid` whose command line has `--type=<type>` (the
 * network service among the utility processes). */
function children(pid, type) {
  return descendants(pid).filter((child) => {
    try {
      const cmd = readFileSync(`/proc/${child}/cmdline`, 'utf8');
      return cmd.includes(`--type=${type}`) && (type !== 'utility' || cmd.includes('network'));
    } catch {
      return false;
    }
  });
}

/** `{ rss, anon }` bytes summed over `pids`. */
function memory(pids) {
  let rss = 0;
  let anon = 0;
  for (const pid of pids) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      rss += Number(status.match(/^VmRSS:\s+(\d+)/m)?.[1] ?? 0) * 1024;
      anon += Number(status.match(/^RssAnon:\s+(\d+)/m)?.[1] ?? 0) * 1024;
    } catch {
      // Gone meanwhile.
    }
  }
  return { rss, anon };
}

/** Samples every 50 ms until `stop()`, which resolves with the peaks. */
function sampler(browserPid) {
  const peak = { renderer: { rss: 0, anon: 0 }, network: { rss: 0, anon: 0 } };
  let samples = 0;
  // The renderer's RSS each second (MiB): where in the upload it grows.
  const timeline = [];
  const t0 = Date.now();
  const take = () => {
    samples++;
    const second = Math.floor((Date.now() - t0) / 1000);
    const now = memory(children(browserPid, 'renderer')).rss / MIB;
    timeline[second] = Math.max(timeline[second] ?? 0, Math.round(now));
    for (const [name, type] of [['renderer', 'renderer'], ['network', 'utility']]) {
      const m = memory(children(browserPid, type));
      peak[name].rss = Math.max(peak[name].rss, m.rss);
      peak[name].anon = Math.max(peak[name].anon, m.anon);
    }
  };
  take();
  const timer = setInterval(take, 50);
  return {
    stop() {
      clearInterval(timer);
      take();
      return { ...peak, samples, timeline: [...timeline].map((v) => v ?? null) };
    },
  };
}

const settle = (ms) => new Promise((ok) => setTimeout(ok, ms));

buildProduct({ skip: flag('no-build') });
preparePeers();
const load = sampleLoad();
const work = workDir('presign-bench-memory-');
const store = await startStore('embedded', work.dir);
const browser = await launchChromium();
// Playwright starts Chromium as a child of this process: the browser
// process is the child without a --type= (its helpers have one).
const browserPid = childrenOf(process.pid).find((pid) => {
  const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  return cmd.includes('chromium') && !cmd.includes('--type=');
});
const results = [];
let idle;
try {
  if (!browserPid) throw new Error('no browser process id (launch, not connect, is needed)');
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('page error:', e));
  await page.goto(`${store.signer}/upload.html`);
  await page.waitForFunction(() => window.benchReady === true);
  // `--checksum off`: the same with `checksum: false` (nothing hashed).
  const options = { partSize: PART, concurrency: CONCURRENCY, ...(arg('checksum', 'on') === 'off' ? { checksum: false } : {}) };
  // Warm-up: starts the hash workers and every code path once.
  await page.setInputFiles('#files', makeFile(join(work.dir, 'warm.bin'), 32 * MIB));
  await page.evaluate((o) => window.bench.ours(o), options);
  store.clear();
  for (const size of sizes) {
    await page.setInputFiles('#files', []);
    const path = makeFile(join(work.dir, `big-${size}.bin`), size * MIB);
    await page.setInputFiles('#files', path);
    await page.evaluate(() => globalThis.gc?.());
    await settle(1500);
    const before = memory(children(browserPid, 'renderer'));
    idle ??= before;
    const s = sampler(browserPid);
    const r = await page.evaluate((o) => window.bench.ours(o), options);
    const peak = s.stop();
    const held = store.tally();
    if (held.objects !== 1 || held.bytes !== size * MIB) throw new Error(`store holds ${JSON.stringify(held)}`);
    store.clear();
    const row = {
      sizeMiB: size,
      ms: r.ms,
      mbps: (size * MIB) / 1e6 / (r.ms / 1000),
      idleRenderer: before,
      peak,
      aboveIdleMiB: {
        rss: (peak.renderer.rss - before.rss) / MIB,
        anon: (peak.renderer.anon - before.anon) / MIB,
      },
    };
    results.push(row);
    console.error(`memory: ${size} MiB in ${(r.ms / 1000).toFixed(1)} s; renderer idle ${(before.rss / MIB).toFixed(0)} MiB, peak ${(peak.renderer.rss / MIB).toFixed(0)} MiB (+${row.aboveIdleMiB.rss.toFixed(0)}), network service peak ${(peak.network.rss / MIB).toFixed(0)} MiB; ${peak.samples} samples`);
    console.error(`  renderer MiB by second: ${peak.timeline.join(' ')}`);
  }
} finally {
  await browser.close();
  await store.stop();
  work.remove();
}
const above = results.map((r) => r.aboveIdleMiB.rss);
const out = {
  what: 'peak renderer memory uploading a sparse file from disk (item 3)',
  partSize: PART,
  concurrency: CONCURRENCY,
  budgetAboveIdleMiB: budget / MIB,
  machine: describeMachine(),
  load: load.stop(),
  results,
  goals: {
    withinBudget: above.every((a) => a <= budget / MIB),
    // Flat: the largest file's peak no more than 16 MiB above the smallest's.
    flat: above.length < 2 || above[above.length - 1] - above[0] <= 16,
  },
};
mkdirSync(join(repo, 'bench', 'results'), { recursive: true });
writeFileSync(join(repo, 'bench', 'results', 'browser-memory.json'), JSON.stringify(out, null, 1) + '\n');
console.error(`memory: wrote bench/results/browser-memory.json (within budget: ${out.goals.withinBudget}, flat: ${out.goals.flat})`);
