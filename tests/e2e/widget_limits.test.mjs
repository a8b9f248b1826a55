// End to end: the widget's limits refuse files before anything is sent.
// One drop holds files for every limit (`accept` by extension, by a MIME
// wildcard and by an exact type; `min-size`, `max-size`, `max-total-size`,
// `max-files`): each refused file gets a row saying which limit and why,
// an `upload-refused` and an `upload-error` event, and neither the signer
// nor the store hears of it; every file taken is stored byte for byte.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { tearDown } from './fixture.mjs';
import {
  artifacts, assertStored, checkStateLooks, dropGenerated, events, recordEvents, settled, setUpWidget, widgetPage,
} from './widget-page.mjs';

let proxy;
let server;
let browser;
let work;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  ({ proxy, server, browser, work } = await setUpWidget('presign-widget-limits-'));
});
after(() => tearDown({ proxy, server, browser, work }));

test('each limit refuses its file with its reason and an event, sending nothing; the others are stored', { timeout: 120_000 }, async () => {
  const { page, errors } = await widgetPage({ browser, server, work }, `
    <presigned-upload multiple file-type="widget" accept=".png, image/*, text/csv"
      min-size="10" max-size="200000" max-total-size="300000" max-files="5"></presigned-upload>`);
  await recordEvents(page);
  const signed = [];
  page.on('request', (r) => r.url().includes('/api/') && r.method() === 'POST' && signed.push(r.postData() ?? ''));
  const hint = await page.evaluate(() => document.querySelector('presigned-upload').shadowRoot.querySelector('slot[name="hint"]').textContent);
  assert.equal(hint, 'or click, or press Enter, to choose (at least 10 bytes · up to 200.0 kB · 300.0 kB in all · at most 5 files · .png, image/*, text/csv)');
  await proxy.reset();

  const specs = [
    ['a.png', 50_000, ''], // no type: taken by its extension
    ['b.jpg', 60_000, 'image/jpeg'], // image/*
    ['c.csv', 5, 'text/csv'], // under min-size
    ['d.txt', 100, 'text/plain'], // not accepted
    ['e.gif', 250_000, 'image/gif'], // over max-size
    ['f.webp', 150_000, 'image/webp'],
    ['g.png', 45_000, 'image/png'], // past max-total-size (305 kB)
    ['h.png', 1_000, 'image/png'],
    ['j.csv', 500, 'text/csv'], // the exact type
    ['i.png', 1_000, 'image/png'], // a sixth file: past max-files
  ];
  const hashes = await dropGenerated(page, specs);
  const done = await settled(page, specs.length);
  const by = Object.fromEntries(done.map((r) => [r.name, r]));
  const refused = {
    'c.csv': ['min-size', 'bad_request', 'File too small: c.csv is 5 bytes; the smallest allowed is 10 bytes.'],
    'd.txt': ['accept', 'unsupported_type', 'File type not allowed: d.txt is not an accepted type (.png, image/*, text/csv).'],
    'e.gif': ['max-size', 'too_large', 'File too large: e.gif is 250.0 kB; the limit is 200.0 kB.'],
    'g.png': ['max-total-size', 'too_large', 'Too much in all: g.png would bring the total to 305.0 kB; the limit is 300.0 kB.'],
    'i.png': ['max-files', 'bad_request', 'Too many files: i.png would be one file too many: at most 5 files.'],
  };
  for (const [name, [, code, message]] of Object.entries(refused)) {
    const row = by[name];
    assert.deepEqual([row.state, row.code, row.phase, row.error, row.buttons], ['failed', code, 'Not added', message, ['Remove']], name);
  }
  const refusedEvents = await events(page, 'upload-refused');
  assert.deepEqual(refusedEvents.map((e) => [e.name, e.limit, e.code, e.isUploadError]),
    Object.entries(refused).map(([name, [limit, code]]) => [name, limit, code, true]));
  assert.deepEqual((await events(page, 'upload-error')).map((e) => e.name), Object.keys(refused));
  assert.deepEqual((await events(page, 'upload-start')).map((e) => e.name).sort(), ['a.png', 'b.jpg', 'f.webp', 'h.png', 'j.csv']);

  // Nothing of a refused file reached the signer or the store.
  const log = await proxy.log();
  for (const name of Object.keys(refused)) {
    assert.ok(!log.some((e) => e.url.includes(name)), `the store saw ${name}`);
    assert.ok(!signed.some((body) => body.includes(`"${name}"`)), `the signer saw ${name}`);
  }
  for (const [name, size] of specs.filter(([name]) => !(name in refused))) {
    assert.equal(by[name].state, 'done', `${name}: ${by[name].error}`);
    await assertStored(by[name].href, hashes[name], size);
  }
  const summary = await page.evaluate(() => {
    const root = document.querySelector('presigned-upload').shadowRoot;
    return [root.querySelector('[part~="summary-text"]').textContent, root.querySelector('[part~="summary-detail"]').textContent];
  });
  assert.deepEqual(summary, ['5 of 5 uploaded', '5 not added']);
  const violations = await checkStateLooks(page, 'refused');

  // Removing a refused row frees nothing: the limits count files taken.
  await page.click('presigned-upload [part~="file"][data-state="failed"] button.remove');
  await dropGenerated(page, [['k.png', 1_000, 'image/png']]);
  const [k] = (await settled(page, specs.length)).filter((r) => r.name === 'k.png');
  assert.equal(k.error, 'Too many files: k.png would be one file too many: at most 5 files.');
  assert.deepEqual(violations, []);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a limit that is not a number refuses every file, saying which', { timeout: 60_000 }, async () => {
  const { page, errors } = await widgetPage({ browser, server, work }, '<presigned-upload multiple max-files="2.5" file-type="widget"></presigned-upload>');
  await proxy.reset();
  await dropGenerated(page, [['x.bin', 100]]);
  const [row] = await settled(page, 1);
  assert.deepEqual([row.code, row.error], ['bad_request', 'Rejected: the max-files attribute "2.5" is not a number']);
  assert.deepEqual(await proxy.log(), []);
  assert.deepEqual(errors, []);
  await page.close();
});
