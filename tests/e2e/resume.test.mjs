// End to end: resume after a page reload. The demo page's widget starts a 200 MiB
// multipart upload; at about half the page is reloaded and the same file is
// chosen again. The upload must complete with the right bytes, and what the
// browser sent after the reload — counted at the store's side, by the proxy
// in front of it — must be at most the remaining bytes plus the parts that
// were in flight: remaining + (concurrency + 1) × partSize.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setUp, tearDown } from './fixture.mjs';
import { rowReaches, settled } from './widget-page.mjs';

const MIB = 1024 * 1024;
const SIZE = 200 * MIB;
const PART = 8 * MIB; // the demo's default part size
const CONCURRENCY = 4; // the demo's default
let proxy;
let server;
let browser;
let work;

before(async () => ({ proxy, server, browser, work } = await setUp('presign-e2e-resume-', { proxied: true })));
after(() => tearDown({ proxy, server, browser, work }));

const partNumber = (url) => Number(new URL(url, 'http://x').searchParams.get('partNumber'));
const partSize = (n) => Math.min(PART, SIZE - (n - 1) * PART);

test('a 200 MiB upload resumes after a page reload and sends only what is missing', { timeout: 600_000 }, async () => {
  const bytes = randomBytes(SIZE);
  const file = join(work, 'reload-me.bin');
  writeFileSync(file, bytes);
  // Slow each part a little so that "about half" is easy to catch.
  await proxy.faults({ match: ['reload-me.bin', 'partNumber='], method: 'PUT', delayMs: 150, times: 1000 });

  const page = await browser.newPage();
  await page.goto(server.url + '/');
  await page.setInputFiles('presigned-upload input[type=file]', file);
  // The row's progressbar: 10% before the transfer, then 90% for it; 55 is about half the bytes.
  await rowReaches(page, { name: 'reload-me.bin', minValue: 55 });
  await page.reload();
  const before = (await proxy.log()).filter((e) => e.method === 'PUT' && e.url.includes('reload-me.bin'));
  const storedBefore = new Set(before.filter((e) => e.status === 200).map((e) => partNumber(e.url)));
  await proxy.reset(); // drops the rules (no more delay) and the log
  assert.ok(storedBefore.size >= 5 && storedBefore.size < 25, `parts stored before the reload: ${[...storedBefore]}`);

  // The widget takes the file at once and starts when its wasm has loaded.
  await page.setInputFiles('presigned-upload input[type=file]', file);
  const [row] = await settled(page, 1);
  assert.equal(row.state, 'done', row.error);

  const after = (await proxy.log()).filter((e) => e.method === 'PUT' && e.url.includes('reload-me.bin'));
  const sentAfter = after.reduce((sum, e) => sum + partSize(partNumber(e.url)), 0);
  const remaining = SIZE - [...storedBefore].reduce((sum, n) => sum + partSize(n), 0);
  const bound = remaining + (CONCURRENCY + 1) * PART;
  assert.ok(sentAfter <= bound, `sent ${sentAfter} bytes after the reload; remaining ${remaining}, bound ${bound}`);
  const resent = after.map((e) => partNumber(e.url)).filter((n) => storedBefore.has(n));
  assert.deepEqual(resent, [], 'parts stored before the reload were sent again');

  const href = row.href;
  const got = Buffer.from(await (await fetch(href)).arrayBuffer());
  assert.equal(got.length, SIZE);
  assert.equal(createHash('sha256').update(got).digest('hex'), createHash('sha256').update(bytes).digest('hex'));
  console.log(`resume: ${storedBefore.size} parts stored before the reload; ${sentAfter} bytes sent after (remaining ${remaining}, bound ${bound})`);
  await page.close();
});
