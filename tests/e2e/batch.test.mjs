// End to end: many small files uploaded at once by one Uploader (16 running
// at a time through its queue) are signed and confirmed in batches
// (`POST /api/get-upload-urls`,
// `POST /api/files-uploaded`), every file is stored byte for byte (SHA-256
// of the downloaded copy), and a signer without the batch endpoints (404, as
// the seed's Flask signer answers) gets one request per file instead, with
// the uploads unharmed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setUp, tearDown } from './fixture.mjs';
import { download } from './page_upload.mjs';

let server;
let browser;
let work;

before(async () => ({ server, browser, work } = await setUp('presign-e2e-batch-')));
after(() => tearDown({ server, browser, work }));

const sha256 = (buf) => createHash('sha256').update(buf).digest('base64');

/** `count` files of 1 to 300 kB in the work folder: their paths and bytes. */
function makeFiles(count, tag) {
  return Array.from({ length: count }, (_, i) => {
    const bytes = randomBytes(1000 + ((i * 7919) % 300_000));
    const path = join(work, `${tag}-${i}.bin`);
    writeFileSync(path, bytes);
    return { path, bytes };
  });
}

/** A page of the demo origin that counts the signing and confirming
 * requests: files sent alone (get-upload-url, file-uploaded) and in batches
 * (get-upload-urls, files-uploaded: their sizes). */
async function countingPage() {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('page error:', e));
  const signing = { alone: 0, batches: [] };
  const confirming = { alone: 0, batches: [] };
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    const batch = () => JSON.parse(r.postData()).files.length;
    if (path === '/api/get-upload-url') signing.alone += 1;
    if (path === '/api/get-upload-urls') signing.batches.push(batch());
    if (path === '/api/file-uploaded') confirming.alone += 1;
    if (path === '/api/files-uploaded') confirming.batches.push(batch());
  });
  await page.goto(`${server.url}/`);
  await page.evaluate(() => {
    const input = Object.assign(document.createElement('input'), { type: 'file', id: 'e2e-files', multiple: true });
    document.body.append(input);
  });
  return { page, signing, confirming };
}

const files = (counts) => counts.alone + counts.batches.reduce((a, b) => a + b, 0);
const requests = (counts) => counts.alone + counts.batches.length;
const reset = (...counts) => counts.forEach((c) => { c.alone = 0; c.batches.length = 0; });

/** Uploads every file in the input at once with one Uploader (16 files
 * running at a time, the others queued); each outcome. */
function uploadAll(page, options) {
  return page.evaluate(async (options) => {
    const { default: init, Uploader } = await import('/pkg/presigned_upload.js');
    await init();
    const uploader = new Uploader({ maxConcurrentFiles: 16 });
    const files = [...document.getElementById('e2e-files').files];
    return Promise.all(files.map((f) => uploader.upload(f, { fileType: 'demo', ...options }).then(
      (r) => ({ ok: true, name: f.name, key: r.key, size: r.size }),
      (e) => ({ ok: false, name: f.name, code: e.code, message: e.message }),
    )));
  }, options);
}

async function assertStored(files, outcomes) {
  assert.equal(outcomes.length, files.length);
  for (const [i, outcome] of outcomes.entries()) {
    assert.ok(outcome.ok, JSON.stringify(outcome));
    assert.equal(outcome.size, files[i].bytes.length);
    assert.equal(sha256(await download(server.url, outcome.key)), sha256(files[i].bytes), outcome.name);
  }
}

test('40 files at once are signed and confirmed in batches, and stored byte for byte', { timeout: 120_000 }, async () => {
  const { page, signing, confirming } = await countingPage();
  try {
    // Without checksums the 16 files that start at once are ready to be
    // signed at once: one batch (or a first file alone, then one batch of
    // the rest); the files that start as others end go together too.
    const unhashed = makeFiles(40, 'off');
    await page.setInputFiles('#e2e-files', unhashed.map((f) => f.path));
    await assertStored(unhashed, await uploadAll(page, { checksum: false }));
    console.log(`checksum off: signing ${JSON.stringify(signing)}, confirming ${JSON.stringify(confirming)}`);
    assert.equal(files(signing), 40, JSON.stringify(signing));
    assert.ok(Math.max(...signing.batches) >= 15, JSON.stringify(signing));
    assert.ok(requests(signing) <= 10, JSON.stringify(signing));
    // PUTs end one by one: those that end while a confirmation is out go
    // together in the next.
    assert.equal(files(confirming), 40, JSON.stringify(confirming));
    assert.ok(requests(confirming) < 40, JSON.stringify(confirming));

    // With checksums, files are ready as their hashes finish: the ones
    // done while a signing request is out go together in the next.
    reset(signing, confirming);
    const hashed = makeFiles(40, 'on');
    await page.setInputFiles('#e2e-files', hashed.map((f) => f.path));
    await assertStored(hashed, await uploadAll(page, {}));
    console.log(`checksum on: signing ${JSON.stringify(signing)}, confirming ${JSON.stringify(confirming)}`);
    assert.equal(files(signing), 40, JSON.stringify(signing));
    assert.equal(files(confirming), 40, JSON.stringify(confirming));
  } finally {
    await page.close();
  }
});

test('a signer without the batch endpoints gets one request per file', { timeout: 120_000 }, async () => {
  const { page, signing, confirming } = await countingPage();
  try {
    // The seed's Flask signer answers an unknown path with 404 and HTML.
    const notFound = (route) => route.fulfill({ status: 404, contentType: 'text/html', body: '<h1>Not Found</h1>' });
    await page.route('**/api/get-upload-urls', notFound);
    await page.route('**/api/files-uploaded', notFound);
    const made = makeFiles(12, 'fallback');
    await page.setInputFiles('#e2e-files', made.map((f) => f.path));
    await assertStored(made, await uploadAll(page, { checksum: false }));
    console.log(`fallback: signing ${JSON.stringify(signing)}, confirming ${JSON.stringify(confirming)}`);
    // At most one batch of each kind tried (refused), then every file alone.
    for (const counts of [signing, confirming]) {
      assert.ok(counts.batches.length <= 1, JSON.stringify(counts));
      // Each file alone exactly once (a refused batch's files are sent again alone).
      assert.equal(counts.alone, 12, JSON.stringify(counts));
    }
    assert.equal(signing.batches.length, 1, JSON.stringify(signing));
  } finally {
    await page.close();
  }
});
