// End to end: the reference Flask signer (examples/flask-signer/app.py)
// against a Garage of its own, driven by the project's own client and widget
// in Chromium. The demo page (www/ + pkg/) is served from a page origin of
// its own, its widget pointed at the Flask signer (`widget.endpoint`,
// `widget.getToken`): a 20 MB single PUT, a 200 MiB multipart upload and a
// resume after a reload. An Uploader in the page then uploads 30 small files
// through the batch routes, a POST form and metadata, and meets every
// refusal the protocol defines. Every stored object is read back with boto3
// (an S3 client that is not ours) and its SHA-256 compared with the bytes
// given. `presign-server conformance` then checks the JWT signer as a team
// would check a signer of its own. The signer runs twice: in dev mode and
// with JWTs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { startGarage } from './garage.mjs';
import { launchChromium } from './browser.mjs';
import { upload } from './page_upload.mjs';
import { rowReaches, settled } from './widget-page.mjs';

const repo = resolve(import.meta.dirname, '..', '..');
const python = join(repo, '.venv', 'bin', 'python');
const MIB = 1024 * 1024;
const SECRET = 'flask-signer-test-secret-of-at-least-32-bytes';
const AUDIENCE = 'uploads-api';
const METADATA = 'serial,project';

let work;
let site;
let garage;
let dev;
let jwtSigner;
let browser;

const sha256 = (bytes, encoding = 'hex') => createHash('sha256').update(bytes).digest(encoding);
const b64url = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** An HS256 JWT for `sub`, as the app a team already has would issue it. */
function token(sub, { secret = SECRET, aud = AUDIENCE, expiresIn = 600 } = {}) {
  const claims = { sub, exp: Math.floor(Date.now() / 1000) + expiresIn, ...(aud ? { aud } : {}) };
  const unsigned = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(claims)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

// ---------------------------------------------------------------- processes

/** The page origin: www/ at / and pkg/ at /pkg/, as presign-server serves them. */
function startSite() {
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.json': 'application/json' };
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const [root, rest] = path.startsWith('/pkg/') ? [join(repo, 'pkg'), path.slice(5)] : [join(repo, 'www'), path.slice(1) || 'index.html'];
    const file = normalize(join(root, rest));
    if (!file.startsWith(root) || !existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(readFileSync(file));
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok({
    origin: `http://127.0.0.1:${server.address().port}`,
    stop: () => new Promise((done) => { server.closeAllConnections(); server.close(done); }),
  })));
}

