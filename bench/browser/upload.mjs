#!/usr/bin/env node
// Issue 8, item 2: upload throughput on loopback, in one page, against one
// store at a time (the embedded s3s-fs store of a release presign-server
// --dev, then Garage): our uploader with checksums on (its defaults) and off
// (`checksum: false`), a raw `fetch` PUT of the whole file presigned by our
// signer, and Uppy 6 at its defaults and tuned to our part size. Sizes: the
// seed's case (100 files of 1.5 MB at once), 256 MiB (random bytes) and
// 2 GiB (sparse: zeros, which Garage stores once per distinct block, so the
// disk does not fill before its block collector runs). After every run the
// store must hold every object, at its size (counted in the store), and is
// emptied. Goals: >= 2x Uppy on 256 MiB, >= 1.2x Uppy on the seed's case,
// >= 0.9x raw PUT, checksums on >= 0.9x off.
//
//   node bench/browser/upload.mjs [--stores embedded,garage] [--sizes seed,256,2048] [--runs 5] [--no-build]
//
// Writes bench/results/browser-upload.json. Not a test.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium } from '../../tests/e2e/browser.mjs';
import { arg, flag } from './lib/args.mjs';
import { makeFile, MIB, workDir } from './lib/files.mjs';
import { startLocationShim } from './lib/location-shim.mjs';
import { describeMachine, median, sampleLoad } from './lib/machine.mjs';
import { peerVersions, preparePeers } from './lib/peers.mjs';
import { mbps, pairedRatio, rounds } from './lib/rounds.mjs';
import { buildProduct, repo, startStore } from './lib/stores.mjs';

const stores = arg('stores', 'embedded,garage').split(',');
const sizes = arg('sizes', 'seed,256,2048').split(',');
const runs = Number(arg('runs', '5'));
const SEED_FILES = 100;
const SEED_SIZE = 1_500_000;

buildProduct({ skip: flag('no-build') });
preparePeers();
const load = sampleLoad();
const results = [];
const shimUse = {};
for (const kind of stores) {
  const work = workDir(`presign-bench-upload-${kind}-`);
  const store = await startStore(kind, work.dir);
  const shim = await startLocationShim(store.store);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error('page error:', e));
    await page.goto(`${store.signer}/upload.html`);
    await page.waitForFunction(() => window.benchReady === true);
    await page.evaluate((c) => window.bench.configure(c), {
      store: store.store, bucket: store.bucket, region: store.region, credentials: store.credentials, shim: shim.url,
    });
    for (const size of sizes) {
      const seed = size === 'seed';
      const count = seed ? SEED_FILES : 1;
      const bytesEach = seed ? SEED_SIZE : Number(size) * MIB;
      const paths = Array.from({ length: count }, (_, i) =>
        makeFile(join(work.dir, `f${i}-${bytesEach}.bin`), bytesEach, { stamps: false }));
      await page.setInputFiles('#files', paths);
      const total = count * bytesEach;
      const call = (name, method, options) => ({
        name,
        async run() {
          const r = await page.evaluate(([m, o]) => window.bench[m](o), [method, options]);
          const held = store.tally();
          if (held.objects !== count || held.bytes !== total) {
            throw new Error(`${name}: the store holds ${held.objects} objects, ${held.bytes} bytes; want ${count}, ${total}`);
          }
          store.clear();
          return r;
        },
      });
      const cases = [
        call('ours', 'ours', {}),
        call('ours, checksums off', 'ours', { checksum: false }),
        // One hash worker per core (the default leaves one core to the page).
        call('ours, 2 hash workers', 'ours', { uploader: { workers: 2 } }),
        call('raw PUT', 'raw', {}),
        // The seed's case with its signing off the clock (XHR, like ours).
        ...(seed ? [call('raw PUT, signed beforehand', 'rawSigned', {})] : []),
        call('Uppy', 'uppy', {}),
        // Both thresholds are above 1.5 MB: the tuned Uppy is the default one.
        ...(seed ? [] : [call('Uppy, 8 MiB parts', 'uppy', { tuned: true })]),
      ];
      const label = seed ? `${SEED_FILES} x 1.5 MB` : `${size} MiB`;
      console.error(`upload (${kind}): ${label}, ${runs} rounds`);
      const got = await rounds(cases, runs, { log: (l) => console.error(l) });
      const row = { store: kind, size: label, files: count, bytes: total, cases: {} };
      for (const [name, r] of Object.entries(got)) row.cases[name] = { mbps: mbps(total, r.ms), ms: r.ms, medianMs: median(r.ms) };
      row.ratios = {
        'ours / Uppy': pairedRatio(got.ours, got.Uppy),
        ...(got['Uppy, 8 MiB parts'] ? { 'ours / Uppy, 8 MiB parts': pairedRatio(got.ours, got['Uppy, 8 MiB parts']) } : {}),
        'ours / raw PUT': pairedRatio(got.ours, got['raw PUT']),
        'checksums on / off': pairedRatio(got.ours, got['ours, checksums off']),
      };
      console.error(`  MB/s: ${Object.entries(row.cases).map(([n, c]) => `${n} ${c.mbps.toFixed(0)}`).join(', ')}`);
      console.error(`  ${Object.entries(row.ratios).map(([n, v]) => `${n} ${v.toFixed(2)}x`).join(', ')}`);
      results.push(row);
      await page.setInputFiles('#files', []);
      work.remove();
      mkdirSync(work.dir, { recursive: true });
    }
    shimUse[kind] = shim.added();
  } finally {
    await browser.close();
    await shim.stop();
    await store.stop();
    work.remove();
  }
}
const out = {
  what: 'upload throughput on loopback, files from disk through a file input, every file at once (item 2)',
  runs,
  machine: describeMachine(),
  peers: peerVersions(),
  locationShim: shimUse,
  load: load.stop(),
  results,
};
mkdirSync(join(repo, 'bench', 'results'), { recursive: true });
writeFileSync(join(repo, 'bench', 'results', 'browser-upload.json'), JSON.stringify(out, null, 1) + '\n');
console.error('upload: wrote bench/results/browser-upload.json');
