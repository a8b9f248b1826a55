#!/usr/bin/env node
// bench/results/browser.md (the Markdown fragment scripts/bench includes in
// BENCHMARKS.md) and the charts (chart.py: browser-hash.png,
// browser-upload.png), from the JSON the three benchmarks wrote. Whatever
// is missing is said to be missing.
//
//   node bench/browser/report.mjs
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repo } from './lib/stores.mjs';

const results = join(repo, 'bench', 'results');
const read = (name) => {
  const path = join(results, name);
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : null;
};
const hash = read('browser-hash.json');
const upload = read('browser-upload.json');
const memory = read('browser-memory.json');
const body = read('browser-body.json');

const x = (v) => (v === undefined ? 'n/a' : `${v.toFixed(2)}x`);
const n0 = (v) => (v === undefined ? 'n/a' : v.toFixed(0));
const goal = (value, target) => (value === undefined ? 'n/a' : `${x(value)} ${value >= target ? '(met)' : `(missed; goal ${target}x)`}`);
const loadText = (l) => (l ? `load average (1 min) during the run: ${l.min}..${l.max}, median ${l.median.toFixed(2)}` : '');

const out = ['## Browser benchmarks (issue 8, items 1-3)', ''];
const machine = hash?.machine ?? upload?.machine ?? memory?.machine;
if (machine) {
  out.push(
    `Machine: ${machine.cpu}${machine.shaNi ? ' (SHA-NI)' : ''}, nproc ${machine.nproc}, ${machine.memTotalGiB} GiB; ${machine.chromium}; Node ${machine.node}; Linux ${machine.kernel}.`,
    'Shared with other engineers\' builds and tests: ratios are paired within rounds (each case\'s time over the other\'s in the same round, median over rounds), cases rotated every round after one warm-up each.',
    '',
    '```',
    machine.free,
    '```',
    '',
  );
}

out.push('### 1. Checksum throughput (headless Chromium, file from disk through a file input)', '');
if (hash) {
  out.push(`${hash.runs} rounds, part size ${hash.partSize / 2 ** 20} MiB, navigator.hardwareConcurrency ${hash.hardwareConcurrency}; ${loadText(hash.load)}. Peers: hash-wasm ${hash.peers['hash-wasm']}. MB/s = 10^6 bytes/s, medians.`, '');
  const names = [...new Set(hash.results.flatMap((r) => Object.keys(r.cases)))];
  out.push(`| size | ${names.join(' | ')} | ours / hash-wasm (goal >= 3x) |`, `|---|${names.map(() => '---:').join('|')}|---|`);
  for (const r of hash.results) {
    out.push(`| ${r.sizeMiB} MiB | ${names.map((n) => n0(r.cases[n]?.mbps)).join(' | ')} | ${goal(r.ratios['ours / hash-wasm'], 3)} |`);
  }
  out.push('', `"ours" is \`uploader.checksums(file, { partSize })\` with its default pool (one worker per core, 1 to 4: ${Math.min(4, Math.max(1, hash.hardwareConcurrency))} here, three parts in flight per worker); "ours, uploads' pool" is \`checksums()\` on as many workers as an upload uses by default, one less (\`workers: ${Math.min(4, Math.max(1, hash.hardwareConcurrency - 1))}\` here); "read only (ceiling)" reads every part into memory two at a time and hashes nothing.`, '');
} else {
  out.push('Not run (bench/browser/hash.mjs writes browser-hash.json).', '');
}

