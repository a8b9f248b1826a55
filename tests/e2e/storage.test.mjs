// End to end: a store whose disk fills up, and a store that is down. The
// client must end with a clear error code in each case, never hang, and a
// full disk must not keep what a failed upload wrote.
//
// The full disk is real: the data folder of `presign-server --dev` is a
// 16 MiB tmpfs (a private mount namespace, `unshare`), so s3s-fs meets
// ENOSPC, which the embedded store answers 507 XMinioStorageFull.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from './server.mjs';
import { launchChromium } from './browser.mjs';
import { upload, download, records, sha256 } from './page_upload.mjs';

const MIB = 1024 * 1024;
let browser;
let work;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'presign-e2e-storage-'));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

function fileOf(name, size) {
  const bytes = randomBytes(size);
  const path = join(work, name);
  writeFileSync(path, bytes);
  return { bytes, path };
}

function assertFailed(outcome, code, status) {
  assert.equal(outcome.ok, false, `expected ${code}, the upload succeeded`);
  assert.deepEqual([outcome.code, outcome.status], [code, status], outcome.message);
}

test('a full disk: storage_full for a single PUT, a part and a Complete; space comes back', { timeout: 300_000 }, async () => {
  const server = await startServer([], { tmpfsBytes: 16 * MIB });
  const page = await browser.newPage();
  try {
    await page.goto(server.url + '/');
    const multipart = { fileType: 'demo', partSize: 5 * MIB, multipartThreshold: 5 * MIB, concurrency: 1 };

    // 12 MiB of parts fit; Complete then needs 12 MiB more for the object.
    const big = fileOf('complete-does-not-fit.bin', 12 * MIB);
    const completing = await upload(page, big.path, multipart);
    assertFailed(completing, 'storage_full', 507);
    assert.match(completing.message, /space/);

    // The failed upload was aborted, its parts deleted: 12 MiB fit again.
    const fits = fileOf('fits-once-freed.bin', 12 * MIB);
    const stored = await upload(page, fits.path, { fileType: 'demo' });
    assert.equal(stored.ok, true, JSON.stringify(stored));
    assert.equal(sha256(await download(server.url, stored.key)), sha256(fits.bytes));

    // About 4 MiB are left: a 6 MiB single PUT meets ENOSPC in the store.
    const single = await upload(page, fileOf('single-too-big.bin', 6 * MIB).path, { fileType: 'demo' });
    assertFailed(single, 'storage_full', 507);
    assert.match(single.message, /no space left/);
    // A part does too; not retried, and the upload is aborted.
    const part = await upload(page, fileOf('part-too-big.bin', 12 * MIB).path, multipart);
    assertFailed(part, 'storage_full', 507);

    // What failed left nothing behind: 2 MiB still fit, and only the two
    // uploads that succeeded are recorded.
    const small = fileOf('small.bin', 2 * MIB);
    const last = await upload(page, small.path, { fileType: 'demo' });
    assert.equal(last.ok, true, JSON.stringify(last));
    const keys = (await records(server.url)).map((r) => r.key).sort();
    assert.deepEqual(keys, [stored.key, last.key].sort());
  } finally {
    await page.close();
    await server.stop();
  }
});

// A loopback port nothing listens on.
async function closedPort() {
  const probe = createServer();
  await new Promise((ok) => probe.listen(0, '127.0.0.1', ok));
  const { port } = probe.address();
  await new Promise((ok) => probe.close(ok));
  return port;
}

// An HS256 JWT for `sub`, signed with `secret`.
function jwt(secret, sub) {
  const part = (obj) => Buffer.from(JSON.stringify(obj)).toString('base64url');
  const body = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub, exp: Math.floor(Date.now() / 1000) + 3600 })}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

test('a store that is down: network for a PUT to it, server (503) from the signer, no hang', { timeout: 120_000 }, async () => {
  // A signer configured for a real store (no --dev) at an address where
  // nothing answers.
  const secret = `e2e-store-down-${randomBytes(16).toString('hex')}`;
  const port = await closedPort();
  const server = await startServer([], {
    dev: false,
    env: {
      AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`, AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'e2e-key', AWS_SECRET_ACCESS_KEY: 'e2e-secret',
      PRESIGN_BUCKET: 'uploads', PRESIGN_JWT_SECRET: secret,
    },
  });
  const page = await browser.newPage();
  try {
    await page.goto(server.url + '/');
    const uploader = { token: jwt(secret, 'e2e') };
    // The signer signs without the store; the PUT to the store fails.
    const single = await upload(page, fileOf('store-down.bin', MIB).path, { fileType: 'demo', maxAttempts: 2 }, uploader);
    assertFailed(single, 'network', undefined);
    // Creating a multipart upload needs the store: the signer says so.
    const multipart = await upload(page, fileOf('store-down-multi.bin', 6 * MIB).path,
      { fileType: 'demo', multipartThreshold: 5 * MIB, maxAttempts: 2 }, uploader);
    assertFailed(multipart, 'server', 503);
    assert.match(multipart.message, /cannot be reached/);
  } finally {
    await page.close();
    await server.stop();
  }
});
