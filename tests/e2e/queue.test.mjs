// End to end: many files through one Uploader's queue (`uploadAll`), in
// Chromium, against a real presign-server --dev whose embedded store is
// reached through the fault proxy.
//
// - 1,000 files of the design note's 1.5 MB: all stored (SHA-256 of the
//   stored bytes), the batch's progress never goes back, no long task while
//   they are added, never more files running or requests in flight than the
//   queue allows.
// - A store answering 503 SlowDown with `Retry-After: 2` for 5 s: every
//   upload waits it out (each retry at least 2 s after its refusal) and
//   completes.
// - A signer answering 429 with `Retry-After` (its rate limit, on a JWT
//   signer): the upload waits as asked and completes.
// - Cancel all while 200 files wait: nothing is written afterwards, no
//   multipart upload stays open.
// - A small file after a 10 GiB one gets the next request slot instead of
//   waiting behind the large file's queued parts.
//
// Files are made in the page: a 40-byte name stamp followed by a slice of
// one random file the page fetches (Blob slices share its bytes, so a
// thousand files cost no more memory than one); the test computes each
// file's SHA-256 from the same bytes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setUp, tearDown } from './fixture.mjs';
import { startServer } from './server.mjs';

const MIB = 1024 * 1024;
const STAMP = 40;
const BASE_SIZE = 40 * MIB;
let proxy;
let server;
let browser;
let work;
let base;


const PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>queue</title>
<script type="module">
  import init, { Uploader } from '/pkg/presigned_upload.js';
  const ready = init();
  let base;
  const stamp = (name) => new TextEncoder().encode(name.padEnd(${STAMP}, '.').slice(0, ${STAMP}));
  // Files of [name, size]: a stamp, then the first size - ${STAMP} bytes of base.bin.
  window.makeFiles = async (specs) => {
    base ??= await (await fetch('/base.bin')).blob();
    return specs.map(([name, size]) => new File([stamp(name), base.slice(0, size - ${STAMP})], name));
  };
  window.Uploader = Uploader;
  window.ready = ready.then(() => true);
  // Counts XHRs (the uploader's requests to the store) in flight: one is
  // over at its load, error or abort event, as the uploader sees it. The
  // listeners go on at open(), before the uploader's own.
  window.countXhrs = () => {
    const count = { now: 0, max: 0 };
    const { open, send } = XMLHttpRequest.prototype;
    XMLHttpRequest.prototype.open = function (...args) {
      let over = true;
      this.addEventListener('loadstart', () => { over = false; });
      const end = () => { if (!over) { over = true; count.now--; } };
      for (const type of ['load', 'error', 'abort', 'timeout']) this.addEventListener(type, end);
      return open.apply(this, args);
    };
    XMLHttpRequest.prototype.send = function (body) {
      count.max = Math.max(count.max, ++count.now);
      return send.call(this, body);
    };
    return count;
  };
