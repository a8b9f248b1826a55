// End to end: the <presigned-upload> widget (pkg/widget/, release wasm) on a
// page of its own, against a real presign-server --dev whose store is reached
// through the fault proxy (to slow parts down where a test must catch an
// upload in flight, and to count what was sent). Screenshots of the idle,
// in-progress and done states land in artifacts/ (light and dark), and
// axe-core checks each state.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tearDown } from './fixture.mjs';
import {
  artifacts, assertStored, checkStateLooks, dropGenerated, events, recordEvents, rowReaches, rows, settled, setUpWidget, sha256,
  widgetPage as openWidgetPage,
} from './widget-page.mjs';

const MIB = 1024 * 1024;
// The signer's policy: file type "small" takes at most 1 MB (for the 413).
const POLICY = '[policy.file_types.small]\nmax_size = 1000000\n';
let proxy;
let server;
let browser;
let work;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  ({ proxy, server, browser, work } = await setUpWidget('presign-widget-', POLICY));
});
after(() => tearDown({ proxy, server, browser, work }));

// A page of the signer's origin holding `body`, with the widget's module.
const widgetPage = (body) => openWidgetPage({ browser, server, work }, body);

// The composite checksum S3 computes: SHA-256 over the parts' raw digests, "-N".
function composite(bytes, partSize) {
  const digests = [];
  for (let o = 0; o < bytes.length; o += partSize) digests.push(sha256(bytes.subarray(o, o + partSize), 'buffer'));
  return `${sha256(Buffer.concat(digests), 'base64')}-${digests.length}`;
}

// Multipart files still open in the embedded store (s3s-fs keeps each upload's
// parts and metadata as dot files in its root folder).
const openInStore = () => readdirSync(join(server.dataDir, 'store')).filter((f) => f.startsWith('.upload'));

test('three files dropped at once (DataTransfer) upload, each stored byte for byte; idle, in-progress and done pass axe', { timeout: 240_000 }, async () => {
  const { page, errors } = await widgetPage('<presigned-upload multiple file-type="widget"></presigned-upload>');
  await recordEvents(page);
  const violations = await checkStateLooks(page, 'idle');

  // The multipart file's first part waits at the proxy, so the in-progress state can be seen.
  await proxy.faults({ match: ['three-c.bin', 'partNumber=1&'], method: 'PUT', delayMs: 2500, times: 1 });
  const specs = [['three-a.bin', 150_000], ['three-b.bin', 3 * 1000 * 1000], ['three-c.bin', 18 * MIB]];
  const hashes = await dropGenerated(page, specs);

  await rowReaches(page, { name: 'three-c.bin', state: 'uploading', minValue: 10 });
  violations.push(...await checkStateLooks(page, 'in-progress'));
  const done = await settled(page, 3);
  violations.push(...await checkStateLooks(page, 'done'));

  assert.deepEqual(done.map((r) => [r.name, r.state, r.valueNow, r.error]), specs.map(([name]) => [name, 'done', 100, '']));
  const completes = await events(page, 'upload-complete');
  assert.deepEqual(completes.map((e) => e.name).sort(), specs.map(([n]) => n));
  assert.equal((await events(page, 'upload-start')).length, 3);
  assert.ok((await events(page, 'upload-progress')).length >= 3);
  assert.deepEqual(await events(page, 'upload-error'), []);
  for (const [name, size] of specs) {
    const row = done.find((r) => r.name === name);
    assert.match(row.key, new RegExp(`^users/dev/widget/\\d{4}-\\d{2}-\\d{2}/[0-9a-f]{32}-${name.replace('.', '\\.')}$`));
    const bytes = await assertStored(row.href, hashes[name], size);
    const result = completes.find((e) => e.name === name).result;
    assert.equal(result.key, row.key);
    if (size > 16 * MIB) assert.equal(result.checksumSha256, composite(bytes, 8 * MIB));
    else assert.equal(result.sha256, sha256(bytes, 'base64'));
  }
  assert.deepEqual(violations, []);
  assert.deepEqual(errors, []);
  await page.close();
});

