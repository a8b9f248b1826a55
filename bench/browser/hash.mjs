#!/usr/bin/env node
// Issue 8, item 1: checksum throughput in headless Chromium, files from disk
// through a file input (8 MiB and 64 MiB random, 1 GiB sparse; in a temp
// folder, deleted after): our path (`uploader.checksums(file, { partSize:
// 8 MiB })`: hash workers, WebCrypto per part) with its default pool (one
// worker per core) and with the uploads' pool (one worker less: a core left
// to the page), vs hash-wasm 4.13 single-stream, vs WebCrypto's one-shot
// digest of the whole file in memory, vs WebCrypto per part on the main
// thread, and reading alone (every part into memory, no hash: the ceiling
// of any hashing of a file from disk here). Every digest is checked against
// Node's. Goal: ours >= 3x hash-wasm.
//
//   node bench/browser/hash.mjs [--sizes 8,64,1024] [--runs 5] [--no-build]
//
// Writes bench/results/browser-hash.json. Not a test.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium } from '../../tests/e2e/browser.mjs';
import { startServer } from '../../tests/e2e/server.mjs';
import { checksumsOf, makeFile, MIB, workDir } from './lib/files.mjs';
import { describeMachine, median, sampleLoad } from './lib/machine.mjs';
import { peerVersions, preparePeers, wwwDir } from './lib/peers.mjs';
import { mbps, pairedRatio, rounds } from './lib/rounds.mjs';
import { buildProduct, releaseServer, repo } from './lib/stores.mjs';
import { arg, flag } from './lib/args.mjs';

const sizes = arg('sizes', '8,64,1024').split(',').map((s) => Number(s) * MIB);
const runs = Number(arg('runs', '5'));
const PART = 8 * MIB;

buildProduct({ skip: flag('no-build') });
preparePeers();
const load = sampleLoad();
const work = workDir('presign-bench-hash-');
process.env.PRESIGN_SERVER_BIN = releaseServer;
const server = await startServer([], { wwwDir });
const browser = await launchChromium();
const results = [];
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('page error:', e));
  await page.goto(`${server.url}/hash.html`);
  await page.waitForFunction(() => window.benchReady === true);
  const cores = await page.evaluate(() => window.bench.cores());
  // The pool an upload uses by default (hash_strategy::WorkerCounts).
  const uploadWorkers = Math.min(4, Math.max(1, cores - 1));
  for (const size of sizes) {
    const path = makeFile(join(work.dir, `input-${size / MIB}MiB.bin`), size);
    const want = await checksumsOf(path, PART);
    await page.setInputFiles('#file', path);
    const check = (name, got, expected) => {
      if (got !== expected) throw new Error(`${name} on ${size / MIB} MiB: digest ${got}, Node's ${expected}`);
    };
    const call = (name, method, options, expected) => ({
      name,
      async run() {
        const r = await page.evaluate(([m, o]) => window.bench[m](o), [method, options]);
        check(name, r.digest, expected);
        return r;
      },
    });
    const cases = [
      call('ours', 'ours', { partSize: PART }, want.composite),
      call('ours, uploads\' pool', 'ours', { partSize: PART, workers: uploadWorkers }, want.composite),
      call('hash-wasm', 'hashWasm', {}, want.sha256),
      // One shot holds the whole file in memory: up to 256 MiB.
      ...(size <= 256 * MIB ? [call('WebCrypto one-shot', 'webcrypto', {}, want.sha256)] : []),
      call('WebCrypto per part, main thread', 'webcryptoParts', { partSize: PART }, want.composite),
      // Its "digest" is the byte count: it must have read the whole file.
      call('read only (ceiling)', 'readOnly', { partSize: PART }, size),
    ];
    console.error(`hash: ${size / MIB} MiB, ${runs} rounds`);
    const got = await rounds(cases, runs, { log: (l) => console.error(l) });
    const row = { sizeMiB: size / MIB, cases: {} };
    for (const [name, r] of Object.entries(got)) {
      row.cases[name] = { mbps: mbps(size, r.ms), ms: r.ms, medianMs: median(r.ms), workers: r.extra[0]?.workers };
    }
    row.ratios = {
      'ours / hash-wasm': pairedRatio(got.ours, got['hash-wasm']),
      'ours, uploads\' pool / hash-wasm': pairedRatio(got['ours, uploads\' pool'], got['hash-wasm']),
      ...(got['WebCrypto one-shot'] ? { 'ours / WebCrypto one-shot': pairedRatio(got.ours, got['WebCrypto one-shot']) } : {}),
      'read only / hash-wasm': pairedRatio(got['read only (ceiling)'], got['hash-wasm']),
    };
    results.push(row);
    console.error(`  MB/s: ${Object.entries(row.cases).map(([n, c]) => `${n} ${c.mbps.toFixed(0)}`).join(', ')}`);
    console.error(`  ours / hash-wasm ${row.ratios['ours / hash-wasm'].toFixed(2)}x`);
    await page.setInputFiles('#file', []);
    work.remove();
    mkdirSync(work.dir, { recursive: true });
  }
  const out = {
    what: 'checksum throughput, files from disk through a file input (item 1)',
    partSize: PART,
    runs,
    machine: describeMachine(),
    hardwareConcurrency: cores,
    peers: peerVersions(),
    load: load.stop(),
    results,
  };
  mkdirSync(join(repo, 'bench', 'results'), { recursive: true });
  writeFileSync(join(repo, 'bench', 'results', 'browser-hash.json'), JSON.stringify(out, null, 1) + '\n');
  console.error('hash: wrote bench/results/browser-hash.json');
} finally {
  await browser.close();
  await server.stop();
  work.remove();
}
