// End to end: the reference signer examples/express-signer (Express 5, the
// AWS SDK v3, jose) against a Garage of its own, driven by the project's
// client and widget in Chromium from a page origin of their own. Every
// stored object is read back with boto3 and its SHA-256 compared with the
// bytes given. Dev mode runs the demo page's widget (20 MB in one PUT,
// 200 MiB multipart, resume after a reload); JWT mode runs the client's
// batches, forms and metadata, and the refusals: other users' keys and
// uploads, bad tokens, active types, wrong part sizes, bad metadata; and
// `presign-server conformance` must pass every check against it. The signer
// mounted in another Express app (createSignerApp) is used by the client too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { setTimeout as setTimeoutPromise } from 'node:timers/promises';
import { join, resolve } from 'node:path';
import { launchChromium } from './browser.mjs';
import { startGarage } from './garage.mjs';
import { upload } from './page_upload.mjs';
import { assertStored, rowReaches, settled } from './widget-page.mjs';
import { hs256, openUploads, putBucketCors, readBack, refusedStart, serveSite, signerScript, startExpressSigner } from './express_site.mjs';

const MiB = 1024 * 1024;
const SECRET = 'express-signer-test-secret-of-at-least-32-bytes';
const AUDIENCE = 'uploads-api';
const METADATA = 'serial,project-id';
const BLANK = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>blank</title></head><body></body></html>';

let work;
let site;
let garage;
let dev;
let jwt;
let browser;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'express-signer-e2e-'));
  site = await serveSite({ '/blank.html': BLANK });
  garage = startGarage(join(work, 'garage'), { origins: [site.origin] });
  // Browsers send metadata as x-amz-meta-* headers: the bucket must allow each.
  putBucketCors(garage.env, [site.origin], METADATA.split(','));
  const common = { ...garage.env, SIGNER_ALLOW_ORIGIN: site.origin, SIGNER_METADATA: METADATA };
  dev = await startExpressSigner({ ...common, SIGNER_DEV: '1' });
  jwt = await startExpressSigner({
    ...common,
    SIGNER_JWT_SECRET: SECRET,
    SIGNER_JWT_AUDIENCE: AUDIENCE,
    SIGNER_MAX_POST_SIZE: '1000000',
  });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await dev?.stop();
  await jwt?.stop();
  garage?.stop();
  await site?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

const sha256 = (bytes, encoding = 'hex') => createHash('sha256').update(bytes).digest(encoding);
const now = () => Math.floor(Date.now() / 1000);
const token = (sub, claims = {}) => hs256(SECRET, { sub, aud: AUDIENCE, exp: now() + 3600, ...claims });
const alice = token('alice');
const bob = token('bob');

/** S3's composite checksum of `bytes` cut in parts of `partSize`. */
function composite(bytes, partSize) {
  const digests = [];
  for (let o = 0; o < bytes.length; o += partSize) digests.push(createHash('sha256').update(bytes.subarray(o, o + partSize)).digest());
  return `${sha256(Buffer.concat(digests), 'base64')}-${digests.length}`;
}

function writeFile(name, bytes) {
  const dir = join(work, 'files');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** A JSON call to a signer from Node: `{ status, headers, body }`. */
async function api(signer, method, path, { bearer, body, headers = {} } = {}) {
  const res = await fetch(signer.url + path, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = text; }
  return { status: res.status, headers: res.headers, body: json };
}

/** A GET with the Host header `host` (fetch sets its own): `{ status, body }`. */
function hostRequest(base, path, host) {
  return new Promise((ok, fail) => {
    const req = httpRequest(new URL(path, base), { headers: { host } }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => ok({ status: res.statusCode, body: JSON.parse(text) }));
    });
    req.on('error', fail);
    req.end();
  });
}

/** Asserts an error answer: its status, code, and that its message matches. */
function assertError(answer, status, code, message) {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.equal(answer.body?.error?.code, code, JSON.stringify(answer.body));
  if (message) assert.match(answer.body.error.message, message);
}

/** PUTs `bytes` to a presigned URL with the headers the signer named (fetch sets Content-Length itself). */
async function putSigned({ upload_url: url, headers }, bytes) {
  const { 'content-length': _length, ...rest } = headers;
  return fetch(url, { method: 'PUT', headers: rest, body: bytes });
}

/** A small object stored for `bearer` through the signer, confirmed: its key. */
async function storeSmall(bearer, name, bytes, extra = {}) {
  const signed = await api(jwt, 'POST', '/api/get-upload-url', {
    bearer,
    body: { filename: name, file_type: 'direct', size: bytes.length, sha256: sha256(bytes, 'base64'), ...extra },
  });
  assert.equal(signed.status, 200, JSON.stringify(signed.body));
  const put = await putSigned(signed.body, bytes);
  assert.equal(put.status, 200, await put.text());
  const confirmed = await api(jwt, 'POST', '/api/file-uploaded', {
    bearer, body: { key: signed.body.key, file_type: 'direct', size: bytes.length, sha256: sha256(bytes, 'base64') },
  });
  assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
  return signed.body.key;
}

/** Records the requests a page sends to `signer`: `{ method, path, body }`. */
function signerCalls(page, signer) {
  const calls = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(signer.url)) return;
    let body;
    try { body = r.postDataJSON(); } catch { body = undefined; }
    calls.push({ method: r.method(), path: new URL(r.url()).pathname, body });
  });
  return calls;
}

/**
 * The demo page (www/index.html, from the page origin) with its widget
 * pointed at `signer`; `uploadOptions` are added to the demo's own.
 */
async function demoPage(signer, { bearer, uploadOptions = {} } = {}) {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  const calls = signerCalls(page, signer);
  const point = () => page.evaluate(async ({ endpoint, bearer, uploadOptions }) => {
    await customElements.whenDefined('presigned-upload');
    const widget = document.getElementById('uploader');
    widget.endpoint = endpoint;
    widget.getToken = bearer ? () => bearer : null;
    widget.uploadOptions = { ...widget.uploadOptions, ...uploadOptions };
  }, { endpoint: signer.url, bearer, uploadOptions });
  await page.goto(`${site.origin}/`);
  await point();
  return { page, errors, calls, point };
}

/** A blank page of the page origin, for the client's own API. */
async function blankPage(signer) {
  const page = await browser.newPage();
  const calls = signerCalls(page, signer);
  await page.goto(`${site.origin}/blank.html`);
  return { page, calls };
}

