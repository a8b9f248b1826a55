#!/usr/bin/env node
// Issue 21: uploads over the links people upload over, emulated on this
// machine (lib/link.mjs): Chromium here, the signer and its embedded store
// in a network namespace behind a veth pair whose rate tc tbf sets, and a
// round trip that `fault-proxy delay` adds. Each system uploads each case on
// each profile in a fresh browser context (its own connections), and its
// time is given as a multiple of the physical limit (lib/link.mjs:
// physicalLimitMs) and against ours, paired within rounds. After every run
// the store must hold every object at its size; it is then emptied.
//
//   node bench/browser/links.mjs [--quick] [--profiles fibre,home,far]
//     [--cases seed,small,256,1024] [--runs N] [--peers oursAll,uppy,...]
//     [--no-build] [--update]
//
// --quick: fibre and home, the design note's case and 1,000 x 100 KB, one
// round. Writes bench/results/links.json (every run) and links.md. Root
// only (ip netns, tc). LINKS_DEBUG=1 logs each answer the page gets and
// each result; LINKS_PROFILE=DIR writes a CPU profile of the page's main
// thread per run (bench/browser/profile_top.mjs sums it). --update: the
// profiles measured replace theirs in the existing links.json, the others
// stay (lib/links-merge.mjs). Not a test.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium } from '../../tests/e2e/browser.mjs';
import { arg, flag } from './lib/args.mjs';
import { cpuByProcessType } from './lib/chromium-cpu.mjs';
import { GIB, makeFile, MIB, workDir } from './lib/files.mjs';
import {
  BROWSER_ADDR, inside, linkDown, linkUp, physicalLimitMs, PROFILES, SERVER_ADDR, shape, SIGNER_URL, startDelay, STORE_URL,
} from './lib/link.mjs';
import { startLocationShim } from './lib/location-shim.mjs';
import { describeMachine, median, sampleLoad } from './lib/machine.mjs';
import { peerVersions, preparePeers } from './lib/peers.mjs';
import { pairedRatio, rounds } from './lib/rounds.mjs';
import { buildProduct, repo, startStore } from './lib/stores.mjs';
import { mergeLinks } from './lib/links-merge.mjs';
import { linksReport } from './lib/links-report.mjs';

const quick = flag('quick');
const profiles = arg('profiles', quick ? 'fibre,home' : 'fibre,home,far').split(',');
const caseNames = arg('cases', quick ? 'seed,small' : 'seed,small,256,1024').split(',');
// Rounds per profile: 3 (1 with --quick), except far's 1, and far leaves
// out 256 MiB unless --cases names it: one round of far's three cases
// takes 20 minutes (5 systems; 256 MiB is 107 s each at 20 Mbit/s), and
// the whole run stays under an hour so (about 56 minutes: fibre 5, home 10
// a round). --runs N: N everywhere.
const runsArg = arg('runs', '');
const runsOf = (profile) => (runsArg ? Number(runsArg) : quick || profile === 'far' ? 1 : 3);

const CASES = {
  seed: { files: 100, size: 1_500_000, label: "100 x 1.5 MB (the design note's case)" },
  small: { files: 1000, size: 100_000, label: '1,000 x 100 KB' },
  256: { files: 1, size: 256 * MIB, label: '256 MiB' },
  1024: { files: 1, size: GIB, label: '1 GiB', profiles: ['fibre'] },
};
// Uppy 6.3.1's default `limit` is 6 (files at once): its defaults are the
// `limit: 6` the issue names.
const PEERS = [
  ['ours', 'oursAll', {}],
  ['ours, checksums off', 'oursAll', { checksum: false }],
  ['raw fetch PUT, signed beforehand', 'rawFetch', {}],
  ['Uppy 6.3.1 (limit 6)', 'uppy', {}],
  ['lib-storage (queueSize 4, 8 MiB parts)', 'libStorage', {}],
];
const only = arg('peers', '');
const peers = only ? PEERS.filter(([, method]) => only.split(',').includes(method)) : PEERS;
for (const name of profiles) if (!PROFILES[name]) throw new Error(`unknown profile ${name} (${Object.keys(PROFILES)})`);
for (const name of caseNames) if (!CASES[name]) throw new Error(`unknown case ${name} (${Object.keys(CASES)})`);

