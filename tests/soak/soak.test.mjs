// Soak: 100 uploads of mixed sizes (1 KiB to 64 MiB, the seed's 1.5 MB among
// them), six at a time, through a seeded fault proxy that fails 10% of the
// store requests (500, 503 SlowDown, 429, 403 "Request has expired",
// connection resets mid-body, stalls past the client's timeout), against a
// real Garage. Every upload must complete; every object is then read back
// with boto3 (not our code) and its SHA-256 compared with the bytes the page
// was given (hashed by Node, not by our wasm); no multipart
// upload may be left open (ListMultipartUploads), and the signer must hold
// exactly one record per upload.
//
// Needs (scripts/test's soak stage provides them): SOAK_GARAGE_ENV, a file of
// the Garage's AWS_* variables (tests/support/garage), the release wasm in
// pkg/, target/debug/presign-server and target/debug/fault-proxy, and
// SOAK_PYTHON, a python with boto3.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readEnvFile, startServer, startProxy } from '../e2e/server.mjs';
import { launchChromium } from '../e2e/browser.mjs';

const repo = resolve(import.meta.dirname, '..', '..');
const KIB = 1024;
const MIB = 1024 * KIB;
const SEED = Number(process.env.SOAK_SEED ?? 2026);
const COUNT = 100;
const AT_ONCE = 6;
const FAULT_RATE = 0.1;

/** 100 sizes: fixed edge cases, then log-uniform in 1 KiB..64 MiB (seeded). */
function sizes(seed) {
  const fixed = [KIB, 64 * MIB, 16 * MIB, 16 * MIB + 1, 5 * MIB, ...Array(10).fill(1_500_000)];
  let x = seed >>> 0 || 1;
  const rand = () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x / 2 ** 32;
  };
  const out = [...fixed];
  while (out.length < COUNT) out.push(Math.round(KIB * Math.exp(rand() * Math.log(64 * 1024))));
  return out;
}

function garageEnv() {
  const file = process.env.SOAK_GARAGE_ENV;
  assert.ok(file, 'SOAK_GARAGE_ENV is not set: run the soak through scripts/test');
  return readEnvFile(file);
}

/** Bytes of file `n`: a seeded xorshift, so every file differs and is cheap to make. */
function fill(seed, n, size) {
  const bytes = Buffer.alloc(size);
  let x = (seed * 2654435761 + n * 40503) >>> 0 || 1;
  for (let i = 0; i + 4 <= size; i += 4) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    bytes.writeUInt32LE(x, i);
  }
  for (let i = size - (size % 4); i < size; i++) bytes[i] = (i * 31 + n) & 0xff;
  return bytes;
}