/** The SHA-256 the demo page listed for `key` (from the widget's upload-complete event). */
const shownSha = async (page, key) => (await page.locator(`#stored dd[data-key="${key}"] .sha256`).textContent()).trim();

/** `promise`, or a failure saying `why()` once `ms` have passed. */
async function within(ms, promise, why) {
  const timer = new AbortController();
  const late = setTimeoutPromise(ms, undefined, { signal: timer.signal }).then(async () => { throw new Error(await why()); });
  try {
    return await Promise.race([promise, late]);
  } finally {
    timer.abort();
    late.catch(() => {});
  }
}

const callsTo = (calls, path) => calls.filter((c) => c.path === path);

// ---------------------------------------------------------------------------
// Dev mode: the demo page's widget

test('dev: the demo widget stores 20 MB in one PUT; boto3 reads back the same bytes', { timeout: 180_000 }, async () => {
  const bytes = randomBytes(20 * 1000 * 1000);
  const name = 'ecu dump (20MB).bin';
  const { page, errors, calls } = await demoPage(dev, { uploadOptions: { multipartThreshold: 32 * MiB } });
  await page.setInputFiles('presigned-upload input[type=file]', writeFile(name, bytes));
  const [row] = await settled(page, 1);
  assert.equal(row.state, 'done', `${row.error}\n${dev.logs()}`);
  assert.match(row.key, /^users\/dev\/demo\/\d{4}-\d{2}-\d{2}\/[0-9a-f]{32}-ecu dump \(20MB\)\.bin$/);

  // One presigned PUT, confirmed; no multipart call.
  const signing = [...callsTo(calls, '/api/get-upload-url'), ...callsTo(calls, '/api/get-upload-urls')];
  assert.equal(signing.length, 1, JSON.stringify(calls));
  assert.deepEqual(calls.filter((c) => c.path.startsWith('/api/multipart')), []);
  assert.equal(await shownSha(page, row.key), sha256(bytes, 'base64'));

  const [stored] = readBack(garage.env, [row.key]);
  assert.equal(stored.size, bytes.length);
  assert.equal(stored.sha256, sha256(bytes));
  assert.equal(stored.checksum_sha256, sha256(bytes, 'base64'));
  await assertStored(row.href, sha256(bytes), bytes.length);
  assert.deepEqual(errors, []);
  await page.close();
});

test('dev: the demo widget stores 200 MiB through multipart; composite checksum and bytes match', { timeout: 420_000 }, async () => {
  const bytes = randomBytes(200 * MiB);
  const { page, errors, calls } = await demoPage(dev);
  await page.setInputFiles('presigned-upload input[type=file]', writeFile('big-200MiB.bin', bytes));
  const [row] = await settled(page, 1);
  assert.equal(row.state, 'done', `${row.error}\n${dev.logs()}`);

  assert.equal(callsTo(calls, '/api/multipart').length, 1);
  assert.equal(calls.filter((c) => c.path.endsWith('/complete')).length, 1);
  const wanted = composite(bytes, 8 * MiB);
  assert.equal(await shownSha(page, row.key), `${sha256(bytes, 'base64')} (composite ${wanted})`);

  const [stored] = readBack(garage.env, [row.key]);
  assert.equal(stored.size, bytes.length);
  assert.equal(stored.sha256, sha256(bytes));
  assert.equal(stored.checksum_sha256, wanted);
  await assertStored(row.href, sha256(bytes), bytes.length);
  assert.deepEqual(errors, []);
  await page.close();
});

test('dev: a 200 MiB upload resumes after a reload and sends only what is missing', { timeout: 600_000 }, async () => {
  const SIZE = 200 * MiB;
  const PART = 8 * MiB;
  const CONCURRENCY = 4; // the client's default
  const bytes = randomBytes(SIZE);
  const file = writeFile('reload-me.bin', bytes);
  const isPart = (url) => url.includes('reload-me.bin') && url.includes('partNumber=');
  const partNumber = (url) => Number(new URL(url).searchParams.get('partNumber'));
  const partSize = (n) => Math.min(PART, SIZE - (n - 1) * PART);

  const { page, point } = await demoPage(dev);
  // Each part waits a little before it leaves the page, so "about half" is easy to catch.
  const slow = async (route) => {
    await new Promise((r) => setTimeout(r, 150));
    // A part still waiting here when the page reloads is gone with it.
    await route.continue().catch(() => {});
  };
  const parts = (url) => isPart(url.href);
  await page.route(parts, slow);
  let phase = 'before';
  const storedBefore = new Set();
  const sentAfter = [];
  page.on('response', (r) => {
    if (phase === 'before' && r.request().method() === 'PUT' && isPart(r.url()) && r.status() === 200) storedBefore.add(partNumber(r.url()));
  });
  page.on('request', (r) => {
    if (phase === 'after' && r.method() === 'PUT' && isPart(r.url())) sentAfter.push(partNumber(r.url()));
  });

  await page.setInputFiles('presigned-upload input[type=file]', file);
  // The row's progressbar: 10% before the transfer, then 90% for it; 55 is about half the bytes.
  await rowReaches(page, { name: 'reload-me.bin', minValue: 55 });
  await page.unroute(parts, slow);
  await page.reload();
  phase = 'after';
  assert.ok(storedBefore.size >= 5 && storedBefore.size < 25, `parts stored before the reload: ${[...storedBefore]}`);

  await point();
  await page.setInputFiles('presigned-upload input[type=file]', file);
  const [row] = await settled(page, 1);
  assert.equal(row.state, 'done', `${row.error}\n${dev.logs()}`);

  const sent = sentAfter.reduce((sum, n) => sum + partSize(n), 0);
  const remaining = SIZE - [...storedBefore].reduce((sum, n) => sum + partSize(n), 0);
  const bound = remaining + (CONCURRENCY + 1) * PART;
  assert.ok(sent <= bound, `sent ${sent} bytes after the reload; remaining ${remaining}, bound ${bound}`);
  assert.deepEqual(sentAfter.filter((n) => storedBefore.has(n)), [], 'parts stored before the reload were sent again');

  const [stored] = readBack(garage.env, [row.key]);
  assert.equal(stored.size, SIZE);
  assert.equal(stored.sha256, sha256(bytes));
  assert.equal(stored.checksum_sha256, composite(bytes, PART));
  assert.deepEqual(openUploads(garage.env).filter((u) => u.key === row.key), [], 'the resumed upload is still open');
  console.log(`resume: ${storedBefore.size} parts stored before the reload; ${sent} bytes sent after (remaining ${remaining}, bound ${bound})`);
  await page.close();
});

