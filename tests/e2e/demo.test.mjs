// End to end: the demo page (release wasm build) uploads a generated 20 MB file
// through its <presigned-upload> widget's file input to the embedded store;
// the object is downloaded back through the widget's link and its SHA-256
// compared with the file's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setUp, tearDown } from './fixture.mjs';
import { settled } from './widget-page.mjs';

const artifacts = resolve(import.meta.dirname, '..', '..', 'artifacts');
let server;
let browser;
let work;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  ({ server, browser, work } = await setUp('presign-e2e-files-'));
});
after(() => tearDown({ server, browser, work }));

function sha256(buf, encoding) {
  return createHash('sha256').update(buf).digest(encoding);
}

// Uploads `size` random bytes through the demo page's widget and checks the
// stored object byte for byte (SHA-256 of the downloaded copy).
async function uploadThroughDemo(size, name, screenshot) {
  const bytes = randomBytes(size);
  const file = join(work, name);
  writeFileSync(file, bytes);

  const page = await browser.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e));
  await page.goto(server.url + '/');
  await page.setInputFiles('presigned-upload input[type=file]', file);

  const [row] = await settled(page, 1);
  assert.equal(row.state, 'done', `upload failed: ${row.error}\n${server.logs()}`);
  await page.screenshot({ path: join(artifacts, screenshot), fullPage: true });

  const key = row.key;
  const escaped = name.replace(/[()[\].]/g, '\\$&');
  assert.match(key, new RegExp(`^users/dev/demo/\\d{4}-\\d{2}-\\d{2}/[0-9a-f]{32}-${escaped}$`));
  assert.equal(row.valueNow, 100);

  // The store's own record of the object, through the signer.
  const info = await fetch(server.url + '/api/file-uploaded', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ key, file_type: 'demo' }),
  });
  assert.equal(info.status, 200);
  const meta = await info.json();
  assert.equal(meta.size, bytes.length);

  // The bytes themselves, through the widget's download link.
  const href = row.href;
  assert.ok(href && href.startsWith('http'), `download link: ${href}`);
  const res = await fetch(href);
  assert.equal(res.status, 200);
  const got = Buffer.from(await res.arrayBuffer());
  assert.equal(got.length, bytes.length);
  assert.equal(sha256(got, 'hex'), sha256(bytes, 'hex'));

  // What the demo page listed from the widget's upload-complete event.
  const shown = (await page.locator(`#stored dd[data-key="${key}"] .sha256`).textContent()).trim();
  assert.deepEqual(pageErrors, []);
  await page.close();
  return { bytes, meta, shown };
}

test('demo page uploads a 20 MB file whose stored bytes match', { timeout: 180_000 }, async () => {
  const { bytes, meta, shown } = await uploadThroughDemo(20 * 1000 * 1000, 'ecu dump (20MB).bin', 'e2e-demo-done.png');
  // 20 MB is above the 16 MiB threshold: multipart, 3 parts of 8 MiB.
  assert.ok(shown.startsWith(sha256(bytes, 'base64')), shown);
  assert.match(shown, /composite .+-3\)$/);
  assert.ok(meta.sha256 === sha256(bytes, 'base64') || /-3$/.test(meta.sha256), meta.sha256);
});

test('demo page uploads a 200 MiB file through multipart', { timeout: 360_000 }, async () => {
  const { bytes, shown } = await uploadThroughDemo(200 * 1024 * 1024, 'big-200MiB.bin', 'e2e-demo-200mib-done.png');
  assert.ok(shown.startsWith(sha256(bytes, 'base64')), shown);
  assert.match(shown, /composite .+-25\)$/);
});
