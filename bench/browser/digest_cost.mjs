#!/usr/bin/env node
// What a file's SHA-256 costs a page in CPU, at the least: the renderer's
// CPU seconds (CDP) per GiB to read a file from disk in 8 MiB parts (a BYOB
// reader into one reused buffer, as our part reads do), to digest 8 MiB
// already in memory with WebCrypto as many times, to do both part after
// part (the floor of any path that hashes with WebCrypto), and for our
// `uploader.checksums(file)`; beside them, the fastest SHA-256 this core
// has (`openssl speed -evp sha256`, SHA-NI where the CPU has it) in CPU
// seconds per GiB. The page CPU goal of issue 21 (ours <= 1.5x Uppy's for
// a 1 GiB upload, hashing included) is judged against these.
//
//   node bench/browser/digest_cost.mjs [--size-mib 1024] [--runs 3] [--no-build]
//
// Writes bench/results/digest-cost.json and .md. Not a test.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { launchChromium } from '../../tests/e2e/browser.mjs';
import { arg, flag } from './lib/args.mjs';
import { cpuByProcessType } from './lib/chromium-cpu.mjs';
import { makeFile, MIB, workDir } from './lib/files.mjs';
import { describeMachine, median, sampleLoad } from './lib/machine.mjs';
import { buildProduct, repo } from './lib/stores.mjs';

const sizeMib = Number(arg('size-mib', '1024'));
const runs = Number(arg('runs', '3'));
const PART = 8 * MIB;

const PAGE = `<!doctype html><input type=file id=file><script type=module>
import init, { Uploader } from '/pkg/presigned_upload.js';
await init();
const PART = ${PART};
const file = () => document.getElementById('file').files[0];
async function readInto(blob, buffer) {
  const reader = blob.stream().getReader({ mode: 'byob' });
  let filled = 0;
  while (filled < blob.size) {
    const { value, done } = await reader.read(new Uint8Array(buffer, filled, blob.size - filled));
    if (done) break;
    buffer = value.buffer;
    filled += value.length;
  }
  if (filled !== blob.size) throw new Error('short read');
  return new Uint8Array(buffer, 0, filled);
}
async function parts(each) {
  const f = file();
  let buffer = new ArrayBuffer(PART);
  for (let at = 0; at < f.size; at += PART) buffer = (await each(f.slice(at, Math.min(f.size, at + PART)), buffer)) ?? buffer;
}
const uploader = new Uploader();
window.cost = {
  read: () => parts(async (blob, buffer) => (await readInto(blob, buffer)).buffer),
  digest: async () => {
    const bytes = new Uint8Array(PART);
    crypto.getRandomValues(bytes.subarray(0, 65536));
    for (let at = 0; at < file().size; at += PART) await crypto.subtle.digest('SHA-256', bytes);
  },
  readAndDigest: () => parts(async (blob, buffer) => {
    const view = await readInto(blob, buffer);
    await crypto.subtle.digest('SHA-256', view);
    return view.buffer;
  }),
  ours: () => uploader.checksums(file(), { partSize: PART }).then(() => {}),
};
window.ready = true;
</script>`;

const METHODS = [
  ['read', 'read in 8 MiB parts, nothing hashed'],
  ['digest', 'WebCrypto digest of 8 MiB in memory, as many times'],
  ['readAndDigest', 'read and digest, part after part'],
  ['ours', 'ours: uploader.checksums(file)'],
];

/** CPU seconds per GiB of this core's fastest SHA-256 (OpenSSL), or null. */
function nativeSecondsPerGib() {
  try {
    const out = execFileSync('openssl', ['speed', '-seconds', '3', '-bytes', String(PART), '-evp', 'sha256'], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'],
    });
    // The last line: "sha256  1660860.08k" (thousands of bytes a second).
    const kbps = Number(out.trim().split('\n').pop().trim().split(/\s+/).pop().replace(/k$/, ''));
    return { bytesPerSecond: kbps * 1000, secondsPerGib: (1024 * MIB) / (kbps * 1000) };
  } catch {
    return null;
  }
}