</script></head><body><main><h1>Queue</h1></main></body></html>`;

before(async () => {
  ({ proxy, server, browser, work } = await setUp('presign-queue-', {
    proxied: true,
    prepare: (work) => {
      mkdirSync(join(work, 'www'));
      base = randomBytes(BASE_SIZE);
      writeFileSync(join(work, 'www', 'base.bin'), base);
      writeFileSync(join(work, 'www', 'queue.html'), PAGE);
    },
    // The signer's request rate limit is tested on a signer of its own;
    // the 10 GiB file below needs more than the default 5 GiB.
    args: () => ['--rate-limit', '0', '--max-size', String(16 * 2 ** 30)],
    options: (work) => ({ wwwDir: join(work, 'www') }),
  }));
});
after(() => tearDown({ proxy, server, browser, work }));

/** The bytes of a file the page made. */
const bytesOf = (name, size) =>
  Buffer.concat([Buffer.from(name.padEnd(STAMP, '.').slice(0, STAMP)), base.subarray(0, size - STAMP)]);
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

async function queuePage() {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  await page.goto(`${server.url}/queue.html`);
  await page.waitForFunction(() => window.ready);
  return { page, errors };
}

/** The embedded store's bucket folder. */
function bucketDir(dataDir = server.dataDir) {
  const store = join(dataDir, 'store');
  const [bucket] = readdirSync(store).filter((n) => !n.startsWith('.') && statSync(join(store, n)).isDirectory());
  return join(store, bucket);
}

/** Objects in the embedded store, and its open multipart uploads. */
function storeContents(dataDir = server.dataDir) {
  const objects = readdirSync(bucketDir(dataDir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && !e.name.startsWith('.'))
    .map((e) => join(e.parentPath, e.name));
  const open = readdirSync(join(dataDir, 'store')).filter((n) => n.startsWith('.upload') || n.includes('.upload-'));
  return { objects, open };
}

/** Checks every stored object against the bytes of the file it came from. */
async function assertStored(stored, dataDir = server.dataDir) {
  const bucket = bucketDir(dataDir);
  for (const { name, size, key } of stored) {
    const got = readFileSync(join(bucket, key));
    assert.equal(got.length, size, name);
    assert.equal(sha256(got), sha256(bytesOf(name, size)), name);
  }
}

/** `presign_open_multipart_uploads` from the signer's /metrics. */
async function openMultipart(url = server.url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(text.match(/^presign_open_multipart_uploads (\d+)/m)?.[1] ?? NaN);
}

test('1,000 files of 1.5 MB through uploadAll: all stored, progress never goes back, no long task while adding, the queue holds', { timeout: 600_000 }, async () => {
  const { page, errors } = await queuePage();
  const specs = Array.from({ length: 1000 }, (_, i) => [`ecu-${String(i).padStart(4, '0')}.log`, 1_500_000]);
  // The files are made first: adding them is measured in a task of its own.
  await page.evaluate(async (specs) => { window.files = await window.makeFiles(specs); }, specs);
  const outcome = await page.evaluate(async () => {
    const files = window.files;
    // Store requests in flight (XHRs), and files running, at most.
    const inFlight = window.countXhrs();
    const states = new Map();
    // Files sending bytes (each in one of the 6 file slots), and files
    // hashed and signed ahead of their turn (16 at most), at most.
    let maxRunning = 0;
    let maxAhead = 0;
    const count = (state) => [...states.values()].filter((s) => s === state).length;
    const longTasks = [];
    new PerformanceObserver((list) => longTasks.push(...list.getEntries().map((e) => [e.startTime, e.duration])))
      .observe({ type: 'longtask' });
    const reports = [];
    const uploader = new window.Uploader({});
    const t0 = performance.now();
    const batch = uploader.uploadAll(files, {
      fileType: 'demo',
      onProgress: (p) => reports.push([p.loaded, p.total, p.fraction, p.files.done, p.files.waiting]),
      onFileStateChange: (state, index) => {
        states.set(index, state);
        maxRunning = Math.max(maxRunning, count('uploading'));
        maxAhead = Math.max(maxAhead, count('hashing'));
      },
    });
    const added = performance.now();
    // Adding is over once the first files run and the rest wait: a moment later.
    await new Promise((r) => setTimeout(r, 300));
    const settledAdding = performance.now();
    const { files: ends, progress } = await batch.result;
    return {
      t0,
      addMs: added - t0,
      longWhileAdding: longTasks.filter(([start, d]) => start < settledAdding && start + d > t0),
      reports,
      progress,
      ends: ends.map((e) => ({ state: e.state, key: e.result?.key, code: e.error?.code, message: e.error?.message })),
      maxInFlight: inFlight.max,
      maxRunning,
      maxAhead,
    };
  });
  console.log(`1,000 files: uploadAll at ${outcome.t0.toFixed(0)} returned in ${outcome.addMs.toFixed(1)} ms; ${outcome.reports.length} batch reports; ` +
    `at most ${outcome.maxRunning} files sending and ${outcome.maxAhead} hashing, ${outcome.maxInFlight} store requests in flight`);
  const failed = outcome.ends.filter((e) => e.state !== 'done');
  assert.deepEqual(failed, [], 'every file stored');
  assert.deepEqual(outcome.longWhileAdding, [], 'no long task while the files were added');
  assert.ok(outcome.maxRunning <= 6 && outcome.maxRunning >= 2, `files sending at once: ${outcome.maxRunning}`);
  // More files are hashed (and signed) ahead than run: their turn is the PUT alone.
  assert.ok(outcome.maxAhead <= 16 && outcome.maxAhead > 6, `files hashed ahead at once: ${outcome.maxAhead}`);
  assert.ok(outcome.maxInFlight <= 6, `store requests in flight: ${outcome.maxInFlight}`);
  // The batch's progress never goes back.
  for (let i = 1; i < outcome.reports.length; i++) {
    const [loaded, , fraction, done] = outcome.reports[i];
    const [lastLoaded, , lastFraction, lastDone] = outcome.reports[i - 1];
    assert.ok(loaded >= lastLoaded && fraction >= lastFraction && done >= lastDone, `report ${i}: ${outcome.reports[i]} after ${outcome.reports[i - 1]}`);
  }
  assert.ok(outcome.reports.some(([, , , , waiting]) => waiting > 900), 'files waited their turn');
  assert.deepEqual(
    [outcome.progress.loaded, outcome.progress.total, outcome.progress.fraction, outcome.progress.files.done],
    [1_500_000_000, 1_500_000_000, 1, 1000],
  );
  await assertStored(outcome.ends.map((e, i) => ({ name: specs[i][0], size: specs[i][1], key: e.key })));
  assert.deepEqual(errors, []);
  await page.close();
});

test('a store answering 503 SlowDown with Retry-After: 2 for 5 s: every upload waits it out and completes', { timeout: 180_000 }, async () => {
  const { page, errors } = await queuePage();
  await proxy.reset();
  const specs = [['slow-a.bin', 900_000], ['slow-b.bin', 2 * MIB], ['slow-c.bin', 3 * MIB], ['slow-d.bin', 12 * MIB]];
  await proxy.faults({ match: 'slow-', method: 'PUT', status: 503, code: 'SlowDown', message: 'Please reduce your request rate.', retryAfter: '2', forMs: 5000 });
  const outcome = await page.evaluate(async (specs) => {
    const files = await window.makeFiles(specs);
    const waits = [];
    const batch = new window.Uploader({}).uploadAll(files, {
      fileType: 'demo',
      multipartThreshold: 5 * 1024 * 1024,
      partSize: 5 * 1024 * 1024,
      onFileProgress: (p, index) => p.waiting && waits.push([index, p.waiting.reason, p.waiting.retryInMs]),
      onFileStateChange: (state, index) => state === 'queued' && waits.push([index, 'state']),
    });
    const { files: ends } = await batch.result;
    return { ends: ends.map((e) => ({ state: e.state, key: e.result?.key, message: e.error?.message })), waits };
  }, specs);
  assert.deepEqual(outcome.ends.map((e) => e.state), ['done', 'done', 'done', 'done'], JSON.stringify(outcome.ends));
  await assertStored(outcome.ends.map((e, i) => ({ name: specs[i][0], size: specs[i][1], key: e.key })));
  // Each upload showed its wait: `queued`, with the reason and the time asked for.
  for (let i = 0; i < specs.length; i++) {
    const mine = outcome.waits.filter(([index]) => index === i);
    assert.ok(mine.some(([, what]) => what === 'state'), `file ${i} went back to queued: ${JSON.stringify(mine)}`);
    assert.ok(mine.some(([, reason, ms]) => reason === 'busy' && ms >= 2000), `file ${i} reported its wait: ${JSON.stringify(mine)}`);
  }
  // The gap between a refused attempt and the next attempt of the same
  // request (a file's PUT, or one part's) is at least the Retry-After.
  const log = (await proxy.log()).filter((e) => e.method === 'PUT' && e.url.includes('slow-'));
  const identity = (url) => `${url.split('?')[0]}#${url.match(/partNumber=(\d+)/)?.[1] ?? ''}`;
  let refused = 0;
  for (const [i, entry] of log.entries()) {
    if (entry.status !== 503) continue;
    refused++;
    assert.equal(entry.retryAfter, '2');
    const next = log.slice(i + 1).find((e) => identity(e.url) === identity(entry.url));
    assert.ok(next, `a retry of ${entry.url}`);
    const gap = next.atMs - entry.atMs;
    assert.ok(gap >= 2000, `retried ${gap.toFixed(0)} ms after a 503 asking for 2 s: ${identity(entry.url)}`);
  }
  assert.ok(refused >= specs.length, `503s answered: ${refused}`);
  console.log(`SlowDown: ${refused} PUTs refused with Retry-After: 2, every retry 2 s or more later`);
  await proxy.reset();
  assert.deepEqual(errors, []);
  await page.close();
});

