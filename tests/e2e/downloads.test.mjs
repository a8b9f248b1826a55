// End to end: an uploaded HTML file never runs on the store's origin. A
// file type that allows text/html takes an HTML page whose script posts a
// message to its parent or opener; its download URL, opened in an iframe,
// in a popup and in the page itself, is a download in Chromium (the signer
// signs `response-content-disposition: attachment`), so the test page
// receives no message. A PNG's download URL is shown inline, as an image.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setUp, tearDown } from './fixture.mjs';

let server;
let browser;
let work;

const CONFIG = `
[policy.file_types.pages]
content_types = ["text/html", "image/png"]
`;

// The page the test runs in, on the signer's origin: it counts the
// messages any window sends it.
const TEST_PAGE = `<!doctype html><meta charset="utf-8"><title>downloads</title>
<script>
  window.received = [];
  addEventListener('message', (e) => window.received.push(String(e.data)));
</script>`;

// The uploaded file: if it ever runs, it says so to whoever opened it.
const HOSTILE_HTML = `<!doctype html><script>
  for (const w of [window.parent, window.opener]) {
    if (w && w !== window) w.postMessage('uploaded html ran', '*');
  }
</script><p>hello</p>`;

// A 1x1 PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

before(async () => ({ server, browser, work } = await setUp('presign-e2e-downloads-', {
  prepare: (dir) => {
    writeFileSync(join(dir, 'presign.toml'), CONFIG);
    writeFileSync(join(dir, 'index.html'), TEST_PAGE);
  },
  args: (dir) => ['--config', join(dir, 'presign.toml')],
  options: (dir) => ({ wwwDir: dir }),
})));
after(() => tearDown({ server, browser, work }));

async function api(path, body) {
  const resp = await fetch(`${server.url}/api/${path}`, {
    method: body ? 'POST' : 'GET',
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await resp.json();
  assert.equal(resp.status, 200, `${path}: ${JSON.stringify(json)}`);
  return json;
}

/** Uploads `bytes` as `filename` of `contentType`, confirms it, and
 * returns its download URL. */
async function uploaded(filename, contentType, bytes) {
  const signed = await api('get-upload-url', {
    filename, file_type: 'pages', content_type: contentType, size: bytes.length,
  });
  const headers = Object.fromEntries(
    Object.entries(signed.headers).filter(([name]) => name !== 'content-length'),
  );
  const put = await fetch(signed.upload_url, { method: 'PUT', headers, body: bytes });
  assert.equal(put.status, 200, await put.text());
  await api('file-uploaded', { key: signed.key, file_type: 'pages' });
  const { url } = await api(`download-url?key=${encodeURIComponent(signed.key)}`);
  return url;
}

test('an uploaded HTML page downloads as an attachment and never runs', { timeout: 60_000 }, async () => {
  const url = await uploaded('page.html', 'text/html', Buffer.from(HOSTILE_HTML));
  const page = await browser.newPage({ acceptDownloads: true });
  try {
    await page.goto(`${server.url}/`);
    const downloads = [];
    page.on('download', (d) => downloads.push(d.suggestedFilename()));
    // In an iframe, and in a popup the page opens.
    await page.evaluate((src) => {
      const frame = document.createElement('iframe');
      frame.src = src;
      document.body.append(frame);
      window.open(src, '_blank');
    }, url);
    // Time for a script that would run to post its message.
    await page.waitForTimeout(2000);
    assert.deepEqual(await page.evaluate(() => window.received), []);
    assert.ok(downloads.every((name) => name === 'page.html'), JSON.stringify(downloads));
    // The page itself navigated there: Chromium starts a download instead.
    const direct = await browser.newPage({ acceptDownloads: true });
    const saved = direct.waitForEvent('download', { timeout: 10_000 });
    await direct.goto(url).catch((e) => assert.match(e.message, /Download is starting/));
    assert.equal((await saved).suggestedFilename(), 'page.html');
    await direct.close();
  } finally {
    await page.close();
  }
});

test('an uploaded PNG is shown inline', { timeout: 60_000 }, async () => {
  const url = await uploaded('dot.png', 'image/png', PNG);
  const page = await browser.newPage();
  try {
    const resp = await page.goto(url);
    assert.equal(resp.status(), 200);
    assert.match(resp.headers()['content-disposition'], /^inline; filename="dot\.png"/);
    const width = await page.evaluate(() => document.images[0]?.naturalWidth);
    assert.equal(width, 1);
  } finally {
    await page.close();
  }
});
