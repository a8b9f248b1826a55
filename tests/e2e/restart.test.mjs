// End to end: the signer is killed with SIGKILL in the middle of a multipart
// upload and started again on the same ports and data folder. With --dev the
// embedded store dies with it, so the parts in flight fail too. The client's
// retries must carry the upload through: the stored bytes are the file's
// (SHA-256 of a download), the upload is recorded exactly once, no upload
// session is left open, the store kept no half-written file, and SQLite's
// integrity check passes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sqlite } from './server.mjs';
import { setUp, tearDown } from './fixture.mjs';
import { startUpload, download, records, sha256 } from './page_upload.mjs';

const MIB = 1024 * 1024;
const SIZE = 40 * MIB;
const PART = 5 * MIB; // 8 parts
const KILL_AFTER = 3; // parts stored
let proxy;
let server;
let browser;
let work;

before(async () => ({ proxy, server, browser, work } = await setUp('presign-e2e-restart-', { proxied: true })));
after(() => tearDown({ proxy, server, browser, work }));

const isPart = (url) => url.includes('restart-me.bin') && url.includes('partNumber=');

test('SIGKILL of the signer (and its embedded store) mid-multipart: the upload completes, recorded once, SQLite intact', { timeout: 300_000 }, async () => {
  const bytes = randomBytes(SIZE);
  const file = join(work, 'restart-me.bin');
  writeFileSync(file, bytes);
  // Each part waits a little in the proxy, so that a part is likely in
  // flight when the signer (and the store) dies.
  await proxy.faults({ match: ['restart-me.bin', 'partNumber='], method: 'PUT', delayMs: 200, times: 1000 });

  const page = await browser.newPage();
  await page.goto(server.url + '/');
  let stored = 0;
  let storedAtKill = 0;
  const failedAfterKill = [];
  let signerFailed;
  const signerDown = new Promise((ok) => { signerFailed = ok; });
  page.on('response', (r) => {
    if (r.request().method() === 'PUT' && isPart(r.url()) && r.status() === 200) stored += 1;
    if (storedAtKill && r.status() >= 500) failedAfterKill.push(`${r.status()} ${r.url()}`);
  });
  page.on('requestfailed', (r) => {
    if (!storedAtKill) return;
    failedAfterKill.push(`failed ${r.url()}`);
    if (r.url().startsWith(`${server.url}/api/`)) signerFailed();
  });
  // The kill: when the client next asks the signer for part URLs after
  // KILL_AFTER parts are stored, the signer dies just before the request
  // reaches it. It is started again once that request has failed, so the
  // client must send it again.
  let exit;
  await page.route('**/api/multipart/*/part-urls', async (route) => {
    if (!storedAtKill && stored >= KILL_AFTER) {
      storedAtKill = stored;
      exit = await server.kill('SIGKILL');
    }
    await route.continue();
  });

  const outcome = await startUpload(page, file, {
    fileType: 'demo', partSize: PART, concurrency: 2, maxAttempts: 10,
  });
  await signerDown;
  assert.equal(exit.signal, 'SIGKILL');
  await server.restart();

  const result = await outcome();
  assert.equal(result.ok, true, `upload failed: ${JSON.stringify(result)}\n${server.logs()}`);
  assert.ok(storedAtKill >= KILL_AFTER && storedAtKill < SIZE / PART, `parts stored at the kill: ${storedAtKill}`);
  const signerFailures = failedAfterKill.filter((f) => f.includes(`${server.url}/api/`));
  assert.ok(signerFailures.length > 0, `no signer request failed during the outage: ${failedAfterKill}`);
  assert.equal(result.size, SIZE);
  assert.equal(result.parts, SIZE / PART);
  assert.equal(sha256(await download(server.url, result.key)), sha256(bytes));

  // Recorded exactly once, in the API and in the table.
  const mine = (await records(server.url)).filter((r) => r.key === result.key);
  assert.equal(mine.length, 1);
  assert.equal(mine[0].size, SIZE);
  const key = result.key.replaceAll("'", "''");
  assert.equal(sqlite(server.dataDir, `SELECT count(*) FROM uploads WHERE object_key = '${key}'`), '1');
  assert.equal(sqlite(server.dataDir, 'SELECT count(*) FROM upload_sessions'), '0');
  assert.equal(sqlite(server.dataDir, 'PRAGMA integrity_check'), 'ok');
  // s3s-fs writes into `.tmp.*` files renamed when complete: none is left,
  // nor any part of the finished upload.
  const leftovers = readdirSync(join(server.dataDir, 'store'), { recursive: true })
    .filter((name) => /\.tmp\.|\.upload/.test(String(name)));
  assert.deepEqual(leftovers, []);
  console.log(`restart: SIGKILL after ${storedAtKill} of ${SIZE / PART} parts; ${failedAfterKill.length} requests failed during the outage (${signerFailures.length} to the signer); upload completed and recorded once`);
  await page.close();
});