let garage, proxy, server, browser, work;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'presign-soak-'));
  garage = garageEnv();
  proxy = await startProxy();
  server = await startServer(['--store', 's3', '--store-public-url', proxy.url], { env: garage });
  await proxy.target(garage.AWS_ENDPOINT_URL);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  proxy?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('100 uploads at a 10% fault rate all complete and read back intact', { timeout: 900_000 }, async () => {
  // The files are on disk, as users' files are: the page gets them through a
  // file input, and their SHA-256 is computed here by Node, not by our code.
  const list = sizes(SEED);
  const files = list.map((size, n) => {
    const path = join(work, `soak-${n}.bin`);
    const bytes = fill(SEED, n, size);
    writeFileSync(path, bytes);
    return { n, size, path, sha256: createHash('sha256').update(bytes).digest('hex') };
  });
  await proxy.chaos({ seed: SEED, rate: FAULT_RATE, kinds: ['500', '503', '429', 'expired', 'reset', 'stall'] });
  const page = await browser.newPage();
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 5\d\d|status of 4\d\d/.test(m.text())) console.log('page:', m.text()); });
  await page.goto(server.url + '/');
  await page.evaluate(() => {
    const input = Object.assign(document.createElement('input'), { type: 'file', multiple: true, id: 'soak-files' });
    document.body.append(input);
  });
  await page.setInputFiles('#soak-files', files.map((f) => f.path));
  const started = Date.now();
  const uploaded = await page.evaluate(async ({ atOnce }) => {
    const { default: init, Uploader } = await import('/pkg/presigned_upload.js');
    await init();
    const uploader = new Uploader();
    const chosen = [...document.getElementById('soak-files').files];
    const out = [];
    let next = 0;
    const lane = async () => {
      while (next < chosen.length) {
        const file = chosen[next++];
        const n = Number(file.name.match(/\d+/)[0]);
        // Every fifth small file goes as a presigned POST form.
        const method = file.size <= 8 * 1024 * 1024 && n % 5 === 0 ? 'post' : 'put';
        const t0 = performance.now();
        try {
          const r = await uploader.upload(file, {
            fileType: 'soak', method, stallTimeoutMs: 2500, maxAttempts: 6,
          });
          out.push({ n, key: r.key, method, parts: r.parts ?? 1, ms: performance.now() - t0 });
        } catch (e) {
          out.push({ n, method, error: `${e.code}: ${e.message}` });
        }
      }
    };
    await Promise.all(Array.from({ length: atOnce }, lane));
    return out;
  }, { atOnce: AT_ONCE });
  const seconds = (Date.now() - started) / 1000;
  await page.close();
  const results = uploaded.map((r) => ({ ...r, size: files[r.n].size, sha256: files[r.n].sha256 }));

  const failed = results.filter((r) => r.error);
  assert.deepEqual(failed, [], 'every upload completes despite the faults');
  assert.equal(results.length, COUNT);

  // The signer recorded each upload exactly once.
  const keys = [];
  for (let cursor = ''; ;) {
    const res = await fetch(`${server.url}/api/uploads?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    assert.equal(res.status, 200);
    const page = await res.json();
    keys.push(...page.uploads.map((u) => u.key));
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  assert.deepEqual([...keys].sort(), results.map((r) => r.key).sort(), 'one record per upload');

  // Read everything back with boto3.
  const manifest = join(work, 'manifest.json');
  writeFileSync(manifest, JSON.stringify({ objects: results.map(({ key, size, sha256 }) => ({ key, size, sha256 })) }));
  const python = process.env.SOAK_PYTHON ?? 'python3';
  let report;
  try {
    report = JSON.parse(execFileSync(python, [join(repo, 'tests', 'soak', 'verify_s3.py'), manifest], {
      env: { ...process.env, ...garage }, encoding: 'utf8',
    }));
  } catch (e) {
    assert.fail(`boto3 verification failed: ${e.stdout ?? ''}${e.stderr ?? e.message}`);
  }
  assert.equal(report.verified, COUNT, JSON.stringify(report.mismatched));
  assert.deepEqual(report.open_multipart_uploads, []);
  assert.equal(report.objects_in_bucket, COUNT);

  const stats = await proxy.stats();
  const bytes = list.reduce((a, b) => a + b, 0);
  const multipart = results.filter((r) => r.parts > 1).length;
  const summary = {
    uploads: COUNT, completed: results.length - failed.length, multipart, post: results.filter((r) => r.method === 'post').length,
    bytes, seconds, storeRequests: stats.requests - stats.preflights, preflights: stats.preflights, faultsInjected: stats.faulted, faultsByKind: stats.byKind,
    verifiedByBoto3: report.verified, openMultipartUploads: report.open_multipart_uploads.length,
  };
  console.log(`soak: ${JSON.stringify(summary)}`);
  writeFileSync(join(repo, 'artifacts', 'soak.json'), JSON.stringify({ summary, results }, null, 1));
  // About 10% of the uploads' requests (preflights are never faulted; a
  // retried request is drawn again, so the share of all attempts is lower).
  const faultable = stats.requests - stats.preflights;
  assert.ok(stats.faulted >= 0.05 * faultable && stats.faulted <= 0.2 * faultable, JSON.stringify(stats));
});