buildProduct({ skip: flag('no-build') });
preparePeers();
const load = sampleLoad();
const results = [];
const measured = {};
const work = workDir('presign-bench-links-');
linkUp();
let store;
let shim;
let browser;
try {
  store = await startStore('embedded', work.dir, {
    prefix: inside([]),
    args: ['--store-public-url', STORE_URL, '--allow-origin', SIGNER_URL, '--allow-host', SERVER_ADDR],
  });
  const port = (url) => new URL(url).port;
  // The shim Uppy's Complete goes through: on this side of the link, so
  // the page (on the link's address) may call it.
  shim = await startLocationShim(STORE_URL, BROWSER_ADDR);
  // The page runs as an app's HTTPS page would: a secure context (WebCrypto,
  // crypto.randomUUID), which plain http on the link's address is not.
  browser = await launchChromium({ args: [`--unsafely-treat-insecure-origin-as-secure=${SIGNER_URL},${STORE_URL},${shim.url}`] });
  for (const profileName of profiles) {
    const profile = PROFILES[profileName];
    const profileLoad = sampleLoad();
    measured[profileName] = { at: new Date().toISOString(), commit: commit() };
    shape(profile);
    const delay = await startDelay(profile, port(store.signer), port(store.store));
    try {
      for (const caseName of caseNames) {
        const c = CASES[caseName];
        if (c.profiles && !c.profiles.includes(profileName)) continue;
        if (!arg('cases', '') && profileName === 'far' && caseName === '256') continue;
        const paths = Array.from({ length: c.files }, (_, i) => makeFile(join(work.dir, `${caseName}-${i}.bin`), c.size, { stamps: true }));
        const bytes = c.files * c.size;
        const limitMs = physicalLimitMs(profile, c.files, bytes);
        const cases = peers.map(([name, method, options]) => ({
          name,
          run: () => timedRun(method, options, paths, c.files, bytes),
        }));
        const runs = runsOf(profileName);
        console.error(`links: ${profileName} (${profile.mbit} Mbit/s, ${profile.rttMs} ms), ${c.label}: limit ${(limitMs / 1000).toFixed(2)} s, ${runs} rounds`);
        const got = await rounds(cases, runs, { warmup: false, log: (l) => console.error(l) });
        const row = { profile: profileName, ...profile, runs, case: caseName, label: c.label, files: c.files, bytes, limitMs, systems: {} };
        for (const [name, r] of Object.entries(got)) {
          const cpu = r.extra.map((e) => e.cpuSeconds);
          row.systems[name] = {
            ms: r.ms, medianMs: median(r.ms), ofLimit: median(r.ms) / limitMs,
            oursOverIt: got.ours ? pairedRatio(got.ours, r) : null,
            cpuSeconds: cpu, pageCpuSeconds: median(cpu.map((c) => c.renderer ?? 0)),
            serverCpuSeconds: median(r.extra.map((e) => e.serverCpuSeconds)),
          };
        }
        console.error(`  ${Object.entries(row.systems).map(([n, s]) => `${n} ${(s.medianMs / 1000).toFixed(2)} s (${s.ofLimit.toFixed(2)}x limit)`).join('; ')}`);
        results.push(row);
        for (const p of paths) rmSync(p);
      }
    } finally {
      await delay.stop();
      measured[profileName].load = profileLoad.stop();
    }
  }
} finally {
  await browser?.close();
  await shim?.stop();
  await store?.stop();
  linkDown();
  work.remove();
}

/** The commit measured, `-dirty` when the tree has changes (undefined
 * outside a git checkout). */