test('keyboard only: Enter and Space on the drop zone open the chooser; Pause, Resume and the link by keyboard', { timeout: 180_000 }, async () => {
  const { page, errors } = await widgetPage('<presigned-upload file-type="widget"></presigned-upload>');
  const big = randomBytes(20 * MIB);
  const small = randomBytes(40_000);
  writeFileSync(join(work, 'keys-big.bin'), big);
  writeFileSync(join(work, 'keys-small.bin'), small);
  // Slow parts so the upload is still running when Space pauses it.
  await proxy.faults({ match: ['keys-big.bin', 'partNumber='], method: 'PUT', delayMs: 600, times: 3 });
  const focused = () => page.evaluate(() => {
    const el = document.activeElement?.shadowRoot?.activeElement ?? document.activeElement;
    return el?.getAttribute('part') ?? el?.tagName;
  });

  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'dropzone');
  let chooser = page.waitForEvent('filechooser');
  await page.keyboard.press('Enter');
  await (await chooser).setFiles(join(work, 'keys-big.bin'));
  await rowReaches(page, { name: 'keys-big.bin', state: 'uploading' });
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'button pause');
  await page.keyboard.press('Space');
  await rowReaches(page, { name: 'keys-big.bin', state: 'paused' });
  assert.equal(await focused(), 'button resume', 'focus moves from Pause to Resume');
  assert.deepEqual((await rows(page))[0].buttons, ['Resume', 'Cancel']);
  await page.keyboard.press('Enter');
  const [big1] = await settled(page, 1);
  assert.equal(big1.state, 'done', big1.error);
  assert.equal(await focused(), 'button remove', 'focus stays in the row when it ends');
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'link');
  await assertStored(big1.href, sha256(big), big.length);

  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Shift+Tab');
  assert.equal(await focused(), 'dropzone');
  chooser = page.waitForEvent('filechooser');
  await page.keyboard.press('Space');
  await (await chooser).setFiles(join(work, 'keys-small.bin'));
  const [, small1] = await settled(page, 2);
  assert.equal(small1.state, 'done', small1.error);
  await assertStored(small1.href, sha256(small), small.length);
  assert.deepEqual(errors, []);
  await page.close();
});

test("an oversize file shows the signer's 413 message; max-size refuses before any request", { timeout: 60_000 }, async () => {
  const { page, errors } = await widgetPage(`
    <presigned-upload id="server" file-type="small"></presigned-upload>
    <presigned-upload id="client" file-type="small" max-size="1000"></presigned-upload>`);
  await recordEvents(page, '#server');
  const bytes = randomBytes(1_500_000);
  writeFileSync(join(work, 'too-big.bin'), bytes);
  // What the signer itself answers for this file.
  const answer = await fetch(`${server.url}/api/get-upload-url`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ filename: 'too-big.bin', file_type: 'small', size: bytes.length }),
  });
  assert.equal(answer.status, 413);
  const { error } = await answer.json();
  assert.equal(error.code, 'too_large');

  await page.setInputFiles('#server input[type=file]', join(work, 'too-big.bin'));
  const [row] = await settled(page, 1, { widget: '#server' });
  assert.equal(row.state, 'failed');
  assert.equal(row.code, 'too_large');
  assert.equal(row.error, `File too large: ${error.message}`);
  assert.deepEqual(row.buttons, ['Retry', 'Remove']);
  const [failure] = await events(page, 'upload-error');
  assert.deepEqual([failure.code, failure.status, failure.isUploadError, failure.message], ['too_large', 413, true, error.message]);
  const violations = await checkStateLooks(page, 'error');

  await proxy.reset();
  await page.setInputFiles('#client input[type=file]', join(work, 'too-big.bin'));
  const [refused] = await settled(page, 1, { widget: '#client' });
  assert.equal(refused.code, 'too_large');
  assert.equal(refused.error, 'File too large: too-big.bin is 1.5 MB; the limit is 1.0 kB.');
  assert.deepEqual(refused.buttons, ['Remove']);
  assert.deepEqual(await proxy.log(), [], 'a refused file sends nothing to the store');
  assert.deepEqual(violations, []);
  assert.deepEqual(errors, []);
  await page.close();
});

