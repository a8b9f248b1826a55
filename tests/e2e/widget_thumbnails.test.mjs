// End to end: image previews. PNG, JPEG and WebP images (drawn in the page)
// get a small preview in their row (at most 96 pixels a side, from an
// object URL); a text file, a binary, an SVG and a file that says
// image/png but holds no image get none. A removed row revokes its URL,
// and a long list keeps URLs only for the rows it draws: once every file
// of a collapsed list of 60 images is stored, none is left. Every file is
// checked as stored.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { tearDown } from './fixture.mjs';
import { artifacts, assertStored, checkStateLooks, settled, setUpWidget, widgetPage } from './widget-page.mjs';

// File type "pictures" takes SVG too (an active type, refused unless listed).
const POLICY = `[policy.file_types.pictures]
content_types = ["image/*", "image/svg+xml", "text/plain", "application/octet-stream"]
`;
let proxy;
let server;
let browser;
let work;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  ({ proxy, server, browser, work } = await setUpWidget('presign-widget-thumbs-', POLICY));
});
after(() => tearDown({ proxy, server, browser, work }));

// Counts the page's object URLs (before any module runs): window.urls.live.
const COUNT_URLS = `<script>
  window.urls = { made: 0, live: new Set() };
  const make = URL.createObjectURL.bind(URL);
  const revoke = URL.revokeObjectURL.bind(URL);
  URL.createObjectURL = (blob) => { const url = make(blob); window.urls.made++; window.urls.live.add(url); return url; };
  URL.revokeObjectURL = (url) => { window.urls.live.delete(url); revoke(url); };
</script>`;

/**
 * Drops files made in the page: `[name, kind, type]`, kind `"png"`,
 * `"jpeg"`, `"webp"` (a drawn picture of `w`×`h`), `"svg"`, or `"bytes"`
 * (random). Returns each file's SHA-256 (hex) and size by name.
 */
function dropMade(page, specs) {
  return page.evaluate(async (specs) => {
    const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
    const picture = (type, w, h) => {
      const canvas = new OffscreenCanvas(w, h);
      const g = canvas.getContext('2d');
      for (let i = 0; i < 60; i++) {
        g.fillStyle = `hsl(${(i * 37) % 360} 70% 50%)`;
        g.fillRect((i * 53) % w, (i * 31) % h, w / 5, h / 5);
      }
      return canvas.convertToBlob({ type: `image/${type}`, quality: 0.9 });
    };
    const transfer = new DataTransfer();
    const made = {};
    for (const [name, kind, type, w = 1200, h = 800] of specs) {
      let blob;
      if (kind === 'svg') blob = new Blob(['<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>']);
      else if (kind === 'bytes') blob = new Blob([crypto.getRandomValues(new Uint8Array(30_000))]);
      else blob = await picture(kind, w, h);
      const bytes = await blob.arrayBuffer();
      made[name] = { sha256: hex(await crypto.subtle.digest('SHA-256', bytes)), size: bytes.byteLength };
      transfer.items.add(new File([bytes], name, { type }));
    }
    const zone = document.querySelector('presigned-upload').shadowRoot.querySelector('[part~="dropzone"]');
    for (const type of ['dragenter', 'dragover', 'drop']) {
      zone.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true, composed: true }));
    }
    return made;
  }, specs);
}

/** Each row's preview: `{ name, shown, width, height }`. */
const previews = (page) => page.evaluate(() => [...document.querySelector('presigned-upload').shadowRoot.querySelectorAll('[part~="file"]')]
  .map((row) => {
    const img = row.querySelector('[part~="thumbnail"]');
    return { name: row.querySelector('[part~="file-name"]').textContent, shown: !img.hidden && img.complete && img.naturalWidth > 0, width: img.naturalWidth, height: img.naturalHeight, alt: img.getAttribute('alt') };
  }));

