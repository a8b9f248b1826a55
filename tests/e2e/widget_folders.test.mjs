// End to end: folders. A folder three levels deep, dropped beside a loose
// file through Chromium's own drag and drop (CDP Input.dispatchDragEvent
// with paths on disk: real FileSystemEntry objects), uploads every file
// with the path it had under the folder: in each row, in the events, and,
// with `path-metadata`, stored as the object's `relative-path` metadata.
// A folder chosen with the "Choose a folder" button (webkitdirectory)
// keeps the paths in the page only. Each file is checked as stored.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tearDown } from './fixture.mjs';
import {
  announced, artifacts, assertStored, checkStateLooks, events, recordEvents, settled, setUpWidget, sha256, watchAnnouncements,
  widgetPage,
} from './widget-page.mjs';

// File type "folders" takes the relative-path metadata; "widget" takes none.
const POLICY = '[policy.file_types.folders]\nmetadata = ["relative-path"]\n';
let proxy;
let server;
let browser;
let work;
let files; // relative path -> bytes

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  ({ proxy, server, browser, work } = await setUpWidget('presign-widget-folders-', POLICY));
  files = {
    'tree/top.txt': randomBytes(1_000),
    'tree/a/mid.bin': randomBytes(300_000),
    'tree/a/b/ñandú 1.bin': randomBytes(70_000),
    'tree/a/b/deep.bin': randomBytes(5_000),
  };
  for (const [path, bytes] of Object.entries(files)) {
    mkdirSync(join(work, path, '..'), { recursive: true });
    writeFileSync(join(work, path), bytes);
  }
  writeFileSync(join(work, 'loose.bin'), randomBytes(2_000));
});
after(() => tearDown({ proxy, server, browser, work }));

/** Drags `paths` (files and folders on disk) from outside the page onto `selector`, as the OS would. */
async function dragFromDisk(page, selector, paths) {
  const box = await page.locator(selector).boundingBox();
  const cdp = await page.context().newCDPSession(page);
  const at = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  const data = { items: [], files: paths, dragOperationsMask: 1 };
  for (const type of ['dragEnter', 'dragOver', 'drop']) await cdp.send('Input.dispatchDragEvent', { type, ...at, data });
  await cdp.detach();
}

// The signer's records of the dev user, by key.
async function records() {
  const res = await fetch(`${server.url}/api/uploads?limit=100`);
  assert.equal(res.status, 200);
  return Object.fromEntries((await res.json()).uploads.map((u) => [u.key, u]));
}

test('a folder dropped from disk uploads every file at every level, its path in rows, events and metadata', { timeout: 120_000 }, async () => {
  const { page, errors } = await widgetPage({ browser, server, work },
    '<presigned-upload multiple path-metadata file-type="folders"></presigned-upload>');
  await recordEvents(page);
  await watchAnnouncements(page);
  await dragFromDisk(page, 'presigned-upload [part~="dropzone"]', [join(work, 'tree'), join(work, 'loose.bin')]);
  const done = await settled(page, 5);
  const paths = await page.evaluate(() => [...document.querySelector('presigned-upload').shadowRoot.querySelectorAll('[part~="file"]')]
    .map((row) => row.querySelector('[part~="file-path"]').textContent + row.querySelector('[part~="file-name"]').textContent));
  assert.deepEqual(paths.sort(), [...Object.keys(files), 'loose.bin'].sort());
  const completes = await events(page, 'upload-complete');
  const stored = await records();
  for (const [path, bytes] of Object.entries(files)) {
    const event = completes.find((e) => e.relativePath === path);
    assert.ok(event, `upload-complete for ${path}`);
    const row = done.find((r) => r.key === event.result.key);
    assert.equal(row.state, 'done', row.error);
    await assertStored(row.href, sha256(bytes), bytes.length);
    assert.deepEqual(stored[row.key].metadata, { 'relative-path': encodeURI(path) }, path);
    assert.equal(decodeURI(stored[row.key].metadata['relative-path']), path);
  }
  const loose = completes.find((e) => e.name === 'loose.bin');
  assert.equal(loose.relativePath, null);
  assert.equal(stored[loose.result.key].metadata, undefined, 'a file given on its own carries no path');
  assert.deepEqual((await events(page, 'upload-start')).map((e) => e.relativePath).sort(), [...Object.keys(files), null].sort());
  assert.equal((await announced(page))[0], 'Folder read: 5 files.');
  assert.ok((await announced(page)).includes('tree/a/b/ñandú 1.bin uploaded.'), 'announcements name the path');
  const violations = await checkStateLooks(page, 'folder');
  const label = await page.evaluate(() => document.querySelector('presigned-upload').shadowRoot
    .querySelector('[part~="file"] [role="progressbar"]').getAttribute('aria-label'));
  assert.match(label, /^Upload of (tree\/.+|loose\.bin)$/);
  assert.deepEqual(violations, []);
  assert.deepEqual(errors, []);
  await page.close();
});

test('"Choose a folder", reached by keyboard, keeps the paths in the page without path-metadata', { timeout: 120_000 }, async () => {
  const { page, errors } = await widgetPage({ browser, server, work }, '<presigned-upload multiple file-type="widget"></presigned-upload>');
  await recordEvents(page);
  const focused = () => page.evaluate(() => document.activeElement?.shadowRoot?.activeElement?.getAttribute('part'));
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'button choose-folder');
  assert.equal(await page.evaluate(() => document.activeElement.shadowRoot.activeElement.textContent), 'Choose a folder');
  const chooser = page.waitForEvent('filechooser');
  await page.keyboard.press('Enter');
  await (await chooser).setFiles(join(work, 'tree'));
  const done = await settled(page, 4);
  const completes = await events(page, 'upload-complete');
  const stored = await records();
  for (const [path, bytes] of Object.entries(files)) {
    const event = completes.find((e) => e.relativePath === path);
    assert.ok(event, `upload-complete for ${path}`);
    const row = done.find((r) => r.key === event.result.key);
    await assertStored(row.href, sha256(bytes), bytes.length);
    assert.equal(stored[row.key].metadata, undefined, `${path}: no metadata without path-metadata`);
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test('without multiple there is no folder button, and a dropped folder gives its first file only', { timeout: 60_000 }, async () => {
  const { page, errors } = await widgetPage({ browser, server, work }, '<presigned-upload file-type="widget"></presigned-upload>');
  assert.equal(await page.evaluate(() => document.querySelector('presigned-upload').shadowRoot.querySelector('[part~="sources"]').hidden), true);
  await watchAnnouncements(page);
  await dragFromDisk(page, 'presigned-upload [part~="dropzone"]', [join(work, 'tree')]);
  const [row] = await settled(page, 1);
  assert.equal(row.state, 'done', row.error);
  const [path, bytes] = Object.entries(files).find(([path]) => path.endsWith(`/${row.name}`));
  await assertStored(row.href, sha256(bytes), bytes.length);
  // Said at once after "Folder read: 4 files.", which it replaces.
  assert.equal((await announced(page))[0], 'One file at a time: 3 more not added.');
  assert.ok((await announced(page)).includes(`${path} uploaded.`));
  assert.deepEqual(errors, []);
  await page.close();
});