test('cancel aborts the multipart upload (signer and store keep nothing open); retry then stores it', { timeout: 180_000 }, async () => {
  const { page, errors } = await widgetPage('<presigned-upload file-type="widget"></presigned-upload>');
  await recordEvents(page);
  const bytes = randomBytes(40 * MIB);
  writeFileSync(join(work, 'cancel-me.bin'), bytes);
  await proxy.reset();
  await proxy.faults({ match: ['cancel-me.bin', 'partNumber='], method: 'PUT', delayMs: 400, times: 8 });
  await page.setInputFiles('presigned-upload input[type=file]', join(work, 'cancel-me.bin'));
  // At least one part stored before the cancel.
  await page.waitForFunction(() => window.events.some((e) => e.type === 'upload-progress' && e.uploadId), null, { polling: 50 });
  await rowReaches(page, { name: 'cancel-me.bin', state: 'uploading', minValue: 25 });
  assert.ok(openInStore().length > 0, 'the store holds the open upload before the cancel');
  const uploadId = (await events(page, 'upload-progress')).find((e) => e.uploadId).uploadId;

  await page.click('presigned-upload button.cancel');
  const [row] = await settled(page, 1);
  assert.deepEqual([row.state, row.code, row.buttons], ['aborted', 'aborted', ['Retry', 'Remove']]);
  const [cancelled] = await events(page, 'upload-error');
  assert.equal(cancelled.code, 'aborted');
  // The signer forgot the upload; the store holds none of its parts. A part
  // PUT the cancel cut off may still be draining through the proxy: wait for
  // the store to settle rather than for a fixed time.
  const parts = await fetch(`${server.url}/api/multipart/${uploadId}/parts`);
  assert.equal(parts.status, 404);
  await assert.doesNotReject(waitUntil(() => openInStore().length === 0, 10_000), `left in the store: ${openInStore()}`);

  await page.click('presigned-upload button.retry');
  const [retried] = await settled(page, 1);
  assert.equal(retried.state, 'done', retried.error);
  await assertStored(retried.href, sha256(bytes), bytes.length);
  assert.deepEqual(openInStore(), []);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the element tolerates a second copy of its module and more names', { timeout: 30_000 }, async () => {
  const { page, errors } = await widgetPage('<presigned-upload file-type="widget"></presigned-upload>');
  const result = await page.evaluate(async () => {
    const first = await import('/pkg/widget/presigned-upload-element.js');
    const copy = await import('/pkg/widget/presigned-upload-element.js?copy'); // a second module instance
    const acme = copy.define('acme-upload');
    const again = copy.define('acme-upload');
    const el = document.createElement('acme-upload');
    document.body.append(el);
    return {
      sameDefault: first.define() === customElements.get('presigned-upload'),
      copyKeepsDefault: copy.define() === customElements.get('presigned-upload'),
      acmeDefined: acme === customElements.get('acme-upload') && acme === again,
      acmeRenders: Boolean(el.shadowRoot?.querySelector('[part~="dropzone"]')),
    };
  });
  assert.deepEqual(result, { sameDefault: true, copyKeepsDefault: true, acmeDefined: true, acmeRenders: true });
  assert.deepEqual(errors, []);
  await page.close();
});

// Resolves once `condition()` holds, checking every 50 ms; rejects after `ms`.
function waitUntil(condition, ms) {
  return new Promise((ok, fail) => {
    const started = Date.now();
    const check = () => {
      if (condition()) ok();
      else if (Date.now() - started > ms) fail(new Error('condition not reached'));
      else setTimeout(check, 50);
    };
    check();
  });
}

test("an uploader replaced by a new endpoint is freed once its rows are done: its hash worker stops", { timeout: 120_000 }, async () => {
  const { page, errors } = await widgetPage('<presigned-upload file-type="widget"></presigned-upload>');
  const first = randomBytes(MIB);
  const second = randomBytes(MIB + 7);
  writeFileSync(join(work, 'first.bin'), first);
  writeFileSync(join(work, 'second.bin'), second);
  await page.setInputFiles('presigned-upload input[type=file]', join(work, 'first.bin'));
  const [one] = await settled(page, 1);
  assert.equal(one.state, 'done');
  assert.equal(page.workers().length, 1, 'the upload started one hash worker');

  // The same signer by another spelling: a new endpoint, so a new Uploader.
  await page.evaluate((url) => document.querySelector('presigned-upload').setAttribute('endpoint', url), server.url);
  await page.setInputFiles('presigned-upload input[type=file]', join(work, 'second.bin'));
  const [, two] = await settled(page, 2);
  assert.equal(two.state, 'done');
  await assertStored(two.href, sha256(second), second.length);
  // The first uploader's worker is stopped; the second's stays for the next upload.
  const deadline = Date.now() + 10_000;
  while (page.workers().length > 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.equal(page.workers().length, 1, 'one hash worker left');
  assert.deepEqual(errors, []);
  await page.close();
});

test('uploaderOptions reach its Uploader: workers: 0 starts no hash worker, headers go on signer requests', { timeout: 60_000 }, async () => {
  const { page, errors } = await widgetPage('<presigned-upload file-type="widget"></presigned-upload>');
  const sent = [];
  page.on('request', (r) => r.url().includes('/api/') && sent.push(r.headers()['x-widget-test'] ?? null));
  await page.evaluate(() => {
    document.querySelector('presigned-upload').uploaderOptions = { workers: 0, headers: { 'X-Widget-Test': 'yes' } };
  });
  const bytes = randomBytes(MIB + 3);
  writeFileSync(join(work, 'options.bin'), bytes);
  await page.setInputFiles('presigned-upload input[type=file]', join(work, 'options.bin'));
  const [row] = await settled(page, 1);
  assert.equal(row.state, 'done', row.error);
  await assertStored(row.href, sha256(bytes), bytes.length);
  assert.equal(page.workers().length, 0, 'workers: 0 hashes on the main thread');
  assert.ok(sent.length >= 2, `signer requests: ${sent.length}`);
  assert.deepEqual([...new Set(sent)], ['yes'], 'every signer request carries the header');
  assert.deepEqual(errors, []);
  await page.close();
});