// An HS256 JWT for `sub`, signed with `secret`.
function jwt(secret, sub) {
  const part = (obj) => Buffer.from(JSON.stringify(obj)).toString('base64url');
  const body = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub, exp: Math.floor(Date.now() / 1000) + 3600 })}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

test("a signer's 429 with Retry-After (its rate limit, JWT users) is waited out as asked", { timeout: 180_000 }, async () => {
  const secret = `e2e-queue-${randomBytes(16).toString('hex')}`;
  const limited = await startServer(['--rate-limit', '1', '--rate-burst', '1'], {
    wwwDir: join(work, 'www'),
    env: { PRESIGN_JWT_SECRET: secret },
  });
  const page = await browser.newPage();
  try {
    const signer = [];
    page.on('request', (r) => r.url().includes('/api/') && signer.push({ at: Date.now(), what: 'request', path: new URL(r.url()).pathname }));
    page.on('response', (r) => r.url().includes('/api/') && signer.push({
      at: Date.now(), what: 'response', status: r.status(), retryAfter: r.headers()['retry-after'], path: new URL(r.url()).pathname,
    }));
    await page.goto(`${limited.url}/queue.html`);
    await page.waitForFunction(() => window.ready);
    const specs = [['limited.bin', 12 * MIB]];
    const outcome = await page.evaluate(async ([specs, token]) => {
      const [file] = await window.makeFiles(specs);
      const reasons = [];
      try {
        const result = await new window.Uploader({ token }).upload(file, {
          fileType: 'demo', multipartThreshold: 5 * 1024 * 1024, partSize: 5 * 1024 * 1024,
          onProgress: (p) => p.waiting && reasons.push(p.waiting.reason),
        });
        return { ok: true, key: result.key, reasons };
      } catch (e) {
        return { ok: false, code: e.code, message: e.message, reasons };
      }
    }, [specs, jwt(secret, 'queue-e2e')]);
    assert.ok(outcome.ok, JSON.stringify(outcome));
    assert.ok(outcome.reasons.includes('rate_limited'), JSON.stringify(outcome.reasons));
    await assertStored([{ name: specs[0][0], size: specs[0][1], key: outcome.key }], limited.dataDir);
    // One upload's signer calls go one after another: after each 429, the
    // next call comes no sooner than its Retry-After asked.
    const limitedAnswers = signer.filter((e) => e.what === 'response' && e.status === 429);
    assert.ok(limitedAnswers.length >= 1, JSON.stringify(signer));
    for (const answer of limitedAnswers) {
      assert.ok(Number(answer.retryAfter) >= 1, JSON.stringify(answer));
      const next = signer.find((e) => e.what === 'request' && e.at > answer.at);
      assert.ok(next, 'a request after the 429');
      const gap = next.at - answer.at;
      // Playwright timestamps the answer when its headers reach it: a few
      // ms after the client read them.
      assert.ok(gap >= Number(answer.retryAfter) * 1000 - 50, `asked again ${gap} ms after a 429 asking for ${answer.retryAfter} s`);
    }
    console.log(`signer 429: ${limitedAnswers.length} answers with Retry-After waited out; upload stored`);
  } finally {
    await page.close();
    await limited.stop();
  }
});

