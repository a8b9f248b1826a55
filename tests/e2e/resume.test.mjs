// End to end: resume after a page reload. The demo page's widget starts a 200 MiB
// multipart upload; at about half the page is reloaded and the same file is
// chosen again. The upload must complete with the right bytes, and what the
// browser sent after the reload — counted at the store's side, by the proxy
// in front of it — must be at most the remaining bytes plus the parts that
// were in flight: remaining + (concurrency + 1) × partSize. Then the rows
// the widget shows after a reload for unfinished uploads: Choose file (the
// same file resumes in place, another is refused) and Discard.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setUp, tearDown } from './fixture.mjs';
import { assertStored, checkStateLooks, rowReaches, rows, settled, sha256 } from './widget-page.mjs';

const MIB = 1024 * 1024;
const SIZE = 200 * MIB;
const PART = 8 * MIB; // the demo's default part size
const CONCURRENCY = 4; // the demo's default
let proxy;
let server;
let browser;
let work;

before(async () => ({ proxy, server, browser, work } = await setUp('presign-e2e-resume-', { proxied: true })));
after(() => tearDown({ proxy, server, browser, work }));

const partNumber = (url) => Number(new URL(url, 'http://x').searchParams.get('partNumber'));
const partSize = (n) => Math.min(PART, SIZE - (n - 1) * PART);

test('a 200 MiB upload resumes after a page reload and sends only what is missing', { timeout: 600_000 }, async () => {
  const bytes = randomBytes(SIZE);
  const file = join(work, 'reload-me.bin');
  writeFileSync(file, bytes);
  // Slow each part a little so that "about half" is easy to catch.
  await proxy.faults({ match: ['reload-me.bin', 'partNumber='], method: 'PUT', delayMs: 150, times: 1000 });

  const page = await browser.newPage();
  await page.goto(server.url + '/');
  await page.setInputFiles('presigned-upload input[type=file]', file);
  // The row's progressbar: 10% before the transfer, then 90% for it; 55 is about half the bytes.
  await rowReaches(page, { name: 'reload-me.bin', minValue: 55 });
  await page.reload();
  const before = (await proxy.log()).filter((e) => e.method === 'PUT' && e.url.includes('reload-me.bin'));
  const storedBefore = new Set(before.filter((e) => e.status === 200).map((e) => partNumber(e.url)));
  await proxy.reset(); // drops the rules (no more delay) and the log
  assert.ok(storedBefore.size >= 5 && storedBefore.size < 25, `parts stored before the reload: ${[...storedBefore]}`);

  // The widget takes the file at once and starts when its wasm has loaded.
  await page.setInputFiles('presigned-upload input[type=file]', file);
  const [row] = await settled(page, 1);
  assert.equal(row.state, 'done', row.error);

  const after = (await proxy.log()).filter((e) => e.method === 'PUT' && e.url.includes('reload-me.bin'));
  const sentAfter = after.reduce((sum, e) => sum + partSize(partNumber(e.url)), 0);
  const remaining = SIZE - [...storedBefore].reduce((sum, n) => sum + partSize(n), 0);
  const bound = remaining + (CONCURRENCY + 1) * PART;
  assert.ok(sentAfter <= bound, `sent ${sentAfter} bytes after the reload; remaining ${remaining}, bound ${bound}`);
  const resent = after.map((e) => partNumber(e.url)).filter((n) => storedBefore.has(n));
  assert.deepEqual(resent, [], 'parts stored before the reload were sent again');

  const href = row.href;
  const got = Buffer.from(await (await fetch(href)).arrayBuffer());
  assert.equal(got.length, SIZE);
  assert.equal(createHash('sha256').update(got).digest('hex'), createHash('sha256').update(bytes).digest('hex'));
  console.log(`resume: ${storedBefore.size} parts stored before the reload; ${sentAfter} bytes sent after (remaining ${remaining}, bound ${bound})`);
  await page.close();
});