// ---------------------------------------------------------------------------
// JWT mode: the client's own API in a page

test('jwt: 30 small files go through the batch routes; each stored object matches', { timeout: 180_000 }, async () => {
  const files = Array.from({ length: 30 }, (_, i) => {
    const bytes = randomBytes(1000 + i * 997);
    return { name: `small-${String(i).padStart(2, '0')}.bin`, bytes };
  });
  const paths = files.map((f) => writeFile(f.name, f.bytes));
  const { page, calls } = await blankPage(jwt);
  await page.evaluate(() => {
    const input = Object.assign(document.createElement('input'), { type: 'file', id: 'many', multiple: true });
    document.body.append(input);
  });
  await page.setInputFiles('#many', paths);
  const running = page.evaluate(async ({ endpoint, bearer }) => {
    const { default: init, Uploader } = await import('/pkg/presigned_upload.js');
    await init();
    // Files run 16 at once, so their signing and confirmations come together.
    const uploader = new Uploader({ endpoint, token: bearer, maxConcurrentFiles: 16 });
    window.batch = uploader.uploadAll(document.getElementById('many').files, { fileType: 'batch' });
    const { files } = await window.batch.result;
    return files.map((f) => ({ state: f.state, key: f.result?.key, sha256: f.result?.sha256, error: f.error?.message }));
  }, { endpoint: jwt.url, bearer: alice });
  const outcome = await within(120_000, running, async () => {
    const states = await page.evaluate(() => Array.from({ length: window.batch.length }, (_, i) => window.batch.upload(i)?.state));
    return `the batch did not end: ${JSON.stringify(states)}\nsigner calls: ${calls.map((c) => c.path).join(' ')}\n${jwt.logs()}`;
  });

  assert.deepEqual(outcome.filter((o) => o.state !== 'done'), [], jwt.logs());
  const signBatches = callsTo(calls, '/api/get-upload-urls');
  const signSingles = callsTo(calls, '/api/get-upload-url');
  const confirmBatches = callsTo(calls, '/api/files-uploaded');
  const confirmSingles = callsTo(calls, '/api/file-uploaded');
  const filesIn = (list) => list.reduce((n, c) => n + (c.body?.files?.length ?? 1), 0);
  assert.equal(filesIn(signBatches) + signSingles.length, 30, 'every file signed once');
  assert.equal(filesIn(confirmBatches) + confirmSingles.length, 30, 'every file confirmed once');
  assert.ok(signBatches.some((c) => c.body.files.length > 1), `signing batches: ${signBatches.map((c) => c.body.files.length)}`);
  assert.ok(confirmBatches.some((c) => c.body.files.length > 1), `confirmation batches: ${confirmBatches.map((c) => c.body.files.length)}`);
  assert.ok(signBatches.length + signSingles.length < 30, `${signBatches.length + signSingles.length} signing requests for 30 files`);
  console.log(`batches: ${signBatches.length + signSingles.length} signing and ${confirmBatches.length + confirmSingles.length} confirming requests for 30 files`);

  const stored = readBack(garage.env, outcome.map((o) => o.key));
  files.forEach((f, i) => {
    assert.match(outcome[i].key, new RegExp(`^users/alice/batch/\\d{4}-\\d{2}-\\d{2}/[0-9a-f]{32}-${f.name.replace('.', '\\.')}$`));
    assert.equal(stored[i].size, f.bytes.length);
    assert.equal(stored[i].sha256, sha256(f.bytes), f.name);
    assert.equal(outcome[i].sha256, sha256(f.bytes, 'base64'));
  });
  await page.close();
});

test('jwt: a POST form upload (method "post") is stored with its checksum and owner', { timeout: 120_000 }, async () => {
  const bytes = randomBytes(300_000);
  const { page, calls } = await blankPage(jwt);
  const result = await upload(page, writeFile('form upload.txt', bytes), { fileType: 'forms', method: 'post', contentType: 'text/plain' },
    { endpoint: jwt.url, token: alice });
  assert.equal(result.ok, true, `${result.message}\n${jwt.logs()}`);
  assert.equal(callsTo(calls, '/api/get-upload-form').length, 1);
  assert.equal(callsTo(calls, '/api/get-upload-url').length + callsTo(calls, '/api/get-upload-urls').length, 0);
  const [stored] = readBack(garage.env, [result.key]);
  assert.equal(stored.sha256, sha256(bytes));
  assert.equal(stored.checksum_sha256, sha256(bytes, 'base64'));
  assert.equal(stored.content_type, 'text/plain');
  assert.deepEqual(stored.metadata, { 'user-id': 'alice' });

  // Over the form limit (SIGNER_MAX_POST_SIZE here: 1 MB) the client gets the signer's 413.
  const big = await upload(page, writeFile('too big for a form.bin', randomBytes(1_500_000)), { fileType: 'forms', method: 'post' },
    { endpoint: jwt.url, token: alice });
  assert.deepEqual([big.ok, big.code, big.status], [false, 'too_large', 413]);
  await page.close();
});

test('jwt: metadata set in the page is stored as x-amz-meta-* (PUT, form, multipart)', { timeout: 180_000 }, async () => {
  const metadata = { serial: 'ECU-0042', 'project-id': 'p 7' };
  const { page } = await blankPage(jwt);
  const as = { endpoint: jwt.url, token: alice };
  const small = randomBytes(50_000);
  const large = randomBytes(11 * MiB);
  const put = await upload(page, writeFile('meta-put.bin', small), { fileType: 'meta', metadata }, as);
  const form = await upload(page, writeFile('meta-form.bin', small), { fileType: 'meta', metadata, method: 'post' }, as);
  const multi = await upload(page, writeFile('meta-multi.bin', large),
    { fileType: 'meta', metadata, multipartThreshold: 6 * MiB, partSize: 5 * MiB }, as);
  for (const r of [put, form, multi]) assert.equal(r.ok, true, `${r.message}\n${jwt.logs()}`);
  assert.ok('parts' in multi && multi.parts === 3, JSON.stringify(multi));

  const [p, f, m] = readBack(garage.env, [put.key, form.key, multi.key]);
  assert.deepEqual(p.metadata, metadata);
  assert.deepEqual(f.metadata, { ...metadata, 'user-id': 'alice' });
  assert.deepEqual(m.metadata, metadata);
  assert.deepEqual([p.sha256, f.sha256, m.sha256], [sha256(small), sha256(small), sha256(large)]);

  // The confirmation answers it too (the signer's own user-id left out).
  const confirmed = await api(jwt, 'POST', '/api/file-uploaded', { bearer: alice, body: { key: form.key, file_type: 'meta' } });
  assert.deepEqual(confirmed.body.metadata, metadata);
  await page.close();
});