out.push('### 2. Upload throughput on loopback (same page, same store, same run)', '');
if (upload) {
  out.push(`${upload.runs} rounds; ${loadText(upload.load)}. Peers: @uppy/core ${upload.peers['@uppy/core']}, @uppy/aws-s3 ${upload.peers['@uppy/aws-s3']}. Every run is checked in the store (object count and bytes) and the store emptied after it.`, '');
  const names = ['ours', 'ours, checksums off', 'ours, 2 hash workers', 'raw PUT', 'raw PUT, signed beforehand', 'Uppy', 'Uppy, 8 MiB parts'];
  out.push(`| store | size | ${names.map((n) => `${n} (MB/s)`).join(' | ')} | ours / Uppy | ours / Uppy 8 MiB | ours / raw PUT (goal 0.9x) | ON / OFF (goal 0.9x) |`, `|---|---|${names.map(() => '---:').join('|')}|---|---|---|---|`);
  for (const r of upload.results) {
    const uppyGoal = r.files > 1 ? 1.2 : 2;
    out.push(`| ${r.store} | ${r.size} | ${names.map((n) => n0(r.cases[n]?.mbps)).join(' | ')} | ${goal(r.ratios['ours / Uppy'], uppyGoal)} | ${x(r.ratios['ours / Uppy, 8 MiB parts'])} | ${goal(r.ratios['ours / raw PUT'], 0.9)} | ${goal(r.ratios['checksums on / off'], 0.9)} |`);
  }
  out.push('', 'Goals: >= 2x Uppy on 256 MiB, >= 1.2x Uppy on the seed\'s case (100 files x 1.5 MB at once). "ours" is `uploader.upload()` at its defaults (8 MiB parts, 4 in flight, SHA-256 per part signed and checked by the store); "checksums off" is `checksum: false`; "raw PUT" is one `fetch` PUT per whole file to a URL our signer presigned without a checksum; Uppy 6 signs in the page with the store\'s key (`signRequest`, its own SigV4 presigner), defaults, or tuned to 8 MiB parts above 16 MiB.', '');
  if (upload.locationShim) out.push(`Uppy and s3s-fs: s3s-fs answers CompleteMultipartUpload without <Location>, which Uppy 6 rejects; the page signs Uppy\'s Complete for a bench-only loopback proxy (bench/browser/lib/location-shim.mjs) that forwards it to the store unchanged and adds <Location>. Answers rewritten: ${JSON.stringify(upload.locationShim)}.`, '');
} else {
  out.push('Not run (bench/browser/upload.mjs writes browser-upload.json).', '');
}

out.push('### 2b. What a part\'s PUT carries (the body type)', '');
if (body) {
  out.push(`One 256 MiB file from disk as 8 MiB PUTs, 4 at a time, each part read and hashed on the page (WebCrypto) and signed with its SHA-256 by our signer, embedded store; only the body differs. ${body.runs} rounds; ${loadText(body.load)}.`, '');
  out.push('| body | MB/s | file Blob / this (paired) |', '|---|---:|---:|');
  for (const [name, c] of Object.entries(body.cases)) out.push(`| ${name} | ${n0(c.mbps)} | ${name === 'file Blob' ? '1.00x' : x(body.ratios[`file Blob / ${name}`])} |`);
  out.push('', '"file Blob" is what the uploader sends (the `Blob` slice; the browser reads it from disk again); "no checksum" reads and hashes nothing. Above 1.00x, the file Blob is faster.', '');
} else {
  out.push('Not run (bench/browser/body.mjs writes browser-body.json).', '');
}

out.push('### 3. Peak renderer memory, large sparse file from disk', '');
if (memory) {
  out.push(`Upload defaults (${memory.partSize / 2 ** 20} MiB parts, ${memory.concurrency} in flight), embedded store; RSS of every renderer process (page and hash workers) from /proc every 50 ms; ${loadText(memory.load)}. Budget above idle: (concurrency + 1) x partSize + 32 MiB = ${memory.budgetAboveIdleMiB} MiB.`, '');
  out.push('| size | MB/s | renderer idle (MiB) | renderer peak (MiB) | above idle: RSS / anon (MiB) | network service peak (MiB) |', '|---|---:|---:|---:|---:|---:|');
  for (const r of memory.results) {
    out.push(`| ${r.sizeMiB / 1024} GiB | ${n0(r.mbps)} | ${n0(r.idleRenderer.rss / 2 ** 20)} | ${n0(r.peak.renderer.rss / 2 ** 20)} | ${n0(r.aboveIdleMiB.rss)} / ${n0(r.aboveIdleMiB.anon)} | ${n0(r.peak.network.rss / 2 ** 20)} |`);
  }
  out.push('', `Within budget: ${memory.goals.withinBudget ? 'yes' : 'no'}; flat in file size (the largest file's peak at most 16 MiB above the smallest's): ${memory.goals.flat ? 'yes' : 'no'}.`, '');
} else {
  out.push('Not run (bench/browser/memory.mjs writes browser-memory.json).', '');
}

const notes = join(import.meta.dirname, 'NOTES.md');
if (existsSync(notes)) out.push(readFileSync(notes, 'utf8').trim(), '');
out.push('Charts: `browser-hash.png`, `browser-upload.png` (bench/browser/chart.py).', '');
writeFileSync(join(results, 'browser.md'), out.join('\n'));
console.error('report: wrote bench/results/browser.md');

// The charts: matplotlib (pinned) in the repo's .venv, installed on first use.
const python = join(repo, '.venv', 'bin', 'python');
try {
  execFileSync(python, ['-c', 'import matplotlib'], { stdio: 'ignore' });
} catch {
  execFileSync(python, ['-m', 'pip', 'install', '--quiet', 'matplotlib==3.11.2'], { stdio: 'inherit' });
}
execFileSync(python, [join(import.meta.dirname, 'chart.py'), results], { stdio: 'inherit' });