test('cancel all while 200 files wait: nothing is written afterwards, no multipart upload stays open', { timeout: 180_000 }, async () => {
  const { page, errors } = await queuePage();
  await proxy.reset();
  // Slow PUTs, so that most files are still waiting when the batch is cancelled.
  await proxy.faults({ match: 'cancel-', method: 'PUT', delayMs: 300, forMs: 120_000 });
  const specs = [
    ...Array.from({ length: 6 }, (_, i) => [`cancel-big-${i}.bin`, 11 * MIB]),
    ...Array.from({ length: 214 }, (_, i) => [`cancel-${i}.bin`, 100_000]),
  ];
  const before = storeContents().objects.length;
  const outcome = await page.evaluate(async (specs) => {
    const files = await window.makeFiles(specs);
    let completed = 0;
    let cancelled = null;
    const batch = new window.Uploader({}).uploadAll(files, {
      fileType: 'demo',
      multipartThreshold: 5 * 1024 * 1024,
      partSize: 5 * 1024 * 1024,
      onFileComplete: () => {
        if (++completed === 3) {
          cancelled = batch.progress.files;
          batch.cancel();
        }
      },
    });
    const { files: ends, progress } = await batch.result;
    return { cancelled, progress: progress.files, ends: ends.map((e) => ({ state: e.state, key: e.result?.key, code: e.error?.code })) };
  }, specs);
  console.log(`cancel all: at the cancel ${JSON.stringify(outcome.cancelled)}; at the end ${JSON.stringify(outcome.progress)}`);
  assert.ok(outcome.cancelled.waiting >= 200, `waiting at the cancel: ${outcome.cancelled.waiting}`);
  const done = outcome.ends.filter((e) => e.state === 'done');
  assert.equal(done.length + outcome.ends.filter((e) => e.state === 'aborted').length, specs.length, JSON.stringify(outcome.progress));
  assert.ok(outcome.ends.filter((e) => e.state === 'aborted').length >= 200);
  // A PUT the proxy had already read in full when the cancel came is still
  // forwarded after its delay (as a request already sent over a real
  // network lands): give those 1 s. From then on nothing is written, and
  // nothing beyond the files stored or running when the cancel came.
  await new Promise((r) => setTimeout(r, 1000));
  const settled = storeContents().objects.length;
  await new Promise((r) => setTimeout(r, 2000));
  const after = storeContents();
  assert.equal(after.objects.length, settled, 'no object written after the cancel');
  assert.ok(settled - before <= outcome.cancelled.done + outcome.cancelled.running,
    `objects written: ${settled - before}, stored or running at the cancel: ${outcome.cancelled.done + outcome.cancelled.running}`);
  assert.deepEqual(after.open, [], 'no multipart upload open in the store');
  assert.equal(await openMultipart(), 0, "the signer's open multipart uploads");
  await proxy.reset();
  assert.deepEqual(errors, []);
  await page.close();
});