test('jwt: the client gets the signer\'s refusals: bad token 401, HTML 415, metadata 400, another user\'s key 404', { timeout: 120_000 }, async () => {
  const { page } = await blankPage(jwt);
  const file = writeFile('refused.html', Buffer.from('<script>alert(1)</script>'));
  const as = (bearer) => ({ endpoint: jwt.url, token: bearer });

  const forged = await upload(page, file, { fileType: 'docs', contentType: 'application/octet-stream' },
    as(hs256('another-secret-that-is-at-least-32-bytes', { sub: 'alice', aud: AUDIENCE, exp: now() + 60 })));
  assert.deepEqual([forged.ok, forged.code, forged.status], [false, 'unauthorized', 401], forged.message);
  const garbage = await upload(page, file, { fileType: 'docs', contentType: 'application/octet-stream' }, as('not-a-jwt'));
  assert.deepEqual([garbage.ok, garbage.code, garbage.status], [false, 'unauthorized', 401]);

  const html = await upload(page, file, { fileType: 'docs', contentType: 'text/html' }, as(alice));
  assert.deepEqual([html.ok, html.code, html.status], [false, 'unsupported_type', 415]);
  assert.match(html.message, /active content/);

  const meta = await upload(page, file, { fileType: 'docs', contentType: 'text/plain', metadata: { colour: 'red' } }, as(alice));
  assert.deepEqual([meta.ok, meta.code, meta.status], [false, 'bad_request', 400]);
  assert.match(meta.message, /colour/);

  // bob asks for a download of alice's object through his own uploader.
  const key = await storeSmall(alice, 'alice-only.txt', Buffer.from('for alice'));
  const denied = await page.evaluate(async ({ endpoint, bearer, key }) => {
    const { default: init, Uploader } = await import('/pkg/presigned_upload.js');
    await init();
    try {
      await new Uploader({ endpoint, token: bearer }).downloadUrl(key);
      return { ok: true };
    } catch (e) {
      return { ok: false, code: e.code, status: e.status };
    }
  }, { endpoint: jwt.url, bearer: bob, key });
  assert.deepEqual(denied, { ok: false, code: 'not_found', status: 404 });
  await page.close();
});

// ---------------------------------------------------------------------------
// JWT mode: the protocol over HTTP

test('jwt: another user\'s keys and uploads are 404, never 403', async () => {
  const key = await storeSmall(alice, 'private.bin', randomBytes(1000));
  for (const answer of [
    await api(jwt, 'GET', `/api/download-url?key=${encodeURIComponent(key)}`, { bearer: bob }),
    await api(jwt, 'POST', '/api/file-uploaded', { bearer: bob, body: { key, file_type: 'direct' } }),
    await api(jwt, 'POST', '/api/files-uploaded', { bearer: bob, body: { files: [{ key, file_type: 'direct' }] } })
      .then((a) => ({ status: a.body.uploads[0].status, body: a.body.uploads[0] })),
  ]) assertError(answer, 404, 'not_found', /^no such object$/);
  assert.equal((await api(jwt, 'GET', `/api/download-url?key=${encodeURIComponent(key)}`, { bearer: alice })).status, 200);
  // A path that climbs out of bob's prefix is malformed.
  assertError(await api(jwt, 'GET', `/api/download-url?key=${encodeURIComponent(`users/bob/../${key.slice(6)}`)}`, { bearer: bob }), 400, 'bad_request');

  const created = await api(jwt, 'POST', '/api/multipart', { bearer: alice, body: { filename: 'mp.bin', file_type: 'direct', size: 6 * MiB } });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const id = encodeURIComponent(created.body.upload_id);
  const part = { number: 1, size: 6 * MiB, sha256: sha256(Buffer.alloc(0), 'base64') };
  for (const answer of [
    await api(jwt, 'GET', `/api/multipart/${id}/parts`, { bearer: bob }),
    await api(jwt, 'POST', `/api/multipart/${id}/part-urls`, { bearer: bob, body: { parts: [part] } }),
    await api(jwt, 'POST', `/api/multipart/${id}/complete`, { bearer: bob, body: { parts: [{ number: 1, etag: '"x"', sha256: part.sha256 }] } }),
    await api(jwt, 'DELETE', `/api/multipart/${id}`, { bearer: bob }),
    // A forged or altered id is the same 404.
    await api(jwt, 'GET', `/api/multipart/${id.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))}/parts`, { bearer: alice }),
    await api(jwt, 'GET', '/api/multipart/not-an-id/parts', { bearer: alice }),
  ]) assertError(answer, 404, 'not_found', /^no such multipart upload$/);
  assert.equal((await api(jwt, 'DELETE', `/api/multipart/${id}`, { bearer: alice })).status, 204);
  assertError(await api(jwt, 'GET', `/api/multipart/${id}/parts`, { bearer: alice }), 404, 'not_found');
});

test('jwt: tokens: missing, forged, expired, wrong audience or subject are 401', async () => {
  const body = { filename: 'a.bin', file_type: 'direct', size: 1 };
  const missing = await api(jwt, 'POST', '/api/get-upload-url', { body });
  assertError(missing, 401, 'unauthorized', /Authorization/);
  assert.equal(missing.headers.get('www-authenticate'), 'Bearer');
  assertError(await api(jwt, 'POST', '/api/get-upload-url', { body, headers: { authorization: `Basic ${alice}` } }), 401, 'unauthorized', /Bearer/);
  assertError(await api(jwt, 'POST', '/api/get-upload-url', { body, bearer: token('alice', { exp: now() - 3600 }) }), 401, 'unauthorized', /expired/);
  assertError(await api(jwt, 'POST', '/api/get-upload-url', { body, bearer: token('alice', { aud: 'another-api' }) }), 401, 'unauthorized', /audience/);
  assertError(await api(jwt, 'POST', '/api/get-upload-url', { body, bearer: token('alice', { exp: undefined }) }), 401, 'unauthorized', /exp/);
  assertError(await api(jwt, 'POST', '/api/get-upload-url', { body, bearer: token('../etc') }), 401, 'unauthorized', /sub/);
  assertError(await api(jwt, 'POST', '/api/get-upload-url', { body, bearer: hs256(SECRET, { sub: 'alice', aud: AUDIENCE, exp: now() + 60 }, { alg: 'HS512', typ: 'JWT' }) }),
    401, 'unauthorized', /algorithm/);
  assertError(await api(jwt, 'POST', '/api/get-upload-url', { body, bearer: hs256(SECRET, { sub: 'alice', aud: AUDIENCE, exp: now() + 60 }, { alg: 'none' }) }),
    401, 'unauthorized');
  assert.equal((await api(jwt, 'POST', '/api/get-upload-url', { body, bearer: alice })).status, 200);
});

