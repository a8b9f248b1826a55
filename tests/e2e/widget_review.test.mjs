// End to end: auto-start="false", a review step. Dropped files wait in the
// list ("Ready to upload", a Remove button each) and nothing reaches the
// signer or the store until Start, reached by keyboard; a file removed
// before is never sent; the others are stored byte for byte. axe-core
// checks the review state.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { tearDown } from './fixture.mjs';
import {
  artifacts, assertStored, checkStateLooks, dropGenerated, events, recordEvents, rows, settled, setUpWidget, widgetPage,
} from './widget-page.mjs';

let proxy;
let server;
let browser;
let work;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  ({ proxy, server, browser, work } = await setUpWidget('presign-widget-review-'));
});
after(() => tearDown({ proxy, server, browser, work }));

const startButton = (page) => page.evaluate(() => {
  const button = document.querySelector('presigned-upload').shadowRoot.querySelector('[part~="start"]');
  return button.parentElement.hidden ? null : button.textContent;
});
const focused = (page) => page.evaluate(() => {
  const el = document.activeElement?.shadowRoot?.activeElement ?? document.activeElement;
  return el?.getAttribute('aria-label') ?? el?.getAttribute('part') ?? el?.tagName;
});

test('auto-start="false": files wait for Start, can be removed before, and nothing is sent until then', { timeout: 120_000 }, async () => {
  const { page, errors } = await widgetPage({ browser, server, work }, '<presigned-upload multiple auto-start="false" file-type="widget"></presigned-upload>');
  await recordEvents(page);
  const api = [];
  page.on('request', (r) => r.url().includes('/api/') && api.push(r.url()));
  await proxy.reset();

  const specs = [['r1.bin', 120_000], ['r2.bin', 17 * 1024 * 1024], ['r3.bin', 5_000]];
  const hashes = await dropGenerated(page, specs);
  await page.waitForFunction(() => document.querySelector('presigned-upload').shadowRoot.querySelectorAll('[part~="file"]').length === 3);
  const held = await rows(page);
  assert.deepEqual(held.map((r) => [r.name, r.state, r.phase, r.buttons]), specs.map(([name]) => [name, 'ready', 'Ready to upload', ['Remove']]));
  assert.equal(await startButton(page), 'Upload 3 files');
  const summary = await page.evaluate(() => document.querySelector('presigned-upload').shadowRoot.querySelector('[part~="summary-detail"]').textContent);
  assert.equal(summary, '3 ready');
  const violations = await checkStateLooks(page, 'review');
  await page.waitForTimeout(300);
  assert.deepEqual([api, await proxy.log(), await events(page, 'upload-start')], [[], [], []], 'nothing sent, nothing started');

  // Keyboard: the drop zone, the folder button, then r1's Remove, r2's Remove.
  for (let i = 0; i < 4; i++) await page.keyboard.press('Tab');
  assert.equal(await focused(page), 'Remove r2.bin');
  await page.keyboard.press('Enter');
  assert.deepEqual((await rows(page)).map((r) => r.name), ['r1.bin', 'r3.bin']);
  assert.equal(await startButton(page), 'Upload 2 files');

  await page.locator('presigned-upload >> [part~="start"]').focus();
  await page.keyboard.press('Enter');
  const done = await settled(page, 2);
  assert.equal(await startButton(page), null, 'no Start once every file started');
  assert.ok(!['BODY', null].includes(await focused(page)), 'the focus stays in the widget');
  for (const row of done) {
    assert.equal(row.state, 'done', row.error);
    await assertStored(row.href, hashes[row.name], specs.find(([n]) => n === row.name)[1]);
  }
  assert.deepEqual((await events(page, 'upload-start')).map((e) => e.name), ['r1.bin', 'r3.bin']);
  assert.ok(!(await proxy.log()).some((e) => e.url.includes('r2.bin')), 'the removed file was never sent');
  assert.ok(!api.some((url) => url.includes('r2')), 'nor signed');

  // Files added later wait again.
  await dropGenerated(page, [['r4.bin', 1_000]]);
  await page.waitForFunction(() => document.querySelector('presigned-upload').shadowRoot.querySelectorAll('[part~="file"]').length === 3);
  assert.equal(await startButton(page), 'Upload 1 file');
  assert.deepEqual(violations, []);
  assert.deepEqual(errors, []);
  await page.close();
});
