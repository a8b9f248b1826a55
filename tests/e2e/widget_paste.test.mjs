// End to end: pasting files. A real Ctrl+V (an image Chromium holds on its
// clipboard, written with navigator.clipboard) uploads into the focused
// widget, not into a widget without the focus; with paste="page" a paste
// anywhere on the page but in a text field; with paste="none", nowhere. A
// ClipboardEvent carrying several files (a DataTransfer) uploads them all.
// Each pasted file is checked as stored against the bytes the page got.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { tearDown } from './fixture.mjs';
import {
  announced, artifacts, assertStored, checkStateLooks, rows, settled, setUpWidget, watchAnnouncements, widgetPage,
} from './widget-page.mjs';

let proxy;
let server;
let browser;
let work;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  ({ proxy, server, browser, work } = await setUpWidget('presign-widget-paste-'));
});
after(() => tearDown({ proxy, server, browser, work }));

// Hashes (SHA-256, hex) every file the widget starts, by key once stored, in window.hashes.
const hashStarted = (page) => page.evaluate(() => {
  window.hashes = [];
  const widget = document.querySelector('presigned-upload');
  const pending = new Map();
  const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
  widget.addEventListener('upload-start', (e) => pending.set(e.detail.file, e.detail.file.arrayBuffer().then((b) => crypto.subtle.digest('SHA-256', b))));
  widget.addEventListener('upload-complete', async (e) => {
    window.hashes.push({ key: e.detail.result.key, sha256: hex(await pending.get(e.detail.file)), size: e.detail.file.size });
  });
});

/** Checks every stored row against the hash of the file the page pasted. */
async function assertPastedStored(page, count) {
  const done = await settled(page, count);
  await page.waitForFunction((n) => window.hashes.length === n, count);
  const hashes = await page.evaluate(() => window.hashes);
  for (const row of done) {
    assert.equal(row.state, 'done', row.error);
    const { sha256, size } = hashes.find((h) => h.key === row.key);
    await assertStored(row.href, sha256, size);
  }
  return done;
}

test('Ctrl+V: the focused widget takes the clipboard image; paste="page" anywhere but text fields; paste="none" never', { timeout: 120_000 }, async () => {
  const { page, errors } = await widgetPage({ browser, server, work }, `
    <label>Note <input id="note" type="text"></label>
    <presigned-upload multiple file-type="widget"></presigned-upload>`);
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  await hashStarted(page);
  await watchAnnouncements(page);
  await page.evaluate(async () => {
    const canvas = new OffscreenCanvas(320, 200);
    const g = canvas.getContext('2d');
    for (let i = 0; i < 200; i++) {
      g.fillStyle = `hsl(${Math.random() * 360} 70% 50%)`;
      g.fillRect(Math.random() * 320, Math.random() * 200, 30, 30);
    }
    const png = await canvas.convertToBlob({ type: 'image/png' });
    await navigator.clipboard.write([new ClipboardItem({ 'image/png': png })]);
  });
  const count = async () => (await rows(page)).length;

  // The widget without the focus takes nothing.
  await page.focus('#note');
  await page.keyboard.press('Control+V');
  await page.locator('h1').click();
  await page.keyboard.press('Control+V');
  await page.waitForTimeout(300);
  assert.equal(await count(), 0, 'a paste outside the widget, by default');

  // Focused, it takes the image.
  await page.focus('presigned-upload >> [part~="dropzone"]');
  await page.keyboard.press('Control+V');
  let done = await assertPastedStored(page, 1);
  assert.deepEqual(done.map((r) => r.name), ['image.png']);
  assert.ok((await announced(page)).includes('1 file pasted.'));

  // paste="page": a paste on the page is the widget's, one into a text field is not.
  await page.evaluate(() => document.querySelector('presigned-upload').setAttribute('paste', 'page'));
  await page.focus('#note');
  await page.keyboard.press('Control+V');
  await page.waitForTimeout(300);
  assert.equal(await count(), 1, 'a paste into a text field');
  await page.locator('h1').click();
  await page.keyboard.press('Control+V');
  done = await assertPastedStored(page, 2);

  // paste="none": not even with the focus.
  await page.evaluate(() => document.querySelector('presigned-upload').setAttribute('paste', 'none'));
  await page.focus('presigned-upload >> [part~="dropzone"]');
  await page.keyboard.press('Control+V');
  await page.waitForTimeout(300);
  assert.equal(await count(), 2, 'paste="none"');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a paste of several files (ClipboardEvent with a DataTransfer) uploads each; axe passes', { timeout: 120_000 }, async () => {
  const { page, errors } = await widgetPage({ browser, server, work }, '<presigned-upload multiple file-type="widget"></presigned-upload>');
  await hashStarted(page);
  await watchAnnouncements(page);
  await page.focus('presigned-upload >> [part~="dropzone"]');
  const taken = await page.evaluate(() => {
    const transfer = new DataTransfer();
    for (const [name, size, type] of [['p1.bin', 200_000, 'application/octet-stream'], ['p2.txt', 3_000, 'text/plain'], ['p3.bin', 2 * 1024 * 1024, '']]) {
      const bytes = new Uint8Array(size);
      for (let o = 0; o < size; o += 65536) crypto.getRandomValues(bytes.subarray(o, Math.min(size, o + 65536)));
      transfer.items.add(new File([bytes], name, { type }));
    }
    const target = document.querySelector('presigned-upload').shadowRoot.activeElement;
    const event = new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true, composed: true });
    target.dispatchEvent(event);
    return event.defaultPrevented;
  });
  assert.equal(taken, true, 'the widget took the paste');
  const done = await assertPastedStored(page, 3);
  assert.deepEqual(done.map((r) => r.name), ['p1.bin', 'p2.txt', 'p3.bin']);
  assert.equal((await announced(page))[0], '3 files pasted.');
  assert.deepEqual(await checkStateLooks(page, 'pasted'), []);
  assert.deepEqual(errors, []);
  await page.close();
});