test('jwt: single PUTs sign type, size, checksum, metadata and if-none-match; the store holds them to it', async () => {
  const bytes = randomBytes(4096);
  const signed = await api(jwt, 'POST', '/api/get-upload-url', {
    bearer: alice,
    body: { filename: '../../\u00DCn\u00EFcode\u202Efdp.exe', file_type: 'direct', content_type: 'text/plain;  charset=utf-8', size: bytes.length, sha256: sha256(bytes, 'base64'), metadata: { serial: 'S-1' } },
  });
  assert.equal(signed.status, 200, JSON.stringify(signed.body));
  assert.match(signed.body.key, /^users\/alice\/direct\/\d{4}-\d{2}-\d{2}\/[0-9a-f]{32}-\u00DCn\u00EFcodefdp\.exe$/);
  assert.equal(signed.body.method, 'PUT');
  assert.equal(signed.body.expires_in, 900);
  assert.deepEqual(signed.body.headers, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': String(bytes.length),
    'if-none-match': '*',
    'x-amz-checksum-sha256': sha256(bytes, 'base64'),
    'x-amz-meta-serial': 'S-1',
  });
  const url = new URL(signed.body.upload_url);
  assert.deepEqual(url.searchParams.get('X-Amz-SignedHeaders').split(';').sort(),
    ['content-length', 'content-type', 'host', 'if-none-match', 'x-amz-checksum-sha256', 'x-amz-meta-serial']);
  assert.equal(url.searchParams.get('x-amz-checksum-sha256'), null, 'the checksum must be a header, not a query parameter');
  assert.equal([...url.searchParams.keys()].filter((k) => /crc|sdk-checksum/i.test(k)).length, 0, url.href);

  // Another body, or a missing signed header, is refused by the store; the right one is stored.
  const other = Buffer.from(bytes);
  other[0] ^= 1;
  assert.equal((await putSigned(signed.body, other)).status, 400);
  const { 'x-amz-meta-serial': _serial, ...withoutMeta } = signed.body.headers;
  assert.notEqual((await putSigned({ ...signed.body, headers: withoutMeta }, bytes)).status, 200);
  assert.equal((await putSigned(signed.body, bytes)).status, 200);

  const key = signed.body.key;
  const confirm = (extra) => api(jwt, 'POST', '/api/file-uploaded', { bearer: alice, body: { key, file_type: 'direct', ...extra } });
  const ok = await confirm({ size: bytes.length, sha256: sha256(bytes, 'base64') });
  assert.deepEqual({ ...ok.body, etag: undefined }, {
    key, size: bytes.length, etag: undefined, sha256: sha256(bytes, 'base64'), content_type: 'text/plain; charset=utf-8', metadata: { serial: 'S-1' },
  });
  assertError(await confirm({ size: bytes.length + 1 }), 409, 'checksum_mismatch', /not the 4097 declared/);
  assertError(await confirm({ sha256: sha256(other, 'base64') }), 409, 'checksum_mismatch');
  assertError(await confirm({ file_type: 'other' }), 400, 'bad_request', /file_type/);
  assertError(await api(jwt, 'POST', '/api/file-uploaded', { bearer: alice, body: { key: `${key}.missing`, file_type: 'direct' } }), 404, 'not_found');

  // Downloads: attachment with the file's name (RFC 6266), inline only for passive types.
  const download = await api(jwt, 'GET', `/api/download-url?key=${encodeURIComponent(key)}`, { bearer: alice });
  assert.equal(download.status, 200);
  const got = await fetch(download.body.url);
  assert.equal(got.headers.get('content-disposition'), 'inline; filename="_n_codefdp.exe"; filename*=UTF-8\'\'%C3%9Cn%C3%AFcodefdp.exe');
  assert.equal(got.headers.get('content-type'), 'text/plain; charset=utf-8');
  assert.equal(sha256(Buffer.from(await got.arrayBuffer())), sha256(bytes));
  const binary = await storeSmall(alice, 'page.bin', Buffer.from('<html><script>alert(1)</script>'));
  const saved = await fetch((await api(jwt, 'GET', `/api/download-url?key=${encodeURIComponent(binary)}`, { bearer: alice })).body.url);
  assert.equal(saved.headers.get('content-disposition'), 'attachment; filename="page.bin"; filename*=UTF-8\'\'page.bin');
  assertError(await api(jwt, 'GET', '/api/download-url', { bearer: alice }), 400, 'bad_request', /key/);
});