test("a small file after a 10 GiB one gets the next request slot, not the large file's queued parts", { timeout: 180_000 }, async () => {
  const { page, errors } = await queuePage();
  await proxy.reset();
  // The large file's parts take 2 s each at the proxy: its 16 parts in
  // flight hold every request slot, the rest of them queued for one.
  await proxy.faults({ match: 'huge.bin', method: 'PUT', delayMs: 2000, forMs: 120_000 });
  const puts = [];
  page.on('request', (r) => r.method() === 'PUT' && puts.push({ at: Date.now(), huge: r.url().includes('huge.bin') }));
  let signedSmall = null;
  page.on('response', (r) => {
    if (r.url().includes('/api/get-upload-url') && signedSmall === null) signedSmall = Date.now();
  });
  const outcome = await page.evaluate(async () => {
    const inFlight = window.countXhrs();
    const [small] = await window.makeFiles([['small-one.bin', 1_500_000]]);
    const chunk = new Blob([new Uint8Array(64 * 1024 * 1024)]);
    const huge = new File(Array.from({ length: 160 }, () => chunk), 'huge.bin'); // 10 GiB, one 64 MiB buffer
    const uploader = new window.Uploader({});
    const big = uploader.start(huge, { fileType: 'demo', concurrency: 16 });
    big.result.catch(() => {});
    // Once the large file has parts in flight, the small one is dropped.
    await new Promise((resolve) => {
      const check = setInterval(() => { if (big.state === 'uploading') { clearInterval(check); resolve(); } }, 50);
    });
    await new Promise((r) => setTimeout(r, 2500));
    const result = await uploader.upload(small, { fileType: 'demo' });
    const bigState = big.state;
    big.abort();
    const bigEnd = await big.result.then(() => 'done', (e) => e.code);
    return { key: result.key, bigState, bigEnd, maxInFlight: inFlight.max };
  });
  const { maxInFlight } = outcome;
  assert.equal(outcome.bigState, 'uploading', 'the large file was still uploading when the small one was stored');
  assert.equal(outcome.bigEnd, 'aborted');
  await assertStored([{ name: 'small-one.bin', size: 1_500_000, key: outcome.key }]);
  const smallPut = puts.find((p) => !p.huge);
  assert.ok(smallPut && signedSmall, JSON.stringify({ smallPut, signedSmall, puts: puts.slice(0, 40) }));
  const overtaking = puts.filter((p) => p.huge && p.at > signedSmall && p.at < smallPut.at).length;
  console.log(`small after huge: ${overtaking} large-file parts started between the small file's signing and its PUT; ${maxInFlight} PUTs in flight at most`);
  assert.ok(overtaking <= 2, `large-file parts started before the small file's PUT: ${overtaking}`);
  // 16 parts wanted at once; the uploader's requests in flight stay within its 6.
  assert.ok(maxInFlight <= 6, `PUTs in flight at once: ${maxInFlight}`);
  // The aborted large upload leaves nothing open.
  const deadline = Date.now() + 10_000;
  while ((await openMultipart()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.equal(await openMultipart(), 0);
  await proxy.reset();
  assert.deepEqual(errors, []);
  await page.close();
});

// A page with the widget, for the tests below.
const WIDGET_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>widget queue</title>
<script type="module" src="/pkg/widget/presigned-upload-element.js"></script>
<script type="module">
  const stamp = (name) => new TextEncoder().encode(name.padEnd(${STAMP}, '.').slice(0, ${STAMP}));
  let base;
  window.makeFiles = async (specs) => {
    base ??= await (await fetch('/base.bin')).blob();
    return specs.map(([name, size]) => new File([stamp(name), base.slice(0, size - ${STAMP})], name));
  };
  window.completed = [];
  window.failed = [];
  const widget = document.querySelector('presigned-upload');
  widget.addEventListener('upload-complete', (e) => window.completed.push({ name: e.detail.file.name, key: e.detail.result.key }));
  widget.addEventListener('upload-error', (e) => window.failed.push({ name: e.detail.file.name, code: e.detail.error.code, message: e.detail.error.message }));
  // Drops files on the widget as a browser does.
  window.transferOf = (files) => {
    const transfer = new DataTransfer();
    for (const file of files) transfer.items.add(file);
    return transfer;
  };
  window.drop = (files) => window.dropTransfer(window.transferOf(files));
  window.dropTransfer = (transfer) => {
    const zone = widget.shadowRoot.querySelector('[part~="dropzone"]');
    for (const type of ['dragenter', 'dragover', 'drop']) {
      zone.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true, composed: true }));
    }
  };
  window.rowCount = () => widget.shadowRoot.querySelectorAll('[part~="file"]').length;
  window.summary = () => widget.shadowRoot.querySelector('[part~="summary-text"]').textContent;