buildProduct({ skip: flag('no-build') });
const load = sampleLoad();
const work = workDir('presign-bench-digest-');
const server = http.createServer((req, res) => {
  if (req.url.startsWith('/pkg/')) {
    const name = req.url.slice(5).split('?')[0];
    try {
      const body = readFileSync(join(repo, 'pkg', name));
      res.setHeader('content-type', name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript');
      res.end(body);
    } catch {
      res.statusCode = 404;
      res.end();
    }
    return;
  }
  res.setHeader('content-type', 'text/html');
  res.end(PAGE);
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const browser = await launchChromium();
const results = {};
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('page error:', e));
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.waitForFunction(() => window.ready === true);
  await page.setInputFiles('#file', makeFile(join(work.dir, 'input.bin'), sizeMib * MIB));
  const cpu = () => cpuByProcessType(browser);
  for (const [method] of METHODS) results[method] = { renderer: [], browser: [], ms: [] };
  // One warm-up of each, then `runs` rounds, the methods in turn.
  for (let round = 0; round <= runs; round++) {
    for (const [method] of METHODS) {
      const before = await cpu();
      const t0 = performance.now();
      await page.evaluate((m) => window.cost[m](), method);
      const ms = performance.now() - t0;
      const after = await cpu();
      if (round === 0) continue;
      const perGib = (type) => ((after[type] ?? 0) - (before[type] ?? 0)) / (sizeMib / 1024);
      results[method].renderer.push(perGib('renderer'));
      results[method].browser.push(perGib('browser'));
      results[method].ms.push(ms);
      console.error(`digest-cost: round ${round} ${method}: renderer ${perGib('renderer').toFixed(2)} s/GiB, ${ms.toFixed(0)} ms`);
    }
  }
} finally {
  await browser.close();
  server.close();
  work.remove();
}

const native = nativeSecondsPerGib();
const out = {
  what: "CPU seconds per GiB of reading and hashing a file in Chromium's renderer, and this core's fastest SHA-256 (issue 21)",
  sizeMib, partMib: PART / MIB, runs, machine: describeMachine(), load: load.stop(), native,
  methods: Object.fromEntries(METHODS.map(([m, label]) => [m, {
    label, ...results[m],
    rendererMedian: median(results[m].renderer), browserMedian: median(results[m].browser),
  }])),
};
const outDir = process.env.BENCH_OUT ?? join(repo, 'bench', 'results');
writeFileSync(join(outDir, 'digest-cost.json'), JSON.stringify(out, null, 1) + '\n');
const lines = [
  '# What hashing a file costs a page',
  '',
  `A ${sizeMib} MiB file from disk in headless Chromium, ${runs} rounds after a warm-up, medians; load average ${out.load.min} to ${out.load.max} (median ${out.load.median}). CPU seconds per GiB of the renderer (the page, its workers and WebCrypto's threads) and of the browser process (which reads the file from disk for the renderer).`,
  '',
  '| what | renderer CPU s/GiB | browser process CPU s/GiB |',
  '|---|---:|---:|',
  ...METHODS.map(([m, label]) => `| ${label} | ${out.methods[m].rendererMedian.toFixed(2)} | ${out.methods[m].browserMedian.toFixed(2)} |`),
  '',
  native
    ? `This core's fastest SHA-256, \`openssl speed -evp sha256\` over ${PART / MIB} MiB blocks: ${(native.bytesPerSecond / 1e9).toFixed(2)} GB/s, ${native.secondsPerGib.toFixed(2)} CPU s/GiB.`
    : 'openssl was not found: no native figure.',
  '',
];
writeFileSync(join(outDir, 'digest-cost.md'), lines.join('\n'));
console.error(`digest-cost: wrote ${outDir}/digest-cost.json and .md`);
