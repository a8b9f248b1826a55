// examples/vue-app (Vite + Vue 3, the <presigned-upload> element used
// directly) with the packed package installed, built, and served under the
// strict Content-Security-Policy: a file uploaded through the element is
// stored byte for byte and reaches the app's @upload-complete handler
// (tests/package/framework_app.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertStored, settled, sha256 } from '../e2e/widget-page.mjs';
import { frameworkApp, pageIsClean } from './framework_app.mjs';

const MIB = 1024 * 1024;
const app = frameworkApp('vue-app');

test('Vue: the element uploads a multipart file under the strict policy', { timeout: 180_000 }, async () => {
  const bytes = randomBytes(18 * MIB);
  const file = join(app.work, 'from-vue.bin');
  writeFileSync(file, bytes);
  const { page, seen } = await app.open('/');
  await page.setInputFiles('presigned-upload input[type=file]', file);
  const [row] = await settled(page, 1);
  assert.equal(row.state, 'done', row.error);
  assert.match(row.key, /^users\/dev\/vue-example\//);
  await assertStored(row.href, sha256(bytes), bytes.length);
  await page.waitForSelector('#stored li');
  assert.equal(await page.locator('#stored li').getAttribute('data-key'), row.key);
  // uploadOptions bound with .prop reached the element as an object.
  assert.equal(await page.locator('presigned-upload').evaluate((el) => el.uploadOptions.concurrency), 4);
  pageIsClean(seen);
  await page.close();
});