test('images get a small preview, other files none; removing a row revokes its URL', { timeout: 120_000 }, async () => {
  const { page, errors } = await widgetPage({ browser, server, work }, '<presigned-upload multiple file-type="pictures"></presigned-upload>', { head: COUNT_URLS });
  const made = await dropMade(page, [
    ['wide.png', 'png', 'image/png'],
    ['photo.jpg', 'jpeg', 'image/jpeg', 600, 900],
    ['pic.webp', 'webp', 'image/webp'],
    ['notes.txt', 'bytes', 'text/plain'],
    ['data.bin', 'bytes', 'application/octet-stream'],
    ['drawing.svg', 'svg', 'image/svg+xml'],
    ['broken.png', 'bytes', 'image/png'],
  ]);
  const done = await settled(page, 7);
  for (const row of done) {
    assert.equal(row.state, 'done', row.error);
    await assertStored(row.href, made[row.name].sha256, made[row.name].size);
  }
  await page.waitForFunction(() => [...document.querySelector('presigned-upload').shadowRoot.querySelectorAll('[part~="thumbnail"]')]
    .filter((img) => !img.hidden && img.complete && img.naturalWidth > 0).length === 3);
  const shown = await previews(page);
  const by = Object.fromEntries(shown.map((p) => [p.name, p]));
  for (const name of ['wide.png', 'photo.jpg', 'pic.webp']) {
    assert.ok(by[name].shown, `${name} has a preview`);
    assert.ok(Math.max(by[name].width, by[name].height) <= 96, `${name}: ${by[name].width}×${by[name].height}`);
    assert.equal(by[name].alt, '', 'the preview is decoration: the name is beside it');
  }
  assert.equal(by['wide.png'].width, 96);
  assert.equal(by['photo.jpg'].height, 96);
  for (const name of ['notes.txt', 'data.bin', 'drawing.svg', 'broken.png']) assert.equal(by[name].shown, false, `${name} has no preview`);
  assert.equal(await page.evaluate(() => window.urls.live.size), 3);
  const violations = await checkStateLooks(page, 'thumbnails');

  await page.click('presigned-upload [part~="file"]:first-child button.remove');
  await page.waitForFunction(() => window.urls.live.size === 2);
  assert.deepEqual(violations, []);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a collapsed list of 60 images keeps previews for drawn rows only; none once all are stored', { timeout: 180_000 }, async () => {
  const { page, errors } = await widgetPage({ browser, server, work }, '<presigned-upload multiple file-type="widget"></presigned-upload>', { head: COUNT_URLS });
  await proxy.faults({ match: ['many-'], method: 'PUT', delayMs: 80, times: 1000 });
  const specs = Array.from({ length: 60 }, (_, i) => [`many-${i}.png`, 'png', 'image/png', 200, 150]);
  const made = await dropMade(page, specs);
  let most = 0;
  const deadline = Date.now() + 120_000;
  for (;;) {
    const { live, rows, done } = await page.evaluate(() => {
      const root = document.querySelector('presigned-upload').shadowRoot;
      return { live: window.urls.live.size, rows: root.querySelectorAll('[part~="file"]').length, done: root.querySelector('[part~="summary-text"]').textContent };
    });
    most = Math.max(most, live);
    assert.ok(live <= rows, `${live} previews kept for ${rows} rows drawn`);
    if (done === '60 of 60 uploaded') break;
    assert.ok(Date.now() < deadline, 'the list finishes');
    await new Promise((r) => setTimeout(r, 100));
  }
  await proxy.reset();
  await page.waitForFunction(() => window.urls.live.size === 0);
  assert.ok(most > 0, 'previews were shown on the way');
  const listed = await (await fetch(`${server.url}/api/uploads?limit=100`)).json();
  for (const [name] of specs) {
    const stored = listed.uploads.find((u) => u.key.endsWith(`-${name}`));
    assert.ok(stored, `${name} stored`);
    assert.equal(stored.size, made[name].size);
    assert.equal(Buffer.from(stored.sha256, 'base64').toString('hex'), made[name].sha256);
  }
  assert.deepEqual(errors, []);
  await page.close();
});
