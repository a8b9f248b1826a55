// End to end: metadata set in the page travels with the file. The demo
// page's Uploader uploads with `metadata` (one PUT, a POST form, multipart)
// through presign-server on a Garage of its own; boto3 reads each object's
// x-amz-meta-* back from the store, `GET /api/uploads` lists it, and the
// signed webhook delivery of each upload carries it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from './browser.mjs';
import { readBack } from './express_site.mjs';
import { startGarage } from './garage.mjs';
import { records, sha256, upload } from './page_upload.mjs';
import { startServer } from './server.mjs';

const MiB = 1024 * 1024;
const SECRET = 'whsec_metadata_e2e_7c1d';
const METADATA = { serial: 'ECU-0042', project: 'p7' };

let work;
let garage;
let server;
let browser;
let hook;

/** A webhook receiver on loopback: every delivery's headers and raw body. */
function startReceiver() {
  const deliveries = [];
  const http = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      deliveries.push({ headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(204).end();
    });
  });
  return new Promise((resolve) => http.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${http.address().port}/hooks/uploads`,
    deliveries,
    close: () => http.close(),
  })));
}

/** As docs/protocol.md tells receivers to verify a delivery. */
function verified({ headers, body }) {
  const { t, v1 } = Object.fromEntries(headers['x-presign-signature'].split(',').map((kv) => kv.trim().split('=')));
  const want = createHmac('sha256', SECRET).update(`${t}.`).update(body).digest();
  const got = Buffer.from(v1 ?? '', 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'presign-e2e-metadata-'));
  garage = startGarage(join(work, 'garage'), { args: ['--dev', '--allow-metadata', 'serial,project'] });
  hook = await startReceiver();
  server = await startServer([
    '--store', 's3', '--allow-metadata', 'serial,project',
    '--webhook-url', hook.url, '--webhook-secret', SECRET, '--webhook-retry-ms', '100',
  ], { env: garage.env });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  hook?.close();
  garage?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('metadata set in the page is in the stored object (boto3), the records and the webhook', { timeout: 180_000 }, async () => {
  const page = await browser.newPage();
  await page.goto(`${server.url}/`);
  const cases = [
    ['put', 300_000, {}],
    ['post', 200_000, { method: 'post' }],
    ['multipart', 12 * MiB, { multipartThreshold: 5 * MiB, partSize: 5 * MiB }],
  ];
  const uploaded = [];
  for (const [how, size, options] of cases) {
    const bytes = randomBytes(size);
    const file = join(work, `${how}.bin`);
    writeFileSync(file, bytes);
    const outcome = await upload(page, file, { fileType: 'ecu', metadata: METADATA, ...options });
    assert.equal(outcome.ok, true, `${how}: ${outcome.message}`);
    uploaded.push({ how, key: outcome.key, size, hex: sha256(bytes) });
  }

  // The store holds the bytes and the metadata: read back by boto3.
  const stored = readBack(garage.env, uploaded.map((u) => u.key));
  for (const [i, u] of uploaded.entries()) {
    assert.equal(stored[i].sha256, u.hex, u.how);
    assert.equal(stored[i].size, u.size, u.how);
    // The signer's own user-id entry (forms carry it) names the uploader.
    const { 'user-id': user = 'dev', ...own } = stored[i].metadata;
    assert.deepEqual(own, METADATA, u.how);
    assert.equal(user, 'dev', u.how);
  }

  // The signer's records list it.
  const listed = await records(server.url);
  for (const u of uploaded) {
    const record = listed.find((r) => r.key === u.key);
    assert.ok(record, `${u.how}: recorded`);
    assert.deepEqual(record.metadata, METADATA, u.how);
  }

  // Each upload's webhook delivery carries it, signed.
  const deadline = Date.now() + 30_000;
  while (hook.deliveries.length < uploaded.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(hook.deliveries.length, uploaded.length, 'one delivery per upload');
  for (const u of uploaded) {
    const delivery = hook.deliveries.find((d) => JSON.parse(d.body).key === u.key);
    assert.ok(delivery, `${u.how}: delivered`);
    assert.ok(verified(delivery), `${u.how}: signature`);
    assert.deepEqual(JSON.parse(delivery.body).metadata, METADATA, u.how);
  }

  // A name the signer does not take is refused in the page, naming it.
  const refused = await upload(page, join(work, 'put.bin'), { fileType: 'ecu', metadata: { colour: 'red' } });
  assert.equal(refused.ok, false);
  assert.equal(refused.code, 'bad_request');
  assert.match(refused.message, /"colour"/);
  await page.close();
});