function commit() {
  const git = (...a) => execFileSync('git', ['-C', repo, ...a], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    return git('rev-parse', '--short', 'HEAD') + (git('status', '--porcelain', '--untracked-files=no') ? '-dirty' : '');
  } catch {
    return undefined;
  }
}

/** CPU seconds used so far by the signer's and the store's processes
 * (/proc/PID/stat: user and system time, in clock ticks of 1/100 s). */
function serverCpuSeconds() {
  let ticks = 0;
  for (const pid of store.pids()) {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / 100;
}

/** With LINKS_PROFILE=DIR: a CPU profile of the page's main thread. */
async function startProfiler(context, page) {
  const session = await context.newCDPSession(page);
  await session.send('Profiler.enable');
  await session.send('Profiler.setSamplingInterval', { interval: 250 });
  await session.send('Profiler.start');
  return session;
}

/** Writes DIR/METHOD-N.cpuprofile (open it in Chrome's DevTools). */
async function stopProfiler(session, method) {
  const { profile } = await session.send('Profiler.stop');
  const dir = process.env.LINKS_PROFILE;
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${method}-${Date.now()}.cpuprofile`);
  writeFileSync(path, JSON.stringify(profile));
  console.error(`  profile: ${path}`);
}

/** One upload of `paths` by `method` in a fresh context; the store checked and emptied. */
async function timedRun(method, options, paths, files, bytes) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error('page error:', e));
    if (process.env.LINKS_DEBUG) page.on('response', (r) => console.error('response', r.status(), r.request().method(), r.url().slice(0, 150)));
    page.on('console', (m) => ['error', 'warning'].includes(m.type()) && console.error(`page ${m.type()}: ${m.text()}`));
    await page.goto(`${SIGNER_URL}/upload.html`);
    await page.waitForFunction(() => window.benchReady === true);
    await page.evaluate((c) => window.bench.configure(c), {
      store: STORE_URL, bucket: store.bucket, region: store.region, credentials: store.credentials, shim: shim.url,
    });
    await page.setInputFiles('#files', paths);
    const profiler = process.env.LINKS_PROFILE && await startProfiler(context, page);
    // The page runs in a fresh context: its renderer is the only one.
    const before = await cpuByProcessType(browser);
    const serverBefore = serverCpuSeconds();
    const r = await page.evaluate(([m, o]) => window.bench[m](o), [method, options]);
    const after = await cpuByProcessType(browser);
    r.serverCpuSeconds = serverCpuSeconds() - serverBefore;
    if (profiler) await stopProfiler(profiler, method);
    r.cpuSeconds = Object.fromEntries(Object.entries(after).map(([type, s]) => [type, s - (before[type] ?? 0)]));
    if (process.env.LINKS_DEBUG) console.error('result', JSON.stringify(r).slice(0, 400));
    const held = store.tally();
    if (held.objects !== files || held.bytes !== bytes) {
      throw new Error(`${method}: the store holds ${held.objects} objects, ${held.bytes} bytes; want ${files}, ${bytes}`);
    }
    return r;
  } finally {
    store.clear();
    await context.close();
  }
}

const out = {
  what: 'uploads over emulated links: tc tbf rate on a veth pair, round trip by fault-proxy delay (issue 21)',
  runs: Object.fromEntries(profiles.map((p) => [p, runsOf(p)])),
  quick,
  machine: describeMachine(),
  peers: peerVersions(),
  load: load.stop(),
  measured,
  results,
};
const outDir = process.env.BENCH_OUT ?? join(repo, 'bench', 'results');
mkdirSync(outDir, { recursive: true });
const name = quick ? 'links-quick' : 'links';
const jsonPath = join(outDir, `${name}.json`);
const written = flag('update') && existsSync(jsonPath) ? mergeLinks(JSON.parse(readFileSync(jsonPath, 'utf8')), out) : out;
writeFileSync(jsonPath, JSON.stringify(written, null, 1) + '\n');
writeFileSync(join(outDir, `${name}.md`), linksReport(written));
console.error(`links: wrote ${outDir}/${name}.json and ${name}.md`);
