// The demo page (www/, the widget and the --target web build in pkg/) under
// the strict Content-Security-Policy README.md gives (tests/package/csp.mjs):
// a multipart file is hashed in the hash workers and stored byte for byte,
// with no violation. Without 'wasm-unsafe-eval' the same page must fail to
// compile the wasm (a reported violation, an upload that cannot start):
// proof that the policy is applied at all.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../e2e/server.mjs';
import { launchChromium } from '../e2e/browser.mjs';
import { assertStored, settled, sha256 } from '../e2e/widget-page.mjs';
import { openRecorded, policy, startCspProxy } from './csp.mjs';

const MIB = 1024 * 1024;
let server;
let browser;
let work;
const proxies = [];

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'presign-csp-'));
  server = await startServer([]);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  for (const p of proxies) await p.stop();
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function demoUnder(csp) {
  const proxy = await startCspProxy(server.url, csp);
  proxies.push(proxy);
  return openRecorded(browser, `${proxy.url}/`);
}

test('the demo page uploads under the strict policy, hashing in workers, with no violation', { timeout: 180_000 }, async () => {
  const bytes = randomBytes(18 * MIB);
  const file = join(work, 'under-csp.bin');
  writeFileSync(file, bytes);
  const { page, seen } = await demoUnder(policy({ storeUrl: server.storeUrl }));
  // The widget's stylesheet applies (adoptedStyleSheets, not a <style>).
  const display = await page.locator('presigned-upload').evaluate((el) => getComputedStyle(el).display);
  assert.equal(display, 'block');
  await page.setInputFiles('presigned-upload input[type=file]', file);
  const [row] = await settled(page, 1);
  assert.equal(row.state, 'done', row.error);
  await assertStored(row.href, sha256(bytes), bytes.length);
  // main.js listed it with the whole file's SHA-256 (wholeFileSha256).
  const listed = await page.locator('#stored dd').getAttribute('data-key');
  assert.equal(listed, row.key);
  assert.ok(seen.workers.length > 0, 'no hash worker started');
  assert.deepEqual(seen.warnings, []);
  assert.deepEqual(seen.violations, []);
  assert.deepEqual(seen.errors, []);
  await page.close();
});

test("without 'wasm-unsafe-eval' the wasm is refused and the upload fails", { timeout: 120_000 }, async () => {
  const file = join(work, 'refused.bin');
  writeFileSync(file, randomBytes(1024));
  const { page, seen } = await demoUnder(policy({ storeUrl: server.storeUrl, wasm: false }));
  await page.setInputFiles('presigned-upload input[type=file]', file);
  const [row] = await settled(page, 1, { timeout: 60_000 });
  assert.equal(row.state, 'failed');
  assert.ok(seen.violations.some((v) => v.startsWith('script-src') && v.includes('wasm-eval')),
    `violations: ${seen.violations}`);
  await page.close();
});
