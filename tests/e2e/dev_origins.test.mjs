// End to end: in development mode the signer answers pages of this machine's
// loopback names only. A page served by a second local server on 127.0.0.2
// (the same machine, another origin to Chromium) cannot read the signer's
// /api/uploads: its fetch fails on CORS. The signer's own page can, and so
// can a page on localhost (another origin, a loopback name).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setUp, tearDown } from './fixture.mjs';

const PAGE = '<!doctype html><meta charset="utf-8"><title>a page</title><p>a page</p>';

let server;
let browser;
let work;
let other;

/** A tiny page server on `host`: every path answers PAGE. */
function pageServer(host) {
  const http = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(PAGE);
  });
  return new Promise((ok, fail) => {
    http.once('error', fail);
    http.listen(0, host, () => ok({ url: `http://${host}:${http.address().port}`, close: () => http.close() }));
  });
}

before(async () => {
  ({ server, browser, work } = await setUp('presign-e2e-dev-origins-', {
    prepare: (dir) => {
      mkdirSync(join(dir, 'www'));
      writeFileSync(join(dir, 'www', 'index.html'), PAGE);
    },
    options: (dir) => ({ wwwDir: join(dir, 'www') }),
  }));
  other = await pageServer('127.0.0.2');
});

after(async () => {
  other?.close();
  await tearDown({ server, browser, work });
});

/** What a page at `pageUrl` gets from `fetch(target)`: the JSON, or the error. */
async function fetchFrom(pageUrl, target) {
  const page = await browser.newPage();
  try {
    await page.goto(pageUrl);
    return await page.evaluate(async (url) => {
      try {
        const res = await fetch(url);
        return { status: res.status, body: await res.json() };
      } catch (e) {
        return { error: `${e.name}: ${e.message}` };
      }
    }, target);
  } finally {
    await page.close();
  }
}

test('a page on another origin cannot read the uploads; loopback pages can', { timeout: 60_000 }, async () => {
  const uploads = `${server.url}/api/uploads`;

  const foreign = await fetchFrom(`${other.url}/`, uploads);
  assert.equal(foreign.error, 'TypeError: Failed to fetch', JSON.stringify(foreign));

  const own = await fetchFrom(`${server.url}/`, '/api/uploads');
  assert.equal(own.status, 200, JSON.stringify(own));
  assert.ok(Array.isArray(own.body.uploads), JSON.stringify(own));

  const port = new URL(server.url).port;
  const local = await fetchFrom(`http://localhost:${port}/`, uploads);
  assert.equal(local.status, 200, JSON.stringify(local));
  assert.ok(Array.isArray(local.body.uploads), JSON.stringify(local));
});