test('after a reload the widget offers each unfinished upload: the same file resumes it in place, another is refused, Discard aborts it', { timeout: 600_000 }, async () => {
  const KEEP = 48 * MIB;
  const keepBytes = randomBytes(KEEP);
  const keep = join(work, 'offered.bin');
  const drop = join(work, 'discard-me.bin');
  const other = join(work, 'not-it.bin');
  writeFileSync(keep, keepBytes);
  writeFileSync(drop, randomBytes(24 * MIB));
  writeFileSync(other, randomBytes(3 * MIB));
  // discard-me.bin's parts are slower: it is still unfinished when
  // offered.bin has two parts stored.
  await proxy.faults({ match: ['offered.bin', 'partNumber='], method: 'PUT', delayMs: 400, times: 1000 });
  await proxy.faults({ match: ['discard-me.bin', 'partNumber='], method: 'PUT', delayMs: 1500, times: 1000 });

  const page = await browser.newPage();
  await page.goto(server.url + '/');
  await page.setInputFiles('presigned-upload input.input', [keep, drop]);
  // Reloaded once the store holds two parts of offered.bin, and both uploads are open.
  const storedParts = async (name) => (await proxy.log()).filter((e) => e.method === 'PUT' && e.url.includes(name) && e.status === 200).length;
  for (let tries = 0; (await storedParts('offered.bin')) < 2 || (await openMultipart()) < 2; tries++) {
    assert.ok(tries < 600, 'parts stored within a minute');
    await new Promise((r) => setTimeout(r, 100));
  }
  await page.reload();
  const before = (await proxy.log()).filter((e) => e.method === 'PUT' && e.url.includes('offered.bin'));
  const storedBefore = new Set(before.filter((e) => e.status === 200).map((e) => partNumber(e.url)));
  await proxy.reset();
  assert.ok(storedBefore.size >= 2 && storedBefore.size < 6, `parts of offered.bin stored before the reload: ${[...storedBefore]}`);

  // A row for each, asking for its file; nothing is sent for them.
  await rowReaches(page, { name: 'offered.bin', state: 'resumable' });
  await rowReaches(page, { name: 'discard-me.bin', state: 'resumable' });
  const offered = await rows(page);
  assert.deepEqual(offered.map((r) => [r.name, r.state, r.buttons]).sort(), [
    ['discard-me.bin', 'resumable', ['Choose file', 'Discard']],
    ['offered.bin', 'resumable', ['Choose file', 'Discard']],
  ]);
  const keptRow = offered.find((r) => r.name === 'offered.bin');
  const storedPercent = Math.floor((100 * [...storedBefore].reduce((sum, n) => sum + Math.min(PART, KEEP - (n - 1) * PART), 0)) / KEEP);
  // The row counts the parts the page saved as stored; the store may
  // hold one more whose answer the reload cut off.
  const shown = Number(keptRow.phase.match(/^Unfinished, (\d+)% stored: choose the file again to resume$/)?.[1]);
  assert.ok(shown > 0 && shown <= storedPercent, `${keptRow.phase} (the store held ${storedPercent}%)`);
  assert.equal(keptRow.valueNow, shown);
  assert.match(await status(page), /^2 unfinished uploads can resume: choose their files again\.$/);
  const violations = await checkStateLooks(page, 'resumable');

  // Another file is refused, the row stays; the same file resumes in its place.
  const choose = async (name, path) => {
    const chooser = page.waitForEvent('filechooser');
    await page.locator('presigned-upload').getByRole('button', { name: `Choose file for ${name}, to resume it` }).click();
    await (await chooser).setFiles(path);
  };
  await choose('offered.bin', other);
  await page.waitForFunction(() => document.querySelector('presigned-upload').shadowRoot.querySelector('[part~="status"]').textContent.startsWith('not-it.bin'));
  assert.equal(await status(page), 'not-it.bin is not offered.bin: choose the same file (50.3 MB) to resume it.');
  assert.equal((await rows(page)).find((r) => r.name === 'offered.bin').state, 'resumable');
  await choose('offered.bin', keep);
  await rowReaches(page, { name: 'offered.bin', state: 'done' });
  const after = await rows(page);
  assert.deepEqual(after.map((r) => r.name).sort(), ['discard-me.bin', 'offered.bin'], 'resumed in place, no new row');
  const done = after.find((r) => r.name === 'offered.bin');
  await assertStored(done.href, sha256(keepBytes), KEEP);
  const resent = (await proxy.log())
    .filter((e) => e.method === 'PUT' && e.url.includes('offered.bin'))
    .map((e) => partNumber(e.url))
    .filter((n) => storedBefore.has(n));
  assert.deepEqual(resent, [], 'parts stored before the reload were sent again');

  // Discard: the upload is aborted at the signer and the store, the row goes.
  await page.locator('presigned-upload').getByRole('button', { name: 'Discard the unfinished upload of discard-me.bin' }).click();
  await page.waitForFunction(() => document.querySelector('presigned-upload').shadowRoot.querySelectorAll('[part~="file"]').length === 1);
  assert.equal(await status(page), 'discard-me.bin: unfinished upload discarded.');
  assert.equal(await openMultipart(), 0, "the signer's open multipart uploads");
  assert.deepEqual(openUploads(), [], 'no multipart upload left open in the store');

  // Nothing is left to offer after another reload.
  await page.reload();
  await page.waitForFunction(() => customElements.get('presigned-upload'));
  await new Promise((r) => setTimeout(r, 1500));
  assert.deepEqual(await rows(page), []);
  assert.deepEqual(violations, []);
  console.log(`resumable rows: ${storedBefore.size} parts of offered.bin stored before the reload (${storedPercent}%), none sent again`);
  await page.close();
});

/** The widget's live region. */
const status = (page) => page.evaluate(() => document.querySelector('presigned-upload').shadowRoot.querySelector('[part~="status"]').textContent);

/** Multipart uploads open in the embedded store (its `.upload-*` folders); none on another store. */
function openUploads() {
  const store = join(server.dataDir, 'store');
  return existsSync(store) ? readdirSync(store).filter((n) => n.includes('.upload')) : [];
}

/** `presign_open_multipart_uploads` from the signer's /metrics. */
async function openMultipart() {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(text.match(/^presign_open_multipart_uploads (\d+)/m)?.[1] ?? NaN);
}