</script></head><body><main><h1>Widget queue</h1>
<presigned-upload multiple file-type="demo"></presigned-upload></main></body></html>`;

async function widgetPage() {
  writeFileSync(join(work, 'www', 'widget-queue.html'), WIDGET_PAGE);
  const page = await browser.newPage({ viewport: { width: 800, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  await page.goto(`${server.url}/widget-queue.html`);
  await page.waitForFunction(() => customElements.get('presigned-upload') && window.drop);
  return { page, errors };
}

test("250 files dropped on the widget while another tab uploads too: all stored, the signer's cap of 20 open uploads holds, rows stay few", { timeout: 600_000 }, async () => {
  await proxy.reset();
  // The other tab: ten multipart uploads whose parts crawl, holding ten of
  // the user's 20 open-upload slots.
  await proxy.faults({ match: 'tabb-', method: 'PUT', delayMs: 1500, forMs: 30_000 });
  const other = await queuePage();
  const capped = { tab: 0, widget: 0 };
  other.page.on('response', (r) => r.url().endsWith('/api/multipart') && r.status() === 429 && capped.tab++);
  const otherSpecs = Array.from({ length: 10 }, (_, i) => [`tabb-${i}.bin`, 12 * MIB]);
  await other.page.evaluate(async (specs) => {
    const files = await window.makeFiles(specs);
    window.otherBatch = new window.Uploader({ maxConcurrentFiles: 10 }).uploadAll(files, {
      fileType: 'demo', multipartThreshold: 5 * 1024 * 1024, partSize: 5 * 1024 * 1024,
    });
  }, otherSpecs);
  const deadline = Date.now() + 30_000;
  while ((await openMultipart()) < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.equal(await openMultipart(), 10, 'the other tab holds ten open uploads');

  // This tab: 30 files above the multipart threshold first (16 start at
  // once: more than the 10 slots left), then 220 small ones.
  const { page, errors } = await widgetPage();
  page.on('response', (r) => r.url().endsWith('/api/multipart') && r.status() === 429 && capped.widget++);
  const specs = [
    ['w-big-00.bin', 40 * MIB],
    ...Array.from({ length: 29 }, (_, i) => [`w-big-${String(i + 1).padStart(2, '0')}.bin`, 6 * MIB + i * 211_111]),
    ...Array.from({ length: 220 }, (_, i) => [`w-small-${String(i).padStart(3, '0')}.bin`, 1024 + ((i * 7919) % 2) * 1_000_000 + i * 4_567]),
  ];
  await page.evaluate(async (specs) => {
    const widget = document.querySelector('presigned-upload');
    widget.uploaderOptions = { maxConcurrentFiles: 16 };
    widget.uploadOptions = { multipartThreshold: 5 * 1024 * 1024, partSize: 5 * 1024 * 1024 };
    window.files = await window.makeFiles(specs);
  }, specs);
  let maxOpen = 0;
  let maxRows = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      maxOpen = Math.max(maxOpen, await openMultipart());
      maxRows = Math.max(maxRows, await page.evaluate(() => window.rowCount()));
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  await page.evaluate(() => window.drop(window.files));
  // Waiting files say so, and the summary counts them.
  await page.waitForFunction(() => [...document.querySelector('presigned-upload').shadowRoot.querySelectorAll('[part~="file"]')]
    .some((row) => row.dataset.state === 'queued' && row.querySelector('[part~="phase"]').textContent === 'Waiting'));
  assert.match(await page.evaluate(() => window.summary()), /^\d+ of 250 uploaded$/);
  const violations = await checkAxe(page);
  await page.waitForFunction(() => window.completed.length + window.failed.length === 250, null, { timeout: 540_000, polling: 250 });
  const otherEnds = await other.page.evaluate(async () => (await window.otherBatch.result).files.map((f) => ({ state: f.state, key: f.result?.key })));
  sampling = false;
  await sampler;
  const { completed, failed, summary, rows } = await page.evaluate(() => ({
    completed: window.completed, failed: window.failed, summary: window.summary(), rows: window.rowCount(),
  }));
  console.log(`250 files on the widget: ${completed.length} stored, ${failed.length} failed; at most ${maxOpen} open multipart uploads, ` +
    `${maxRows} rows drawn; 429s to creates: ${capped.widget} in the widget, ${capped.tab} in the other tab`);
  assert.deepEqual(failed, []);
  assert.equal(completed.length, 250);
  assert.equal(summary, '250 of 250 uploaded');
  assert.ok(maxOpen <= 20, `open multipart uploads at most ${maxOpen}`);
  assert.ok(capped.widget + capped.tab > 0, "the signer's cap was reached (and waited out)");
  assert.ok(maxRows <= 50 && rows <= 50, `rows drawn: at most ${maxRows}, ${rows} at the end`);
  assert.deepEqual(otherEnds.map((e) => e.state), Array(10).fill('done'));
  const size = Object.fromEntries(specs);
  await assertStored(completed.map(({ name, key }) => ({ name, size: size[name], key })));
  await assertStored(otherEnds.map(({ key }, i) => ({ name: otherSpecs[i][0], size: otherSpecs[i][1], key })));
  assert.deepEqual(violations, []);
  assert.deepEqual([...errors, ...other.errors], []);
  await proxy.reset();
  await other.page.close();
  await page.close();
});

test('1,000 files dropped on the widget: no long task while they are added, a few rows drawn, all stored', { timeout: 300_000 }, async () => {
  const { page, errors } = await widgetPage();
  const specs = Array.from({ length: 1000 }, (_, i) => [`tiny-${String(i).padStart(4, '0')}.bin`, 1024 + i * 9]);
  await page.evaluate(async (specs) => { window.files = await window.makeFiles(specs); }, specs);
  const adding = await page.evaluate(async () => {
    const longTasks = [];
    new PerformanceObserver((list) => longTasks.push(...list.getEntries().map((e) => [e.startTime, e.duration])))
      .observe({ type: 'longtask' });
    // The browser makes a drop's DataTransfer (in a task before the drop's).
    const transfer = window.transferOf(window.files);
    await new Promise((r) => setTimeout(r, 0));
    const t0 = performance.now();
    window.dropTransfer(transfer);
    const dropped = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 500));
    const t1 = performance.now();
    return { dropped, rows: window.rowCount(), long: longTasks.filter(([start, d]) => start < t1 && start + d > t0) };
  });
  console.log(`1,000 files dropped on the widget: the drop handler took ${adding.dropped.toFixed(1)} ms; ${adding.rows} rows drawn`);
  assert.deepEqual(adding.long, [], 'no long task while the files were added');
  assert.ok(adding.rows <= 50, `rows drawn: ${adding.rows}`);
  await page.waitForFunction(() => window.completed.length + window.failed.length === 1000, null, { timeout: 280_000, polling: 250 });
  const { completed, failed, summary, rows } = await page.evaluate(() => ({
    completed: window.completed, failed: window.failed, summary: window.summary(), rows: window.rowCount(),
  }));
  assert.deepEqual(failed, []);
  assert.equal(summary, '1000 of 1000 uploaded');
  assert.ok(rows <= 50, `rows at the end: ${rows}`);
  const size = Object.fromEntries(specs);
  await assertStored(completed.map(({ name, key }) => ({ name, size: size[name], key })));
  assert.deepEqual(errors, []);
  await page.close();
});

/** axe-core's serious and critical violations on the page, light and dark (and screenshots of the widget's batch). */
async function checkAxe(page) {
  const { checkStateLooks } = await import('./widget-page.mjs');
  return checkStateLooks(page, 'batch');
}
