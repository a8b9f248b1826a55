// End to end: a 1 GiB upload through the demo page's widget (release wasm,
// hashing in the hash workers) keeps the page responsive. Long-task and
// long-animation-frame observers are installed before any page script runs;
// no long task (over 50 ms, the Long Tasks API's own threshold) may start
// while the uploader runs — from the widget's `upload-start` event to its
// `upload-complete` — and the stored object's checksum, as the store itself
// computed it, must be the file's.
//
// Two shared cores also run other people's work, which can hold the main
// thread off a core for tens of milliseconds at any moment. So a long task
// in the first upload gets the upload done again in a fresh page, and the
// test fails only if that one has a long task too: blocking work of ours
// shows in every upload, a neighbour's burst in one. (Seen here: one 59 ms
// IndexedDB completion handler and one 80 ms worker message handler, each
// in one of 8 runs of the e2e stage; the next run passed both times.)
//
// The signer and its embedded store run at a lower CPU priority (nice 10):
// they share this machine's cores only because the test runs on loopback
// (in production the store is elsewhere and checks its SHA-256s on its own
// CPUs), and at full priority their hashing and disk writes could hold the
// page's main thread off a core long enough to stretch a 5 ms task past
// 50 ms. The page still competes with the browser's own processes: the
// network service reading the file and the hash worker.
//
// The file is sparse (1 GiB apparent, a few MiB on disk): holes read as
// zeros, and 32 random bytes at the start of every MiB make every part
// different, so a part sent in the wrong place would show in the checksum.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { openSync, closeSync, ftruncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setUp, tearDown } from './fixture.mjs';
import { settled } from './widget-page.mjs';
import { checksumsOf } from '../support/file_checksums.mjs';

const MIB = 1024 * 1024;
const SIZE = 1024 * MIB;
const PART = 8 * MIB; // the demo's part size (the default)
let server;
let browser;
let work;

before(async () => ({ server, browser, work } = await setUp('presign-e2e-1gib-', { options: () => ({ nice: 10 }) })));
after(() => tearDown({ server, browser, work }));

// A sparse file of `size` bytes with random stamps; returns its SHA-256 and
// S3's composite checksum over `partSize` parts (both base64).
async function sparseFile(path, size, partSize) {
  const fd = openSync(path, 'w');
  try {
    ftruncateSync(fd, size);
    for (let at = 0; at < size; at += MIB) writeSync(fd, randomBytes(32), 0, 32, at);
  } finally {
    closeSync(fd);
  }
  return checksumsOf(path, partSize);
}

// Installed before the page's own scripts: long tasks, long animation
// frames (whose script entries say what ran), and the times of the widget's
// upload events (bubbling and composed, so the document hears them): the
// uploader's run, measured by the page itself.
function observe() {
  window.__longTasks = [];
  window.__frames = [];
  window.__states = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      window.__longTasks.push({
        start: e.startTime,
        duration: e.duration,
        attribution: e.attribution.map((a) => `${a.name}/${a.containerType}`).join(','),
      });
    }
  }).observe({ type: 'longtask', buffered: true });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      window.__frames.push({
        start: e.startTime,
        end: e.startTime + e.duration,
        scripts: e.scripts.map((s) => ({
          source: s.sourceURL,
          fn: s.sourceFunctionName,
          invoker: s.invoker,
          ms: Math.round(s.duration),
        })),
      });
    }
  }).observe({ type: 'long-animation-frame', buffered: true });
  for (const type of ['upload-start', 'upload-complete', 'upload-error']) {
    document.addEventListener(type, () => window.__states.push({ state: type, t: performance.now() }));
  }
}

test('a 1 GiB upload keeps the page free of long tasks, and the store has the file', { timeout: 900_000 }, async () => {
  const path = join(work, 'one-gib.bin');
  const expected = await sparseFile(path, SIZE, PART);
  // A second upload, in a fresh page, only when the first saw a long task:
  // see the top of this file.
  const first = await uploadOnce(path, expected);
  if (first.length === 0) return;
  console.log(`first upload: ${first.length} long task(s), uploading again: ${JSON.stringify(first)}`);
  assert.deepEqual(await uploadOnce(path, expected), [], 'long tasks while the uploader ran, in both uploads');
});

// Uploads `path` through the demo page, checks what was stored, and returns
// the long tasks that started while the uploader ran, with the scripts of
// the long animation frames that overlap each.
async function uploadOnce(path, expected) {
  const begun = Date.now();
  const page = await browser.newPage();
  const errors = [];
  const warnings = [];
  const workers = [];
  page.on('pageerror', (e) => errors.push(e));
  page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
  page.on('worker', (w) => workers.push(w.url()));
  await page.addInitScript(observe);
  await page.goto(server.url + '/');
  await page.setInputFiles('presigned-upload input[type=file]', path);
  const [row] = await settled(page, 1, { timeout: 800_000 });
  const uploaded = Date.now();
  assert.equal(row.state, 'done', `${row.error}\n${server.logs()}`);

  // The store's own checksum of the object (s3s-fs computes the whole
  // object's; S3 would give the composite one), and what the demo page
  // listed from the widget's upload-complete event (it asks for the whole
  // file's SHA-256 too).
  const key = row.key;
  const info = await fetch(server.url + '/api/file-uploaded', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ key, file_type: 'demo' }),
  });
  assert.equal(info.status, 200);
  const meta = await info.json();
  assert.equal(meta.size, SIZE);
  assert.ok([expected.sha256, expected.composite].includes(meta.sha256), `store: ${meta.sha256}, file: ${JSON.stringify(expected)}`);
  const shown = (await page.locator(`#stored dd[data-key="${key}"] .sha256`).textContent()).trim();
  assert.equal(shown, `${expected.sha256} (composite ${expected.composite})`);

  // The hashing ran in a worker, not on the main thread.
  assert.ok(workers.some((url) => url.endsWith('/js/hash_worker.js')), `workers: ${workers}`);
  assert.deepEqual(warnings.filter((w) => w.includes('presigned-upload')), []);
  assert.deepEqual(errors, []);

  const { longTasks, frames, states } = await page.evaluate(() => ({
    longTasks: window.__longTasks,
    frames: window.__frames,
    states: window.__states,
  }));
  const from = states.find((s) => s.state === 'upload-start')?.t;
  const to = states.find((s) => s.state === 'upload-complete')?.t;
  assert.ok(from !== undefined && to > from, `upload events: ${JSON.stringify(states)}`);
  const during = longTasks.filter((t) => t.start >= from && t.start <= to);
  // What ran in each: the long animation frames that overlap it.
  const explained = during.map((t) => ({
    ...t,
    scripts: frames.filter((f) => f.start <= t.start + t.duration && f.end >= t.start).flatMap((f) => f.scripts),
  }));
  const seconds = (ms) => (ms / 1000).toFixed(1);
  console.log(
    `1 GiB: uploaded in ${seconds(uploaded - begun)} s ` +
    `(uploader ran ${seconds(to - from)} s, ${(SIZE / 1e6 / ((to - from) / 1000)).toFixed(0)} MB/s); ` +
    `long tasks while it ran: ${during.length}, before or after: ${longTasks.length - during.length}`,
  );
  await page.close();
  return explained;
}