/** Starts app.py against the test's Garage with `env`; resolves once it wrote its ready file. */
async function startSigner(env) {
  const readyFile = join(mkdtempSync(join(work, 'ready-')), 'ready.json');
  const child = spawn(python, [join(repo, 'examples', 'flask-signer', 'app.py')], {
    env: { ...process.env, ...garage.env, SIGNER_LISTEN: '127.0.0.1:0', SIGNER_READY_FILE: readyFile, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  child.stdout.on('data', (d) => { logs += d; });
  child.stderr.on('data', (d) => { logs += d; });
  const deadline = Date.now() + 30_000;
  while (!existsSync(readyFile)) {
    if (child.exitCode !== null) throw new Error(`flask signer exited (${child.exitCode}):\n${logs}`);
    if (Date.now() > deadline) throw new Error(`flask signer did not start in 30 s:\n${logs}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const { url } = JSON.parse(readFileSync(readyFile, 'utf8'));
  return {
    url,
    logs: () => logs,
    stop: () => new Promise((done) => {
      if (child.exitCode !== null) return done();
      child.once('exit', done);
      child.kill('SIGTERM');
    }),
  };
}

// boto3, not our code, describes what the store holds: each key's bytes'
// SHA-256 (hex) and size, its stored checksum, type and user metadata; and
// the multipart uploads still open under `openPrefix`.
const READ_BACK = `
import boto3, hashlib, json, os, sys
from botocore.config import Config
req = json.load(sys.stdin)
bucket = os.environ["PRESIGN_BUCKET"]
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name=os.environ["AWS_REGION"],
                  config=Config(s3={"addressing_style": "path"}))
out = {"objects": {}, "open": []}
for key in req.get("keys", []):
    head = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    body, digest, size = s3.get_object(Bucket=bucket, Key=key)["Body"], hashlib.sha256(), 0
    for chunk in iter(lambda: body.read(1 << 20), b""):
        digest.update(chunk)
        size += len(chunk)
    out["objects"][key] = {"size": size, "sha256": digest.hexdigest(), "checksum": head.get("ChecksumSHA256"),
                           "content_type": head.get("ContentType"), "metadata": head.get("Metadata", {})}
if "openPrefix" in req:
    out["open"] = [u["Key"] for u in s3.list_multipart_uploads(Bucket=bucket, Prefix=req["openPrefix"]).get("Uploads", [])]
print(json.dumps(out))
`;

function readBack(keys, openPrefix) {
  const run = spawnSync(python, ['-c', READ_BACK], {
    input: JSON.stringify({ keys, ...(openPrefix ? { openPrefix } : {}) }),
    env: { ...process.env, ...garage.env },
    encoding: 'utf8',
    maxBuffer: 16 * MIB,
  });
  assert.equal(run.status, 0, `boto3 read-back failed:\n${run.stderr}`);
  return JSON.parse(run.stdout);
}

/** Asserts that boto3 reads `bytes` back at `key`; answers what it saw. */
function assertStoredByBoto3(key, bytes) {
  const stored = readBack([key]).objects[key];
  assert.equal(stored.size, bytes.length, key);
  assert.equal(stored.sha256, sha256(bytes), `${key}: the stored bytes differ from the file's`);
  return stored;
}

/** A signer call from Node: `{ status, body, headers }`. */
async function call(signer, method, path, { body, auth, headers = {} } = {}) {
  const res = await fetch(signer.url + path, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(auth ? { authorization: `Bearer ${auth}` } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed = text;
  try { parsed = text ? JSON.parse(text) : null; } catch { /* not JSON: asserted by the caller */ }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** Asserts the protocol's error shape, status and code; answers the message. */
function assertError(res, status, code) {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(typeof res.body?.error?.message, 'string', JSON.stringify(res.body));
  assert.equal(res.body.error.code, code, JSON.stringify(res.body));
  return res.body.error.message;
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'flask-signer-e2e-'));
  site = await startSite();
  garage = startGarage(join(work, 'garage'), { origins: [site.origin] });
  const common = { SIGNER_ALLOW_ORIGIN: site.origin, SIGNER_METADATA: METADATA };
  dev = await startSigner({ ...common, SIGNER_DEV: '1' });
  jwtSigner = await startSigner({ ...common, SIGNER_JWT_SECRET: SECRET, SIGNER_JWT_AUDIENCE: AUDIENCE });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await dev?.stop();
  await jwtSigner?.stop();
  garage?.stop();
  await site?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

// ---------------------------------------------------------------- the demo page's widget

/** The demo page from the page origin, its widget pointed at `signer`. */
async function demoPage(signer, { user, uploadOptions = {}, context } = {}) {
  const page = await (context ?? browser).newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  await page.goto(`${site.origin}/`);
  await pointWidget(page, signer, user, uploadOptions);
  return { page, errors };
}

function pointWidget(page, signer, user, uploadOptions) {
  const jwt = user ? token(user) : null;
  return page.evaluate(async ([endpoint, jwt, extra]) => {
    await customElements.whenDefined('presigned-upload');
    const widget = document.getElementById('uploader');
    widget.endpoint = endpoint;
    if (jwt) widget.getToken = () => jwt;
    widget.uploadOptions = { ...widget.uploadOptions, ...extra };
  }, [signer.url, jwt, uploadOptions]);
}

/** Uploads `bytes` as `name` through the widget; the settled row and the
 * result its upload-complete event carried. */
async function widgetUpload(page, name, bytes) {
  const file = join(work, name);
  writeFileSync(file, bytes);
  await page.evaluate(() => {
    window.completed = [];
    document.getElementById('uploader').addEventListener('upload-complete', (e) => window.completed.push(e.detail.result));
  });
  await page.setInputFiles('presigned-upload input[type=file]', file);
  const [row] = await settled(page, 1, { timeout: 480_000 });
  const [result] = await page.evaluate(() => window.completed);
  return { row, result };
}

test('without an identity, or with a short secret, the signer refuses to start and says why', () => {
  const app = join(repo, 'examples', 'flask-signer', 'app.py');
  const base = { ...process.env, ...garage.env, SIGNER_DEV: '', SIGNER_JWT_SECRET: '' };
  const none = spawnSync(python, [app], { env: base, encoding: 'utf8', timeout: 30_000 });
  assert.notEqual(none.status, 0);
  assert.match(none.stderr, /SIGNER_JWT_SECRET.*SIGNER_DEV=1/s);
  const short = spawnSync(python, [app], { env: { ...base, SIGNER_JWT_SECRET: 'too-short' }, encoding: 'utf8', timeout: 30_000 });
  assert.notEqual(short.status, 0);
  assert.match(short.stderr, /at least 32 bytes/);
  assert.doesNotMatch(none.stderr + short.stderr, /Traceback/);
});

test('JWT mode: the demo widget uploads a 20 MB file as one PUT; boto3 reads the same bytes back', { timeout: 240_000 }, async () => {
  // Above the client's 16 MiB default threshold: raised so this is a single PUT.
  const { page, errors } = await demoPage(jwtSigner, { user: 'alice', uploadOptions: { multipartThreshold: 64 * MIB } });
  const bytes = randomBytes(20 * 1000 * 1000);
  const { row, result } = await widgetUpload(page, 'ecu dump (20MB).bin', bytes);
  assert.equal(row.state, 'done', `${row.error}\n${jwtSigner.logs()}`);
  assert.match(row.key, /^users\/alice\/demo\/\d{4}-\d{2}-\d{2}\/[0-9a-f]{32}-ecu dump \(20MB\)\.bin$/);
  assert.ok(!('parts' in result), 'a single PUT');
  assert.equal(result.sha256, sha256(bytes, 'base64'));

  const stored = assertStoredByBoto3(row.key, bytes);
  assert.equal(stored.checksum, sha256(bytes, 'base64'), 'the store kept the signed SHA-256');

  // The widget's link is the signer's download-url: an attachment named after the file.
  const got = await fetch(row.href);
  assert.equal(got.status, 200);
  assert.equal(got.headers.get('content-disposition'),
    `attachment; filename="ecu dump (20MB).bin"; filename*=UTF-8''ecu%20dump%20%2820MB%29.bin`);
  assert.equal(sha256(Buffer.from(await got.arrayBuffer())), sha256(bytes));
  assert.deepEqual(errors, []);
  await page.close();
});

test('dev mode: the demo widget uploads 200 MiB through multipart; boto3 reads the same bytes back', { timeout: 480_000 }, async () => {
  const { page, errors } = await demoPage(dev);
  const bytes = randomBytes(200 * MIB);
  const { row, result } = await widgetUpload(page, 'big-200MiB.bin', bytes);
  assert.equal(row.state, 'done', `${row.error}\n${dev.logs()}`);
  assert.match(row.key, /^users\/dev\/demo\/\d{4}-\d{2}-\d{2}\/[0-9a-f]{32}-big-200MiB\.bin$/);
  assert.equal(result.parts, 25);
  assert.equal(result.sha256, sha256(bytes, 'base64'), 'the whole file, hashed in the page');
  assert.match(result.checksumSha256, /-25$/);
  const stored = assertStoredByBoto3(row.key, bytes);
  assert.equal(stored.checksum, result.checksumSha256, "the store's composite checksum, checked by the signer");
  assert.deepEqual(errors, []);
  await page.close();
});

test('JWT mode: a 200 MiB upload resumes after a page reload and sends only what is missing', { timeout: 600_000 }, async () => {
  const SIZE = 200 * MIB;
  const PART = 8 * MIB;
  const CONCURRENCY = 4;
  const context = await browser.newContext();
  const { page } = await demoPage(jwtSigner, { user: 'carol', context });
  const bytes = randomBytes(SIZE);
  const file = join(work, 'reload-me.bin');
  writeFileSync(file, bytes);
  const partNumber = (url) => Number(new URL(url).searchParams.get('partNumber'));
  const partSize = (n) => Math.min(PART, SIZE - (n - 1) * PART);
  const isPart = (r) => r.method() === 'PUT' && r.url().includes('reload-me.bin') && r.url().includes('partNumber=');
  // What the page sent to the store, and what the store answered (seen from the page).
  const sent = [];
  const stored = [];
  page.on('request', (r) => { if (isPart(r)) sent.push(partNumber(r.url())); });
  page.on('response', (r) => { if (isPart(r.request()) && r.status() === 200) stored.push(partNumber(r.url())); });
  // Slow each part a little so that "about half" is easy to catch.
  // (A part held here when the page reloads is dropped: continuing it then fails.)
  const parts = (url) => url.searchParams.has('partNumber');
  const slow = async (route) => { await new Promise((r) => setTimeout(r, 150)); await route.continue().catch(() => {}); };
  await page.route(parts, slow);

  await page.setInputFiles('presigned-upload input[type=file]', file);
  // The row's progressbar: 10% before the transfer, then 90% for it; 55 is about half the bytes.
  await rowReaches(page, { name: 'reload-me.bin', minValue: 55 });
  await page.reload();
  const storedBefore = new Set(stored);
  sent.length = 0;
  await page.unroute(parts, slow);
  assert.ok(storedBefore.size >= 5 && storedBefore.size < 25, `parts stored before the reload: ${[...storedBefore]}`);

  await pointWidget(page, jwtSigner, 'carol', {});
  await page.setInputFiles('presigned-upload input[type=file]', file);
  const [row] = await settled(page, 1);
  assert.equal(row.state, 'done', `${row.error}\n${jwtSigner.logs()}`);

  const sentAfter = sent.reduce((sum, n) => sum + partSize(n), 0);
  const remaining = SIZE - [...storedBefore].reduce((sum, n) => sum + partSize(n), 0);
  const bound = remaining + (CONCURRENCY + 1) * PART;
  assert.ok(sentAfter <= bound, `sent ${sentAfter} bytes after the reload; remaining ${remaining}, bound ${bound}`);
  assert.deepEqual(sent.filter((n) => storedBefore.has(n)), [], 'parts stored before the reload were sent again');
  assertStoredByBoto3(row.key, bytes);
  assert.deepEqual(readBack([], 'users/carol/').open, [], 'no multipart upload left open');
  console.log(`flask resume: ${storedBefore.size} parts stored before the reload; ${sentAfter} bytes sent after (remaining ${remaining}, bound ${bound})`);
  await context.close();
});

// ---------------------------------------------------------------- the client in a page

/** A page of the page origin that counts the signer requests by path (no preflights). */
async function clientPage(signer) {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('page error:', e));
  const counts = {};
  const batchSizes = {};
  page.on('request', (r) => {
    if (!r.url().startsWith(signer.url) || r.method() === 'OPTIONS') return;
    const path = new URL(r.url()).pathname;
    counts[path] = (counts[path] ?? 0) + 1;
    if (r.method() === 'POST' && (path === '/api/get-upload-urls' || path === '/api/files-uploaded')) {
      (batchSizes[path] ??= []).push(JSON.parse(r.postData()).files.length);
    }
  });
  await page.goto(`${site.origin}/`);
  return { page, counts, batchSizes };
}

test('JWT mode: 30 small files through the client are signed and confirmed in batches, each stored byte for byte', { timeout: 180_000 }, async () => {
  const { page, counts, batchSizes } = await clientPage(jwtSigner);
  const made = Array.from({ length: 30 }, (_, i) => {
    const bytes = randomBytes(1000 + ((i * 7919) % 200_000));
    const path = join(work, `many-${i}.bin`);
    writeFileSync(path, bytes);
    return { path, bytes };
  });
  await page.evaluate(() => {
    const input = Object.assign(document.createElement('input'), { type: 'file', id: 'e2e-files', multiple: true });
    document.body.append(input);
  });
  await page.setInputFiles('#e2e-files', made.map((f) => f.path));
  const outcomes = await page.evaluate(async ([endpoint, jwt]) => {
    const { default: init, Uploader } = await import('/pkg/presigned_upload.js');
    await init();
    const uploader = new Uploader({ endpoint, token: jwt, maxConcurrentFiles: 16 });
    // The Batch stays referenced until it settles, as in docs/client.md: a
    // Batch the page drops may be collected, and its result never settles.
    window.e2eBatch = uploader.uploadAll([...document.getElementById('e2e-files').files], { fileType: 'logs' });
    const { files } = await window.e2eBatch.result;
    return files.map((f) => (f.state === 'done' ? { ok: true, key: f.result.key, sha256: f.result.sha256 } : { ok: false, code: f.error.code, message: f.error.message }));
  }, [jwtSigner.url, token('dave')]);
  console.log(`flask batches: requests ${JSON.stringify(counts)}, batch sizes ${JSON.stringify(batchSizes)}`);
  outcomes.forEach((o) => assert.ok(o.ok, JSON.stringify(o)));
  const signed = (counts['/api/get-upload-url'] ?? 0) + (batchSizes['/api/get-upload-urls'] ?? []).reduce((a, b) => a + b, 0);
  const confirmed = (counts['/api/file-uploaded'] ?? 0) + (batchSizes['/api/files-uploaded'] ?? []).reduce((a, b) => a + b, 0);
  assert.equal(signed, 30, 'every file signed once');
  assert.equal(confirmed, 30, 'every file confirmed once');
  assert.ok(counts['/api/get-upload-urls'] >= 1 && counts['/api/files-uploaded'] >= 1, 'the batch routes were used');
  assert.ok((counts['/api/get-upload-url'] ?? 0) + counts['/api/get-upload-urls'] < 30, JSON.stringify(counts));
  assert.ok((counts['/api/file-uploaded'] ?? 0) + counts['/api/files-uploaded'] < 30, JSON.stringify(counts));
  const { objects } = readBack(outcomes.map((o) => o.key));
  made.forEach((f, i) => {
    const stored = objects[outcomes[i].key];
    assert.equal(stored.sha256, sha256(f.bytes), outcomes[i].key);
    assert.equal(stored.checksum, sha256(f.bytes, 'base64'));
  });
  await page.close();
});

test('JWT mode: a POST form upload (method: "post") is stored byte for byte, with the user pinned', { timeout: 120_000 }, async () => {
  const { page } = await clientPage(jwtSigner);
  const bytes = randomBytes(3 * 1000 * 1000);
  const file = join(work, 'form upload.bin');
  writeFileSync(file, bytes);
  const outcome = await upload(page, file, { fileType: 'forms', method: 'post' }, { endpoint: jwtSigner.url, token: token('erin') });
  assert.ok(outcome.ok, JSON.stringify(outcome));
  assert.equal(outcome.sha256, sha256(bytes, 'base64'));
  const stored = assertStoredByBoto3(outcome.key, bytes);
  assert.equal(stored.checksum, sha256(bytes, 'base64'));
  assert.equal(stored.metadata['user-id'], 'erin');

  // Over the form limit (10 MB): 413 before anything is sent.
  const large = join(work, 'form-large.bin');
  writeFileSync(large, randomBytes(11 * 1000 * 1000));
  const refused = await upload(page, large, { fileType: 'forms', method: 'post' }, { endpoint: jwtSigner.url, token: token('erin') });
  assert.deepEqual([refused.ok, refused.code, refused.status], [false, 'too_large', 413]);
  await page.close();
});

test('JWT mode: metadata set in the page is stored as x-amz-meta-* (single PUT and multipart)', { timeout: 180_000 }, async () => {
  const { page } = await clientPage(jwtSigner);
  const auth = token('frank');
  const metadata = { serial: 'ECU-0042', project: 'p 7' };
  const small = randomBytes(50_000);
  const big = randomBytes(18 * MIB);
  writeFileSync(join(work, 'meta-small.bin'), small);
  writeFileSync(join(work, 'meta-big.bin'), big);
  const one = await upload(page, join(work, 'meta-small.bin'), { fileType: 'meta', metadata }, { endpoint: jwtSigner.url, token: auth });
  const two = await upload(page, join(work, 'meta-big.bin'), { fileType: 'meta', metadata, partSize: 5 * MIB }, { endpoint: jwtSigner.url, token: auth });
  assert.ok(one.ok && two.ok, JSON.stringify([one, two]));
  assert.equal(two.parts, 4);
  const { objects } = readBack([one.key, two.key]);
  assert.deepEqual(objects[one.key].metadata, metadata);
  assert.deepEqual(objects[two.key].metadata, metadata);
  assert.equal(objects[one.key].sha256, sha256(small));
  assert.equal(objects[two.key].sha256, sha256(big));
  // The confirmation answers what the store holds, metadata included.
  const confirmed = await call(jwtSigner, 'POST', '/api/file-uploaded', { auth, body: { key: one.key, file_type: 'meta' } });
  assert.equal(confirmed.status, 200);
  assert.deepEqual(confirmed.body.metadata, metadata);
  await page.close();
});

test('JWT mode: refusals — others\' keys 404, bad tokens 401, HTML 415, a wrong part size 400, bad metadata 400 naming it', { timeout: 120_000 }, async () => {
  const alice = token('alice');
  const bob = token('bob');
  const { page } = await clientPage(jwtSigner);
  const file = join(work, 'refusals.bin');
  writeFileSync(file, randomBytes(10_000));
  const mine = await upload(page, file, { fileType: 'docs' }, { endpoint: jwtSigner.url, token: alice });
  assert.ok(mine.ok, JSON.stringify(mine));

  // Another user's key: 404 (never 403), through the client and over HTTP.
  const probed = await page.evaluate(async ([endpoint, jwt, key]) => {
    const { default: init, Uploader } = await import('/pkg/presigned_upload.js');
    await init();
    return new Uploader({ endpoint, token: jwt }).downloadUrl(key).then(() => null, (e) => [e.code, e.status]);
  }, [jwtSigner.url, bob, mine.key]);
  assert.deepEqual(probed, ['not_found', 404]);
  assertError(await call(jwtSigner, 'GET', `/api/download-url?key=${encodeURIComponent(mine.key)}`, { auth: bob }), 404, 'not_found');
  const bobsType = mine.key.replace('users/alice/', 'users/bob/');
  assertError(await call(jwtSigner, 'POST', '/api/file-uploaded', { auth: bob, body: { key: mine.key, file_type: 'docs' } }), 404, 'not_found');
  assertError(await call(jwtSigner, 'POST', '/api/file-uploaded', { auth: bob, body: { key: bobsType, file_type: 'docs' } }), 404, 'not_found');
  const batch = await call(jwtSigner, 'POST', '/api/files-uploaded', { auth: bob, body: { files: [{ key: mine.key, file_type: 'docs' }] } });
  assert.deepEqual(batch.body.uploads, [{ status: 404, error: { code: 'not_found', message: 'no such object' } }]);
  assert.equal((await call(jwtSigner, 'GET', `/api/download-url?key=${encodeURIComponent(mine.key)}`, { auth: alice })).status, 200);

  // Bad tokens: 401 with WWW-Authenticate, through the client and over HTTP.
  const forged = token('alice', { secret: 'another-secret-that-is-also-32-bytes-long' });
  const bad = await upload(page, file, { fileType: 'docs' }, { endpoint: jwtSigner.url, token: forged });
  assert.deepEqual([bad.ok, bad.code, bad.status], [false, 'unauthorized', 401]);
  for (const auth of [forged, token('alice', { expiresIn: -120 }), token('alice', { aud: 'someone-else' }), token('alice', { aud: null }), token('../x'), 'not.a.jwt']) {
    const res = await call(jwtSigner, 'POST', '/api/get-upload-url', { auth, body: { filename: 'a', file_type: 'docs' } });
    assertError(res, 401, 'unauthorized');
    assert.equal(res.headers.get('www-authenticate'), 'Bearer');
  }
  assertError(await call(jwtSigner, 'GET', '/api/download-url?key=x'), 401, 'unauthorized');

  // Active content: 415, through the client and over HTTP.
  const html = await upload(page, file, { fileType: 'docs', contentType: 'text/html' }, { endpoint: jwtSigner.url, token: alice });
  assert.deepEqual([html.ok, html.code, html.status], [false, 'unsupported_type', 415]);
  for (const type of ['text/html; charset=utf-8', 'image/svg+xml', 'application/xml', 'text/javascript']) {
    assertError(await call(jwtSigner, 'POST', '/api/get-upload-url', { auth: alice, body: { filename: 'a', file_type: 'docs', content_type: type } }), 415, 'unsupported_type');
  }
  assertError(await call(jwtSigner, 'POST', '/api/get-upload-url', { auth: alice, body: { filename: 'a', file_type: 'docs', content_type: 'text/plain; a=b' } }), 400, 'bad_request');

  // A part URL for a part of the wrong size, or not in the plan: 400.
  const created = await call(jwtSigner, 'POST', '/api/multipart', { auth: alice, body: { filename: 'p.bin', file_type: 'docs', size: 12 * MIB, part_size: 5 * MIB } });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const id = encodeURIComponent(created.body.upload_id);
  const digest = sha256(Buffer.alloc(0), 'base64');
  const wrongSize = await call(jwtSigner, 'POST', `/api/multipart/${id}/part-urls`, { auth: alice, body: { parts: [{ number: 1, size: 4 * MIB, sha256: digest }] } });
  assert.match(assertError(wrongSize, 400, 'bad_request'), /part 1 must be 5242880 bytes/);
  assertError(await call(jwtSigner, 'POST', `/api/multipart/${id}/part-urls`, { auth: alice, body: { parts: [{ number: 4, size: 2 * MIB, sha256: digest }] } }), 400, 'bad_request');
  assertError(await call(jwtSigner, 'POST', `/api/multipart/${id}/part-urls`, { auth: alice, body: { parts: [{ number: 3, size: 2 * MIB }] } }), 400, 'bad_request');
  // Another user's upload id, or one altered: 404 on every route.
  for (const [auth, uploadId] of [[bob, id], [alice, `${id.slice(0, -3)}AAA`]]) {
    assertError(await call(jwtSigner, 'GET', `/api/multipart/${uploadId}/parts`, { auth }), 404, 'not_found');
    assertError(await call(jwtSigner, 'POST', `/api/multipart/${uploadId}/part-urls`, { auth, body: { parts: [{ number: 3, size: 2 * MIB, sha256: digest }] } }), 404, 'not_found');
    assertError(await call(jwtSigner, 'POST', `/api/multipart/${uploadId}/complete`, { auth, body: { parts: [] } }), 404, 'not_found');
    assertError(await call(jwtSigner, 'DELETE', `/api/multipart/${uploadId}`, { auth }), 404, 'not_found');
  }
  assert.equal((await call(jwtSigner, 'DELETE', `/api/multipart/${id}`, { auth: alice })).status, 204);
  assertError(await call(jwtSigner, 'GET', `/api/multipart/${id}/parts`, { auth: alice }), 404, 'not_found');
  assertError(await call(jwtSigner, 'POST', `/api/multipart/${id}/part-urls`, { auth: alice, body: { parts: [{ number: 3, size: 2 * MIB, sha256: digest }] } }), 404, 'not_found');

  // Bad metadata: 400 naming the entry (the client refuses it before sending, too).
  for (const [metadata, named] of [[{ Serial: '1' }, 'Serial'], [{ colour: 'red' }, 'colour'], [{ serial: ' padded' }, 'serial'], [{ 'user-id': 'eve' }, 'user-id'], [{ serial: 'x'.repeat(2100) }, '2']]) {
    for (const path of ['/api/get-upload-url', '/api/get-upload-form']) {
      const res = await call(jwtSigner, 'POST', path, { auth: alice, body: { filename: 'a', file_type: 'docs', size: 1, metadata } });
      assert.ok(assertError(res, 400, 'bad_request').includes(named), res.body.error.message);
    }
  }
  const badMeta = await upload(page, file, { fileType: 'docs', metadata: { Serial: '1' } }, { endpoint: jwtSigner.url, token: alice });
  assert.deepEqual([badMeta.ok, badMeta.code], [false, 'bad_request']);
  assert.match(badMeta.message, /Serial/);
  await page.close();
});

// The project's own conformance suite (docs/configuration.md, "presign-server
// conformance"), as a team would run it against the signer it wrote.
const CONFORMANCE_CHECKS = [
  'single-put', 'put-binds-checksum', 'download', 'batches', 'post-form', 'multipart',
  'part-urls-bind-checksum', 'multipart-abort', 'error-shape', 'bad-token', 'other-users-keys', 'metadata',
];

test('JWT mode: `presign-server conformance` passes every check, none skipped or absent', { timeout: 180_000 }, async () => {
  const bin = process.env.PRESIGN_SERVER_BIN ?? join(repo, 'target', 'debug', 'presign-server');
  const child = spawn(bin, [
    'conformance', jwtSigner.url, '--token', token('conformance-a'), '--other-token', token('conformance-b'),
    '--metadata', 'serial=ECU-1',
  ], { env: { ...process.env, PRESIGN_CONFORMANCE_TOKEN: '', PRESIGN_CONFORMANCE_OTHER_TOKEN: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  const code = await new Promise((done) => child.once('exit', done));
  console.log(out.trim());
  assert.equal(code, 0, `${out}\n${jwtSigner.logs()}`);
  const rows = out.split('\n').filter((l) => /^\| [a-z-]+ \| /.test(l) && !l.startsWith('| check |'))
    .map((l) => l.split(' | ').map((c) => c.replace(/^\| /, '').trim()));
  assert.deepEqual(rows.map(([name, result]) => [name, result]), CONFORMANCE_CHECKS.map((name) => [name, 'pass']), out);
  assert.match(out, /^12 passed, 0 failed, 0 absent, 0 skipped$/m);
});

test('dev mode: malformed requests get the protocol\'s JSON errors, naming the field', async () => {
  const cases = [
    ['POST', '/api/get-upload-url', { filename: 'a', file_type: 'docs', colour: 'red' }, 400, 'bad_request', /colour/],
    ['POST', '/api/get-upload-url', { filename: 'a' }, 400, 'bad_request', /file_type/],
    ['POST', '/api/get-upload-url', { filename: 'a', file_type: 'docs', size: '10' }, 400, 'bad_request', /size/],
    ['POST', '/api/get-upload-url', { filename: 'a', file_type: 'docs', sha256: 'short' }, 400, 'bad_request', /sha256/],
    ['POST', '/api/get-upload-url', { filename: 'a', file_type: 'Docs' }, 400, 'bad_request', /file_type/],
    ['POST', '/api/get-upload-url', '{"filename": ', 400, 'bad_request', /JSON/],
    ['POST', '/api/get-upload-urls', { files: [] }, 400, 'bad_request', /files/],
    ['POST', '/api/get-upload-urls', { files: [{ filename: 'a', file_type: 'docs' }, { filename: 'b', file_type: 'docs', size: -1 }] }, 400, 'bad_request', /files\[1\]\.size/],
    ['POST', '/api/get-upload-url', { filename: 'a', file_type: 'docs', size: 6 * 1024 ** 3 }, 413, 'too_large', /5368709120/],
    ['POST', '/api/multipart', { filename: 'a', file_type: 'docs', size: 6 * 1024 ** 4 }, 413, 'too_large', /size/],
    ['POST', '/api/multipart', { filename: 'a', file_type: 'docs', size: 0 }, 400, 'bad_request', /size/],
    ['POST', '/api/multipart', { filename: 'a', file_type: 'docs', size: 10, client_token: 'short' }, 400, 'bad_request', /client_token/],
    ['POST', '/api/get-upload-form', { filename: 'a', file_type: 'docs', size: 0 }, 400, 'bad_request', /size/],
    ['GET', '/api/download-url?key=users/dev/../x', undefined, 400, 'bad_request', /key/],
    ['GET', '/api/download-url?key=users/dev/docs/none', undefined, 404, 'not_found', /no such object/],
    ['GET', '/api/nowhere', undefined, 404, 'not_found', /.+/],
    ['GET', '/api/get-upload-url', undefined, 405, 'bad_request', /GET/],
  ];
  for (const [method, path, body, status, code, message] of cases) {
    const res = await call(dev, method, path, { body });
    assert.match(assertError(res, status, code), message, `${method} ${path} ${JSON.stringify(body)}`);
    assert.match(res.headers.get('content-type'), /^application\/json/);
  }
  // A batch answers one outcome per file; one refused file fails no other.
  const batch = await call(dev, 'POST', '/api/get-upload-urls', { body: { files: [{ filename: 'a.bin', file_type: 'docs' }, { filename: 'b.svg', file_type: 'docs', content_type: 'image/svg+xml' }] } });
  assert.equal(batch.status, 200);
  assert.ok(batch.body.uploads[0].ok.upload_url);
  assert.equal(batch.body.uploads[1].status, 415);
  assert.equal(batch.body.uploads[1].error.code, 'unsupported_type');
});

test('dev mode: signed headers, write-once URLs, idempotent creates and completes, CORS, health', { timeout: 60_000 }, async () => {
  // A single PUT signs exactly the headers it answers, If-None-Match: * among them.
  const bytes = randomBytes(4096);
  const signed = await call(dev, 'POST', '/api/get-upload-url', { body: { filename: 'once.txt', file_type: 'docs', content_type: 'text/plain', size: bytes.length, sha256: sha256(bytes, 'base64') } });
  assert.equal(signed.status, 200);
  assert.deepEqual(signed.body.headers, {
    'content-type': 'text/plain', 'content-length': '4096', 'if-none-match': '*', 'x-amz-checksum-sha256': sha256(bytes, 'base64'),
  });
  assert.equal(new URL(signed.body.upload_url).searchParams.get('X-Amz-SignedHeaders'),
    'content-length;content-type;host;if-none-match;x-amz-checksum-sha256');
  const put = (headers, body = bytes) => fetch(signed.body.upload_url, { method: 'PUT', headers, body });
  const { 'content-length': _, ...sendable } = signed.body.headers;
  const { 'if-none-match': __, ...withoutCondition } = sendable;
  // Garage refuses a presigned request without one of its signed headers as
  // 400 InvalidRequest naming it (S3 answers 403 SignatureDoesNotMatch).
  const unconditional = await put(withoutCondition);
  assert.equal(unconditional.status, 400, 'the URL needs its If-None-Match');
  assert.match(await unconditional.text(), /signed header `if-none-match` is not present/);
  assert.equal((await put(sendable, randomBytes(4096))).status, 400, 'other bytes than the signed SHA-256');
  assert.equal((await put(sendable)).status, 200);
  const confirmed = await call(dev, 'POST', '/api/file-uploaded', { body: { key: signed.body.key, file_type: 'docs', size: 4096, sha256: sha256(bytes, 'base64') } });
  assert.deepEqual(confirmed.body, { key: signed.body.key, size: 4096, etag: confirmed.body.etag, sha256: sha256(bytes, 'base64'), content_type: 'text/plain' });
  assertError(await call(dev, 'POST', '/api/file-uploaded', { body: { key: signed.body.key, file_type: 'docs', size: 4097 } }), 409, 'checksum_mismatch');
  assertError(await call(dev, 'POST', '/api/file-uploaded', { body: { key: signed.body.key, file_type: 'docs', sha256: sha256(Buffer.from('x'), 'base64') } }), 409, 'checksum_mismatch');
  assertError(await call(dev, 'POST', '/api/file-uploaded', { body: { key: signed.body.key, file_type: 'other' } }), 400, 'bad_request');
  // Plain text downloads inline as UTF-8 text; anything else is an attachment.
  const link = await call(dev, 'GET', `/api/download-url?key=${encodeURIComponent(signed.body.key)}`);
  const text = await fetch(link.body.url);
  assert.equal(text.headers.get('content-disposition'), `inline; filename="once.txt"; filename*=UTF-8''once.txt`);
  assert.equal(text.headers.get('content-type'), 'text/plain; charset=utf-8');

  // client_token: the same create answers the same upload; another request with it is a 422.
  const create = { filename: 'twice.bin', file_type: 'docs', size: 6 * MIB, client_token: randomBytes(16).toString('hex') };
  const first = await call(dev, 'POST', '/api/multipart', { body: create });
  const again = await call(dev, 'POST', '/api/multipart', { body: create });
  assert.equal(first.status, 200);
  assert.deepEqual(again.body, first.body);
  assertError(await call(dev, 'POST', '/api/multipart', { body: { ...create, size: 7 * MIB } }), 422, 'bad_request');
  // Its one part, then Complete, twice: the same answer (a retry after a lost answer).
  const id = encodeURIComponent(first.body.upload_id);
  const part = randomBytes(6 * MIB);
  const urls = await call(dev, 'POST', `/api/multipart/${id}/part-urls`, { body: { parts: [{ number: 1, size: part.length, sha256: sha256(part, 'base64') }] } });
  const [{ url, headers }] = urls.body.urls;
  assert.deepEqual(headers, { 'content-length': String(part.length), 'x-amz-checksum-sha256': sha256(part, 'base64') });
  const { 'content-length': ___, ...partHeaders } = headers;
  const stored = await fetch(url, { method: 'PUT', headers: partHeaders, body: part });
  assert.equal(stored.status, 200);
  const listed = await call(dev, 'GET', `/api/multipart/${id}/parts`);
  assert.deepEqual(listed.body.parts.map((p) => [p.number, p.size, p.sha256]), [[1, part.length, sha256(part, 'base64')]]);
  const done = { parts: [{ number: 1, etag: stored.headers.get('etag'), sha256: sha256(part, 'base64') }] };
  assertError(await call(dev, 'POST', `/api/multipart/${id}/complete`, { body: { parts: [] } }), 400, 'bad_request');
  const completed = await call(dev, 'POST', `/api/multipart/${id}/complete`, { body: done });
  assert.equal(completed.status, 200, JSON.stringify(completed.body));
  const composite = `${sha256(sha256(part, 'buffer'), 'base64')}-1`;
  assert.deepEqual(completed.body, { key: first.body.key, size: part.length, etag: completed.body.etag, checksum_sha256: composite });
  assert.deepEqual((await call(dev, 'POST', `/api/multipart/${id}/complete`, { body: done })).body, completed.body);
  assertStoredByBoto3(first.body.key, part);

  // checksum: false: parts signed and completed without sha256, which is then refused.
  const bare = await call(dev, 'POST', '/api/multipart', { body: { filename: 'bare.bin', file_type: 'docs', size: 6 * MIB, checksum: false } });
  const bareId = encodeURIComponent(bare.body.upload_id);
  assertError(await call(dev, 'POST', `/api/multipart/${bareId}/part-urls`, { body: { parts: [{ number: 1, size: 6 * MIB, sha256: sha256(part, 'base64') }] } }), 400, 'bad_request');
  const bareUrls = await call(dev, 'POST', `/api/multipart/${bareId}/part-urls`, { body: { parts: [{ number: 1, size: 6 * MIB }] } });
  assert.deepEqual(bareUrls.body.urls[0].headers, { 'content-length': String(6 * MIB) });
  assert.equal((await call(dev, 'DELETE', `/api/multipart/${bareId}`)).status, 204);

  // CORS: the page origin is answered, another is not; Retry-After is readable.
  const preflight = (origin) => fetch(`${dev.url}/api/multipart`, {
    method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
  });
  const ok = await preflight(site.origin);
  assert.equal(ok.headers.get('access-control-allow-origin'), site.origin);
  assert.match(ok.headers.get('access-control-allow-headers'), /authorization/);
  assert.match(ok.headers.get('access-control-allow-methods'), /DELETE/);
  assert.equal((await preflight('https://elsewhere.example')).headers.get('access-control-allow-origin'), null);
  // Dev mode also answers pages on a loopback name, as presign-server --dev does; the JWT signer does not.
  assert.equal((await preflight('http://localhost:5173')).headers.get('access-control-allow-origin'), 'http://localhost:5173');
  const jwtPreflight = await fetch(`${jwtSigner.url}/api/multipart`, { method: 'OPTIONS', headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST' } });
  assert.equal(jwtPreflight.headers.get('access-control-allow-origin'), null);
  const answered = await call(dev, 'GET', '/healthz', { headers: { origin: site.origin } });
  assert.equal(answered.headers.get('access-control-expose-headers'), 'Retry-After');
  assert.deepEqual(answered.body, { status: 'ok', checks: { store: { status: 'ok' } } });
  assert.deepEqual(readBack([], 'users/dev/').open, [], 'no multipart upload left open');
});