test('jwt: bodies and policy: unknown fields, bad JSON, types, sizes and metadata are refused naming what', async () => {
  const sign = (body, extra = {}) => api(jwt, 'POST', '/api/get-upload-url', { bearer: alice, body, ...extra });
  const base = { filename: 'a.txt', file_type: 'direct', size: 10 };
  assertError(await sign({ ...base, contentType: 'text/plain' }), 400, 'bad_request', /unknown field `contentType`/);
  assertError(await sign({ filename: 'a.txt' }), 400, 'bad_request', /missing field `file_type`/);
  assertError(await sign({ ...base, size: -1 }), 400, 'bad_request', /size/);
  assertError(await sign({ ...base, size: '10' }), 400, 'bad_request', /size/);
  assertError(await sign({ ...base, sha256: 'nope' }), 400, 'bad_request', /sha256/);
  assertError(await sign('{"filename": "a.txt",'), 400, 'bad_request', /not valid JSON/);
  assertError(await sign('[]'), 400, 'bad_request', /JSON object/);
  assertError(await api(jwt, 'POST', '/api/get-upload-url', { bearer: alice, body: JSON.stringify(base), headers: { 'content-type': 'text/plain' } }),
    415, 'unsupported_type', /application\/json/);
  assertError(await sign({ ...base, file_type: 'Images' }), 400, 'bad_request', /file_type/);
  assertError(await sign({ ...base, filename: '   ' }), 400, 'bad_request', /filename/);
  assertError(await sign({ ...base, content_type: 'image/png, text/html' }), 400, 'bad_request', /one media type/);
  assertError(await sign({ ...base, content_type: 'text/plain; boundary=x' }), 400, 'bad_request', /charset/);
  for (const active of ['text/html', 'image/svg+xml', 'application/xhtml+xml', 'application/xml', 'application/rss+xml', 'text/javascript']) {
    assertError(await sign({ ...base, content_type: active }), 415, 'unsupported_type', /active content/);
  }
  // The default limit is 5 GiB, for single PUTs and multipart uploads alike.
  assertError(await sign({ ...base, size: 5 * 1024 * MiB + 1 }), 413, 'too_large', /exceeds 5368709120 bytes, the limit for file_type direct$/);
  assertError(await api(jwt, 'POST', '/api/multipart', { bearer: alice, body: { ...base, size: 5 * 1024 * MiB + 1 } }), 413, 'too_large', /exceeds 5368709120 bytes/);
  assertError(await api(jwt, 'POST', '/api/get-upload-form', { bearer: alice, body: { ...base, size: 1_000_001 } }), 413, 'too_large', /POST form/);
  assertError(await api(jwt, 'POST', '/api/get-upload-form', { bearer: alice, body: { ...base, size: 0 } }), 400, 'bad_request', /at least 1 byte/);

  for (const [metadata, named] of [
    [{ Serial: '1' }, /"Serial"/],
    [{ 'x-amz-meta-serial': '1' }, /x-amz-meta- prefix/],
    [{ 'user-id': 'eve' }, /reserved/],
    [{ serial: 'ñ' }, /"serial" must be printable ASCII/],
    [{ serial: ' padded' }, /"serial"/],
    [{ serial: 'x'.repeat(2100) }, /2048/],
    [{ colour: 'red' }, /"colour" is not allowed/],
    [{ serial: 7 }, /metadata\.serial must be a string/],
  ]) {
    for (const path of ['/api/get-upload-url', '/api/get-upload-form', '/api/multipart']) {
      assertError(await api(jwt, 'POST', path, { bearer: alice, body: { ...base, metadata } }), 400, 'bad_request', named);
    }
  }

  // Batches: one outcome per file; a malformed batch is a 400 for the whole.
  const batch = await api(jwt, 'POST', '/api/get-upload-urls', {
    bearer: alice, body: { files: [base, { ...base, content_type: 'text/html' }, { ...base, file_type: '' }] },
  });
  assert.equal(batch.status, 200);
  assert.ok(batch.body.uploads[0].ok.upload_url);
  assert.deepEqual(batch.body.uploads.slice(1).map((u) => [u.status, u.error.code]), [[415, 'unsupported_type'], [400, 'bad_request']]);
  assertError(await api(jwt, 'POST', '/api/get-upload-urls', { bearer: alice, body: { files: [] } }), 400, 'bad_request', /1 to 100/);
  assertError(await api(jwt, 'POST', '/api/get-upload-urls', { bearer: alice, body: { files: Array(101).fill(base) } }), 400, 'bad_request', /1 to 100/);
  assertError(await api(jwt, 'POST', '/api/files-uploaded', { bearer: alice, body: { files: [{ key: 'k', file_type: 'x', extra: 1 }] } }),
    400, 'bad_request', /files\[0\]\.extra/);

  // Bodies are read up to 64 KiB; a Complete up to 2 MiB (S3's 10,000 parts take about 1 MB).
  assertError(await sign({ ...base, filename: `${'a'.repeat(70 * 1024)}.txt` }), 413, 'too_large', /65536 bytes/);
  const tenThousand = Array.from({ length: 10_000 }, (_, i) => ({ number: i + 1, etag: `"${'0'.repeat(32)}"`, sha256: sha256(Buffer.from([i % 256]), 'base64') }));
  assert.ok(JSON.stringify({ parts: tenThousand }).length > 1024 * 1024);
  assertError(await api(jwt, 'POST', '/api/multipart/not-an-id/complete', { bearer: alice, body: { parts: tenThousand } }),
    404, 'not_found', /no such multipart upload/);

  // Routes.
  assertError(await api(jwt, 'GET', '/api/nothing-here', { bearer: alice }), 404, 'not_found');
  assertError(await api(jwt, 'GET', '/api/get-upload-url', { bearer: alice }), 405, 'bad_request', /GET/);
  assertError(await api(jwt, 'GET', '/', {}), 404, 'not_found');
});

