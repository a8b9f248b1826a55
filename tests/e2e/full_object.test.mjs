// End to end: a store that answers Complete with a FULL_OBJECT SHA-256 (the
// whole object's digest, as bare s3s-fs does) instead of S3's COMPOSITE one.
// Neither store in the suite does any more (the embedded store answers as
// S3), so the signer's Complete answer is rewritten in the page's network
// layer: with the file's true digest the upload must succeed, which the
// client can only know by hashing the whole file after Complete; with
// another digest it must fail with `checksum_mismatch`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setUp, tearDown } from './fixture.mjs';
import { download, upload } from './page_upload.mjs';

let server;
let browser;
let work;

before(async () => ({ server, browser, work } = await setUp('presign-e2e-full-object-')));
after(() => tearDown({ server, browser, work }));

const MIB = 1024 * 1024;
const sha256 = (buf) => createHash('sha256').update(buf).digest('base64');

/** A demo page whose signer answers Complete with `checksum` as the
 * store's checksum; the rewritten answers are counted. */
async function pageAnswering(checksum) {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('page error:', e));
  const rewritten = [];
  await page.route('**/api/multipart/*/complete', async (route) => {
    const response = await route.fetch();
    const json = await response.json();
    if (response.status() === 200) {
      rewritten.push(json.checksum_sha256);
      json.checksum_sha256 = checksum;
    }
    await route.fulfill({ response, json });
  });
  await page.goto(`${server.url}/`);
  return { page, rewritten };
}

test('a FULL_OBJECT checksum is checked against the whole file', { timeout: 120_000 }, async () => {
  // 20 MiB: a multipart upload of 3 parts (8 MiB parts above 16 MiB).
  const bytes = randomBytes(20 * MIB);
  const path = join(work, 'full-object.bin');
  writeFileSync(path, bytes);

  const right = await pageAnswering(sha256(bytes));
  try {
    const outcome = await upload(right.page, path, { fileType: 'demo' });
    assert.ok(outcome.ok, JSON.stringify(outcome));
    assert.equal(outcome.parts, 3);
    // What the store really answered: the composite, now replaced.
    assert.equal(right.rewritten.length, 1);
    assert.match(right.rewritten[0], /-3$/);
    assert.equal(sha256(await download(server.url, outcome.key)), sha256(bytes));
  } finally {
    await right.page.close();
  }

  const wrong = await pageAnswering(sha256(bytes.subarray(1)));
  try {
    const outcome = await upload(wrong.page, path, { fileType: 'demo' });
    assert.equal(outcome.ok, false, JSON.stringify(outcome));
    assert.equal(outcome.code, 'checksum_mismatch', JSON.stringify(outcome));
    assert.match(outcome.message, /matches neither the composite/);
    assert.equal(wrong.rewritten.length, 1);
  } finally {
    await wrong.page.close();
  }
});
