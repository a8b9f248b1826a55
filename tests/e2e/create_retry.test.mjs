// End to end: the answer to a multipart create is lost on its way back to
// the page (the signer created the upload, the browser sees a reset
// connection). The client sends the request again with the same
// client_token and gets the upload that was created, so the upload
// completes with its bytes intact and leaves no second upload open: none in
// the signer's table (and so none in the store) once it is complete. Each
// upload sends a token of its own. A cancel that cuts off the answer leaves
// nothing open either: the client asks again with the token and aborts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sqlite } from './server.mjs';
import { setUp, tearDown } from './fixture.mjs';
import { upload, download, sha256 } from './page_upload.mjs';

const MIB = 1024 * 1024;
const SIZE = 12 * MIB + 3;
const PART = 5 * MIB;
let server;
let browser;
let work;

before(async () => ({ server, browser, work } = await setUp('presign-e2e-create-retry-')));
after(() => tearDown({ server, browser, work }));

test('a lost answer to the multipart create: the retry gets the same upload, none is left open', { timeout: 120_000 }, async () => {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('page error:', e));
  await page.goto(server.url + '/');
  // Every create the page sends; the first reaches the signer, whose answer
  // is then dropped.
  const creates = [];
  await page.route((url) => url.pathname === '/api/multipart', async (route) => {
    const request = JSON.parse(route.request().postData());
    creates.push({ token: request.client_token, filename: request.filename });
    if (creates.length === 1) {
      const answered = await route.fetch();
      creates[0].status = answered.status();
      creates[0].key = (await answered.json()).key;
      return route.abort('connectionreset');
    }
    return route.continue();
  });

  const files = ['lost-answer.bin', 'next-upload.bin'].map((name) => {
    const bytes = randomBytes(SIZE);
    const path = join(work, name);
    writeFileSync(path, bytes);
    return { path, bytes };
  });
  const first = await upload(page, files[0].path, { fileType: 'demo', partSize: PART, multipartThreshold: PART });
  assert.equal(first.ok, true, `upload failed: ${JSON.stringify(first)}\n${server.logs()}`);
  assert.equal(creates[0].status, 200, 'the dropped attempt reached the signer and created the upload');
  assert.equal(creates.length, 2, JSON.stringify(creates));
  assert.match(creates[0].token, /^[0-9a-f]{32}$/);
  assert.equal(creates[1].token, creates[0].token, 'the retry carries the same client_token');
  assert.equal(first.key, creates[0].key, 'the upload the dropped attempt created');
  assert.equal(first.parts, 3);
  assert.equal(sha256(await download(server.url, first.key)), sha256(files[0].bytes));
  assert.equal(sqlite(server.dataDir, 'SELECT count(*) FROM upload_sessions'), '0');

  const second = await upload(page, files[1].path, { fileType: 'demo', partSize: PART, multipartThreshold: PART });
  assert.equal(second.ok, true, JSON.stringify(second));
  assert.equal(creates.length, 3);
  assert.match(creates[2].token, /^[0-9a-f]{32}$/);
  assert.notEqual(creates[2].token, creates[0].token, 'a fresh token for each upload');
  assert.equal(sha256(await download(server.url, second.key)), sha256(files[1].bytes));
  assert.equal(sqlite(server.dataDir, 'SELECT count(*) FROM upload_sessions'), '0');
  await page.close();
});

test('a cancel that cuts off the create answer: the upload the signer opened is aborted, none is left open', { timeout: 120_000 }, async () => {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('page error:', e));
  await page.goto(server.url + '/');
  const path = join(work, 'cut-off.bin');
  writeFileSync(path, randomBytes(SIZE));
  await page.evaluate(() => {
    const input = Object.assign(document.createElement('input'), { type: 'file', id: 'cut-file' });
    document.body.append(input);
  });
  await page.setInputFiles('#cut-file', path);
  // The first create reaches the signer, which opens the upload; the page
  // is cancelled before the answer is handed to it.
  const creates = [];
  let opened = null;
  await page.route((url) => url.pathname === '/api/multipart', async (route) => {
    const request = JSON.parse(route.request().postData());
    creates.push(request.client_token);
    if (creates.length > 1) return route.continue();
    const answered = await route.fetch();
    opened = await answered.json();
    await page.evaluate(() => window.cutOff.abort());
    await route.fulfill({ response: answered }).catch(() => {});
  });
  const outcome = await page.evaluate(async (part) => {
    const { default: init, Uploader } = await import('/pkg/presigned_upload.js');
    await init();
    window.cutOff = new AbortController();
    const file = document.getElementById('cut-file').files[0];
    return new Uploader({}).upload(file, { fileType: 'demo', partSize: part, multipartThreshold: part, signal: window.cutOff.signal })
      .then(() => 'done', (e) => e.code);
  }, PART);
  assert.equal(outcome, 'aborted');
  assert.ok(opened?.upload_id, 'the signer opened an upload before the cancel');
  assert.deepEqual(new Set(creates).size, 1, `every create carries the one token: ${creates}`);
  // The client aborts what the cut-off answer would have named.
  const deadline = Date.now() + 10_000;
  while (sqlite(server.dataDir, 'SELECT count(*) FROM upload_sessions') !== '0' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(sqlite(server.dataDir, 'SELECT count(*) FROM upload_sessions'), '0', `left open: ${opened.upload_id}\n${server.logs()}`);
  await page.close();
});
