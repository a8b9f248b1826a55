// examples/react-app (Vite + React 19) with the packed package installed,
// built, and served under the strict Content-Security-Policy: a file
// uploaded through <PresignedUpload> (the widget) and one through the
// useUploader hook are stored byte for byte, both hashed in the bundled
// workers; unmounting the hook's component afterwards raises nothing, and
// unmounting it during an upload stops that upload's requests
// (tests/package/framework_app.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertStored, settled, sha256 } from '../e2e/widget-page.mjs';
import { frameworkApp, pageIsClean } from './framework_app.mjs';

const MIB = 1024 * 1024;
const app = frameworkApp('react-app');

test('React: <PresignedUpload> uploads a multipart file under the strict policy', { timeout: 180_000 }, async () => {
  const bytes = randomBytes(18 * MIB);
  const file = join(app.work, 'from-react-widget.bin');
  writeFileSync(file, bytes);
  const { page, seen } = await app.open('/');
  // The slotted hint is the component's child.
  assert.equal(await page.locator('presigned-upload [slot="hint"]').textContent(), 'Or drop files here');
  await page.setInputFiles('presigned-upload input[type=file]', file);
  const [row] = await settled(page, 1);
  assert.equal(row.state, 'done', row.error);
  assert.match(row.key, /^users\/dev\/react-example\//);
  await assertStored(row.href, sha256(bytes), bytes.length);
  // onUploadComplete (a prop) put the key in the app's state.
  await page.waitForSelector('#stored li');
  assert.equal(await page.locator('#stored li').getAttribute('data-key'), row.key);
  pageIsClean(seen);
  await page.close();
});

test('React: useUploader uploads two files with progress state, then unmounts cleanly', { timeout: 180_000 }, async () => {
  const files = [randomBytes(18 * MIB), randomBytes(300 * 1024)];
  const paths = files.map((bytes, i) => {
    const path = join(app.work, `from-react-hook-${i}.bin`);
    writeFileSync(path, bytes);
    return path;
  });
  const { page, seen } = await app.open('/');
  await page.waitForSelector('#hook-file:not([disabled])');
  await page.setInputFiles('#hook-file', paths);
  await page.waitForFunction(() => {
    const items = [...document.querySelectorAll('#hook-files li')];
    return items.length === 2 && items.every((li) => li.dataset.href || ['failed', 'aborted'].includes(li.dataset.state));
  }, null, { timeout: 150_000, polling: 100 });
  const items = await page.locator('#hook-files li').evaluateAll((lis) => lis.map((li) => ({ ...li.dataset, text: li.textContent })));
  for (const [i, item] of items.entries()) {
    assert.equal(item.state, 'done', item.text);
    assert.match(item.key, /^users\/dev\/react-example\//);
    assert.match(item.text, /100%$/);
    await assertStored(item.href, sha256(files[i]), files[i].length);
  }
  assert.equal(await page.locator('#hook-progress').evaluate((p) => p.value), 1);
  assert.equal(await page.locator('#hook-files').getAttribute('data-busy'), 'false');
  await page.click('#toggle-hook');
  await page.waitForSelector('#hook-file', { state: 'detached' });
  pageIsClean(seen);
  await page.close();
});

test('React: unmounting the useUploader component cancels its upload', { timeout: 180_000 }, async () => {
  const path = join(app.work, 'from-react-unmounted.bin');
  writeFileSync(path, randomBytes(200 * MIB));
  const { page, seen } = await app.open('/');
  await page.waitForSelector('#hook-file:not([disabled])');
  await page.setInputFiles('#hook-file', path);
  // A few parts stored (their requests ended, so Resource Timing lists them).
  await page.waitForFunction(() => document.querySelector('#hook-progress').value > 0.1, null, { timeout: 120_000, polling: 50 });
  // Times in the page's clock (Resource Timing), not when Playwright's
  // events reach this process, which lags on a busy machine.
  const unmounted = await page.evaluate(() => {
    document.querySelector('#toggle-hook').click();
    return performance.now();
  });
  await page.waitForSelector('#hook-file', { state: 'detached' });
  await page.waitForTimeout(2_500);
  const store = await page.evaluate(() => performance.getEntriesByType('resource')
    .filter((e) => e.name.includes('X-Amz-Signature='))
    .map((e) => ({ part: new URL(e.name).searchParams.get('partNumber'), at: e.startTime })));
  assert.ok(store.some((r) => r.at < unmounted), 'no request to the store before the unmount');
  // Requests already sent may finish; none to the store starts a second later.
  assert.deepEqual(store.filter((r) => r.at > unmounted + 1_000), []);
  assert.deepEqual(seen.violations, []);
  assert.deepEqual(seen.errors, []);
  await page.close();
});