test('jwt: multipart: part sizes are the plan\'s, client_token is idempotent, Complete is checked and retryable', async () => {
  const bytes = randomBytes(11 * MiB);
  const request = { filename: 'parts.bin', file_type: 'direct', size: bytes.length, part_size: 5 * MiB, client_token: `tok-${randomBytes(8).toString('hex')}` };
  const create = (body = request) => api(jwt, 'POST', '/api/multipart', { bearer: alice, body });
  const first = await create();
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.deepEqual([first.body.part_size, first.body.part_count], [5 * MiB, 3]);
  const again = await create();
  assert.deepEqual(again.body, first.body, 'the same token and request answer the same upload');
  assertError(await create({ ...request, filename: 'other.bin' }), 422, 'bad_request', /client_token/);
  assertError(await create({ ...request, client_token: 'short' }), 400, 'bad_request', /client_token/);
  assertError(await create({ ...request, client_token: undefined, size: 0 }), 400, 'bad_request', /at least 1 byte/);
  assertError(await create({ ...request, client_token: undefined, content_type: 'text/html' }), 415, 'unsupported_type');
  assertError(await create({ ...request, client_token: undefined, size: 5 * 1024 * 1024 * MiB + 1 }), 413, 'too_large');
  assert.equal(openUploads(garage.env).filter((u) => u.key === first.body.key).length, 1, 'one upload opened');

  const id = encodeURIComponent(first.body.upload_id);
  const parts = [0, 1, 2].map((i) => {
    const slice = bytes.subarray(i * 5 * MiB, (i + 1) * 5 * MiB);
    return { number: i + 1, size: slice.length, sha256: sha256(slice, 'base64'), slice };
  });
  const ask = (list) => api(jwt, 'POST', `/api/multipart/${id}/part-urls`, { bearer: alice, body: { parts: list } });
  assertError(await ask([{ ...parts[0], slice: undefined, size: 5 * MiB - 1 }]), 400, 'bad_request', /part 1 must be 5242880 bytes/);
  assertError(await ask([{ number: 3, size: 5 * MiB, sha256: parts[2].sha256 }]), 400, 'bad_request', /part 3 must be 1048576 bytes/);
  assertError(await ask([{ number: 4, size: 1, sha256: parts[2].sha256 }]), 400, 'bad_request', /part 4 does not exist/);
  assertError(await ask([{ number: 1, size: 5 * MiB }]), 400, 'bad_request', /no sha256/);
  assertError(await ask([]), 400, 'bad_request', /1 to 100/);
  const signed = await ask(parts.map(({ slice, ...p }) => p));
  assert.equal(signed.status, 200, JSON.stringify(signed.body));
  const etags = [];
  for (const [i, u] of signed.body.urls.entries()) {
    assert.deepEqual(new URL(u.url).searchParams.get('X-Amz-SignedHeaders').split(';').sort(), ['content-length', 'host', 'x-amz-checksum-sha256']);
    assert.deepEqual(u.headers, { 'content-length': String(parts[i].size), 'x-amz-checksum-sha256': parts[i].sha256 });
    // The wrong bytes for a part are refused by the store.
    assert.equal((await fetch(u.url, { method: 'PUT', headers: { 'x-amz-checksum-sha256': u.headers['x-amz-checksum-sha256'] }, body: Buffer.alloc(parts[i].size) })).status, 400);
    const put = await fetch(u.url, { method: 'PUT', headers: { 'x-amz-checksum-sha256': u.headers['x-amz-checksum-sha256'] }, body: parts[i].slice });
    assert.equal(put.status, 200);
    etags.push(put.headers.get('etag'));
  }
  const listed = await api(jwt, 'GET', `/api/multipart/${id}/parts`, { bearer: alice });
  assert.deepEqual(listed.body.parts.map((p) => [p.number, p.size, p.sha256]), parts.map((p) => [p.number, p.size, p.sha256]));
  assert.equal(listed.body.key, first.body.key);

  const complete = (list) => api(jwt, 'POST', `/api/multipart/${id}/complete`, { bearer: alice, body: { parts: list } });
  const all = parts.map((p, i) => ({ number: p.number, etag: etags[i], sha256: p.sha256 }));
  assertError(await complete(all.slice(0, 2)), 400, 'bad_request', /missing part\(s\) 3/);
  assertError(await complete([...all, all[0]]), 400, 'bad_request', /listed more than once/);
  const done = await complete([all[2], all[0], all[1]]);
  assert.equal(done.status, 200, JSON.stringify(done.body));
  assert.deepEqual({ ...done.body, etag: undefined }, { key: first.body.key, size: bytes.length, etag: undefined, checksum_sha256: composite(bytes, 5 * MiB) });
  // A Complete whose answer was lost is sent again: the same answer.
  assert.deepEqual((await complete(all)).body, done.body);
  // Once completed, the upload is gone for the other calls.
  assertError(await api(jwt, 'GET', `/api/multipart/${id}/parts`, { bearer: alice }), 404, 'not_found');
  assertError(await ask([{ number: 1, size: 5 * MiB, sha256: parts[0].sha256 }]), 404, 'not_found');
  const [stored] = readBack(garage.env, [first.body.key]);
  assert.equal(stored.sha256, sha256(bytes));

  // checksum: false signs and completes parts without sha256, and refuses one.
  const plain = await create({ filename: 'plain.bin', file_type: 'direct', size: 6 * MiB, checksum: false });
  const plainId = encodeURIComponent(plain.body.upload_id);
  assertError(await api(jwt, 'POST', `/api/multipart/${plainId}/part-urls`, { bearer: alice, body: { parts: [{ number: 1, size: 6 * MiB, sha256: parts[0].sha256 }] } }),
    400, 'bad_request', /checksum": false/);
  const plainUrl = await api(jwt, 'POST', `/api/multipart/${plainId}/part-urls`, { bearer: alice, body: { parts: [{ number: 1, size: 6 * MiB }] } });
  assert.deepEqual(plainUrl.body.urls[0].headers, { 'content-length': String(6 * MiB) });
  const plainBytes = randomBytes(6 * MiB);
  const plainPut = await fetch(plainUrl.body.urls[0].url, { method: 'PUT', body: plainBytes });
  assert.equal(plainPut.status, 200);
  const plainDone = await api(jwt, 'POST', `/api/multipart/${plainId}/complete`, { bearer: alice, body: { parts: [{ number: 1, etag: plainPut.headers.get('etag') }] } });
  assert.equal(plainDone.status, 200, JSON.stringify(plainDone.body));
  assert.equal(readBack(garage.env, [plain.body.key])[0].sha256, sha256(plainBytes));

  // Abort deletes the upload in the store; its id is then unknown.
  const doomed = await create({ filename: 'doomed.bin', file_type: 'direct', size: 6 * MiB });
  const doomedId = encodeURIComponent(doomed.body.upload_id);
  assert.equal((await api(jwt, 'DELETE', `/api/multipart/${doomedId}`, { bearer: alice })).status, 204);
  assert.deepEqual(openUploads(garage.env).filter((u) => u.key === doomed.body.key), []);
  assertError(await api(jwt, 'DELETE', `/api/multipart/${doomedId}`, { bearer: alice }), 404, 'not_found');
});

test('CORS for the page origin only (dev mode: loopback pages, a loopback Host); Retry-After exposed; healthz', async () => {
  const preflight = await fetch(`${jwt.url}/api/get-upload-url`, {
    method: 'OPTIONS',
    headers: { origin: site.origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
  });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get('access-control-allow-origin'), site.origin);
  assert.match(preflight.headers.get('access-control-allow-headers'), /Authorization/i);
  assert.match(preflight.headers.get('access-control-allow-methods'), /DELETE/);
  const simple = await api(jwt, 'GET', '/api/nothing', { headers: { origin: site.origin } });
  assert.equal(simple.headers.get('access-control-allow-origin'), site.origin);
  assert.equal(simple.headers.get('access-control-expose-headers'), 'Retry-After');
  const stranger = await fetch(`${jwt.url}/api/get-upload-url`, {
    method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
  });
  assert.equal(stranger.headers.get('access-control-allow-origin'), null);

  // Dev mode: pages on loopback names too, and only a loopback Host.
  for (const [origin, allowed] of [['http://localhost:5173', true], ['https://[::1]:8443', true], ['http://evil.example', false], ['http://localhost.evil.example', false]]) {
    const answer = await fetch(`${dev.url}/api/get-upload-url`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
    assert.equal(answer.headers.get('access-control-allow-origin'), allowed ? origin : null, origin);
  }
  assert.equal((await api(jwt, 'GET', '/api/nothing', { headers: { origin: 'http://localhost:5173' } })).headers.get('access-control-allow-origin'), null,
    'loopback pages are allowed in dev mode only');
  const rebound = await hostRequest(dev.url, '/api/get-upload-url', 'uploads.evil.example');
  assertError(rebound, 403, 'forbidden', /uploads\.evil\.example/);
  assert.equal((await hostRequest(dev.url, '/api/nothing', 'localhost:1234')).status, 404);

  const health = await api(jwt, 'GET', '/healthz');
  assert.deepEqual([health.status, health.body], [200, { status: 'ok', checks: { store: { status: 'ok' } } }]);
});

// ---------------------------------------------------------------------------
// The project's conformance suite (presign-server conformance)

const CHECKS = [
  'single-put', 'put-binds-checksum', 'download', 'batches', 'post-form', 'multipart',
  'part-urls-bind-checksum', 'multipart-abort', 'error-shape', 'bad-token', 'other-users-keys', 'metadata',
];

/** Runs `presign-server conformance` with `args`: `{ code, stdout, stderr }`. */
function conformance(args) {
  const bin = process.env.PRESIGN_SERVER_BIN ?? resolve(import.meta.dirname, '..', '..', 'target', 'debug', 'presign-server');
  return new Promise((ok) => {
    execFile(bin, ['conformance', ...args], { encoding: 'utf8', timeout: 120_000 }, (err, stdout, stderr) => {
      ok({ code: err ? (err.code ?? err.signal) : 0, stdout, stderr });
    });
  });
}

/** The printed table's rows: `{ check: result }`. */
function table(stdout) {
  const rows = stdout.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| check |'));
  return Object.fromEntries(rows.map((l) => l.split('|').map((c) => c.trim())).map(([, name, result]) => [name, result]));
}

test('conformance: presign-server conformance passes every check against the JWT signer', { timeout: 150_000 }, async () => {
  const run = await conformance([jwt.url, '--token', token('conformance-a'), '--other-token', token('conformance-b'), '--metadata', 'serial=ECU-1']);
  console.log(run.stdout);
  const report = `${run.stdout}\n${run.stderr}\n${jwt.logs()}`;
  assert.equal(run.code, 0, report);
  assert.deepEqual(table(run.stdout), Object.fromEntries(CHECKS.map((c) => [c, 'pass'])), report);
  assert.match(run.stdout, new RegExp(`^${CHECKS.length} passed, 0 failed, 0 absent, 0 skipped$`, 'm'), report);
});

test('mounted: createSignerApp serves the protocol under a path of another Express app', { timeout: 60_000 }, async () => {
  const { createSignerApp, ConfigError } = await import(signerScript);
  assert.throws(() => createSignerApp({ PATH: process.env.PATH }), (e) => e instanceof ConfigError && /SIGNER_JWT_SECRET/.test(e.message));
  const express = createRequire(signerScript)('express');
  const outer = express();
  outer.get('/', (_req, res) => res.send('the app'));
  outer.use('/uploads', createSignerApp({
    ...garage.env, SIGNER_JWT_SECRET: SECRET, SIGNER_JWT_AUDIENCE: AUDIENCE, SIGNER_ALLOW_ORIGIN: site.origin, SIGNER_MAX_SIZE: String(5 * 1024 ** 4),
  }));
  const server = await new Promise((ok) => { const s = outer.listen(0, '127.0.0.1', () => ok(s)); });
  try {
    const base = `http://127.0.0.1:${server.address().port}`;
    const mounted = { url: `${base}/uploads` };
    assert.equal(await (await fetch(`${base}/`)).text(), 'the app');
    assertError(await api(mounted, 'GET', '/api/nothing', { bearer: alice }), 404, 'not_found');
    assertError(await api(mounted, 'POST', '/api/get-upload-url', { body: { filename: 'a.bin', file_type: 'direct' } }), 401, 'unauthorized');
    // Past 5 GiB (SIGNER_MAX_SIZE raised to 5 TiB) a file needs a multipart upload.
    assertError(await api(mounted, 'POST', '/api/get-upload-url', { bearer: alice, body: { filename: 'a.bin', file_type: 'direct', size: 5 * 1024 * MiB + 1 } }),
      413, 'too_large', /exceeds 5368709120 bytes, the limit for file_type direct with a single PUT; use a multipart upload/);

    // The client in a page, with the mounted path as its endpoint.
    const bytes = randomBytes(70_000);
    const { page } = await blankPage(mounted);
    const result = await upload(page, writeFile('mounted.bin', bytes), { fileType: 'mounted' }, { endpoint: mounted.url, token: alice });
    assert.equal(result.ok, true, result.message);
    assert.match(result.key, /^users\/alice\/mounted\//);
    const [stored] = readBack(garage.env, [result.key]);
    assert.equal(stored.sha256, sha256(bytes));
    await page.close();
  } finally {
    server.closeAllConnections();
    await new Promise((ok) => server.close(ok));
  }
});

test('the signer refuses to start without an identity or with a weak secret, saying why', async () => {
  const store = { ...garage.env };
  const none = await refusedStart(store);
  assert.equal(none.code, 2);
  assert.match(none.output, /SIGNER_JWT_SECRET/);
  assert.match(none.output, /SIGNER_DEV=1/);
  const weak = await refusedStart({ ...store, SIGNER_JWT_SECRET: 'short' });
  assert.equal(weak.code, 2);
  assert.match(weak.output, /at least 32 bytes/);
  const noBucket = await refusedStart({ ...store, PRESIGN_BUCKET: '', SIGNER_DEV: '1' });
  assert.match(noBucket.output, /SIGNER_BUCKET/);
  const badMeta = await refusedStart({ ...store, SIGNER_DEV: '1', SIGNER_METADATA: 'user-id' });
  assert.match(badMeta.output, /SIGNER_METADATA: .*reserved/);
});
