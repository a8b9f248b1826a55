// The fault test of "beyond one machine": 50 uploads (1 KiB to 200 MiB, six
// at a time) from Chromium through HAProxy to three presign-server replicas
// sharing one PostgreSQL, onto a three-node Garage (replication factor 3)
// whose S3 endpoints sit behind HAProxy too. During the run one replica is
// killed with SIGKILL and started again (same flags, same port), one Garage
// node is stopped and left down to the end, and PostgreSQL is restarted
// once. Every upload must complete; every object is read back with boto3
// (not our code) and its SHA-256 compared with the bytes the page was given;
// the records hold each key once; a local webhook receiver gets one delivery
// (one X-Presign-Delivery id) per upload; no multipart upload is left open,
// neither in Garage nor in the signers' database.
//
// Identity is the production shape: HS256 JWTs minted here, no --dev. The
// page is served by the replicas through HAProxy, so its origin is
// HAProxy's; the bucket's CORS names that origin.
//
// Needs: haproxy (scripts/setup installs it), Garage, PostgreSQL 15
// (tests/support/garage-cluster, tests/support/postgres), the release wasm
// in pkg/, target/debug/presign-server and .venv/bin/python with boto3.
// scripts/test runs it as the `replicas` stage.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { launchChromium } from '../e2e/browser.mjs';
import { readEnvFile } from '../e2e/server.mjs';

const repo = resolve(import.meta.dirname, '..', '..');
const bin = process.env.PRESIGN_SERVER_BIN ?? join(repo, 'target', 'debug', 'presign-server');
const python = process.env.REPLICAS_PYTHON ?? join(repo, '.venv', 'bin', 'python');
const psql = join(process.env.POSTGRES_BIN ?? '/usr/lib/postgresql/15/bin', 'psql');
const KIB = 1024;
const MIB = 1024 * KIB;
const SEED = Number(process.env.REPLICAS_SEED ?? 18);
const COUNT = 50;
const AT_ONCE = 6;
const USER = 'replica-tester';
const JWT_SECRET = `replicas-test-only-${randomBytes(16).toString('hex')}`;
const WEBHOOK_SECRET = `whsec_replicas_${randomBytes(8).toString('hex')}`;
// The page's uplink (Chromium's own throttle, over CDP): on loopback the
// 50 uploads end within seconds of the first fault, before the others
// could strike; at this rate they last about 30 s.
const UPLINK_BYTES_PER_S = 20 * 1000 * 1000;
// The faults, each once, when this many uploads are done.
const KILL_REPLICA_AT = 5;
const STOP_GARAGE_NODE_AT = 16;
const RESTART_POSTGRES_AT = 30;

/** A seeded xorshift32 in [0, 1). */
function prng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x / 2 ** 32;
  };
}

/**
 * 50 sizes: the large ones at fixed places, spread over the run so that
 * multipart uploads are in flight at each fault; the rest log-uniform in
 * 1 KiB..12 MiB. About 560 MiB in all.
 */
function sizes(seed) {
  const fixed = { 0: KIB, 3: 200 * MIB, 9: 120 * MIB, 17: 80 * MIB, 24: 48 * MIB, 31: 24 * MIB, 38: 16 * MIB + 1, 44: 5 * MIB };
  const rand = prng(seed);
  return Array.from({ length: COUNT }, (_, n) => fixed[n] ?? Math.round(KIB * Math.exp(rand() * Math.log(12 * KIB))));
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

/** An HS256 JWT for `sub`, as the application's own login would mint it. */
function jwt(secret, sub) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const signed = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub, iat: now, exp: now + 3 * 3600 })}`;
  return `${signed}.${createHmac('sha256', secret).update(signed).digest('base64url')}`;
}

/** A free loopback port (free now: the caller binds it soon after). */
function freePort() {
  return new Promise((ok, fail) => {
    const s = createTcpServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Whether process `pid` (not our child) still runs. */
function alive(pid) {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

/** A webhook receiver on loopback: every POST's delivery id and upload key. */
function startReceiver() {
  const posts = [];
  const http = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const { t, v1 } = Object.fromEntries(String(req.headers['x-presign-signature'] ?? '').split(',').map((kv) => kv.trim().split('=')));
      const want = createHmac('sha256', WEBHOOK_SECRET).update(`${t}.`).update(body).digest('hex');
      let key;
      try { key = JSON.parse(body).key; } catch { key = undefined; }
      posts.push({ delivery: req.headers['x-presign-delivery'], key, signed: v1 === want, at: Date.now() });
      res.writeHead(204).end();
    });
  });
  return new Promise((ok) => http.listen(0, '127.0.0.1', () => ok({
    url: `http://127.0.0.1:${http.address().port}/hooks/uploads`,
    posts,
    close: () => new Promise((r) => http.close(r)),
  })));
}

/**
 * One replica: presign-server on a fixed loopback port, started again on
 * the same port and flags by `restart()` after `kill()`.
 */
function replica(name, port, args, env, { readyFile, logFile }) {
  let child;
  let exited;
  let log = '';
  const start = async () => {
    rmSync(readyFile, { force: true });
    child = spawn(bin, [...args, '--listen', `127.0.0.1:${port}`, '--ready-file', readyFile], {
      stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env },
    });
    child.stderr.on('data', (d) => { log += d; });
    exited = new Promise((ok) => child.once('exit', (code, signal) => ok(code ?? signal)));
    let gone = null;
    exited.then((why) => { gone = why; });
    const deadline = Date.now() + 60_000;
    while (!existsSync(readyFile)) {
      if (gone !== null) throw new Error(`${name} exited (${gone}):\n${log}`);
      if (Date.now() > deadline) throw new Error(`${name} did not start in 60 s:\n${log}`);
      await sleep(50);
    }
  };
  return {
    name,
    port,
    start,
    async kill(signal) {
      if (child && child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
    async restart() {
      log += `\n--- ${name} started again ---\n`;
      await start();
    },
    save() { writeFileSync(logFile, log); },
  };
}

/** HAProxy's configuration: the signer and S3 frontends, and its statistics. */
function haproxyConfig({ signerPort, s3Port, statsPort, replicas, garageNodes }) {
  return `global
  maxconn 4096
  log stdout format raw local0 info

defaults
  mode http
  log global
  option httplog
  timeout connect 2s
  timeout client 10m
  timeout server 10m
  timeout http-request 30s
  # A connection refused (a replica just killed, a stopped Garage node
  # before its health check fails) is tried again on another server.
  retries 3
  option redispatch 1
  retry-on conn-failure empty-response
  default-server inter 500ms fall 2 rise 2

# The replicas: the page, /pkg/ and the API, round-robin.
frontend signer
  bind 127.0.0.1:${signerPort}
  # No replica up (each answers /healthz 503 while the database is down):
  # a 503 with Retry-After is a wait to the client, not a spent attempt.
  http-error status 503 content-type application/json hdr Retry-After 1 string "{\\"error\\":{\\"code\\":\\"server\\",\\"message\\":\\"no replica is up\\"}}"
  default_backend replicas

backend replicas
  balance roundrobin
  # /healthz answers 200 once the database and the store answer. HTTP/1.1
  # with the Host the replicas allow (--allow-host): the check is refused
  # without one.
  option httpchk
  http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host 127.0.0.1
  http-check expect status 200
${replicas.map((r) => `  server ${r.name} 127.0.0.1:${r.port} check`).join('\n')}

# Garage's three S3 endpoints: the signer's own calls, the browser's PUTs and
# parts, boto3's reads. The Host header passes unchanged (the signatures
# cover it).
frontend s3
  bind 127.0.0.1:${s3Port}
  default_backend garage

backend garage
  balance roundrobin
${garageNodes.map((url, i) => `  server garage${i + 1} ${new URL(url).host} check`).join('\n')}

frontend stats
  bind 127.0.0.1:${statsPort}
  stats enable
  stats uri /stats
  stats refresh 1s
`;
}

/** HAProxy's statistics CSV: one object per frontend, backend and server. */
async function haproxyStats(statsPort) {
  const text = await (await fetch(`http://127.0.0.1:${statsPort}/stats;csv`)).text();
  const [head, ...rows] = text.replace(/^# /, '').trim().split('\n');
  const names = head.split(',');
  return rows.map((row) => Object.fromEntries(row.split(',').map((v, i) => [names[i], v])));
}

let work;
let artifacts;
let garage;
let garagePids = [];
let pgDir;
let hook;
let haproxy;
let haproxyLog = '';
let replicas = [];
let browser;
let setup;

function psqlQuery(url, sql) {
  const { hostname, port } = new URL(url);
  return execFileSync(psql, ['-h', hostname, '-p', port, '-U', 'postgres', '-d', 'postgres', '-At', '-c', sql], { encoding: 'utf8' }).trim();
}

function postgres(...args) {
  execFileSync(join(repo, 'tests', 'support', 'postgres'), args, { stdio: ['ignore', 'ignore', 'inherit'] });
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'presign-replicas-'));
  artifacts = join(repo, 'artifacts');
  mkdirSync(artifacts, { recursive: true });

  execFileSync(join(repo, 'tests', 'support', 'garage-cluster'), [join(work, 'garage')], { stdio: ['ignore', 'ignore', 'inherit'] });
  garage = readEnvFile(join(work, 'garage', 'env'));
  garagePids = [1, 2, 3].map((n) => Number(garage[`GARAGE_PID_${n}`]));

  pgDir = join(work, 'postgres');
  postgres(pgDir);
  const databaseUrl = readEnvFile(join(pgDir, 'env')).PRESIGN_TEST_DATABASE_URL;

  hook = await startReceiver();
  const [signerPort, s3Port, statsPort, ...replicaPorts] = await Promise.all(Array.from({ length: 6 }, freePort));
  const origin = `http://127.0.0.1:${signerPort}`;
  const s3 = `http://127.0.0.1:${s3Port}`;
  // Everyone reaches the store through HAProxy.
  const storeEnv = {
    AWS_ENDPOINT_URL: s3, AWS_REGION: garage.AWS_REGION, AWS_ACCESS_KEY_ID: garage.AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: garage.AWS_SECRET_ACCESS_KEY, PRESIGN_BUCKET: garage.PRESIGN_BUCKET,
  };

  const names = ['replica1', 'replica2', 'replica3'];
  const cfg = join(work, 'haproxy.cfg');
  writeFileSync(cfg, haproxyConfig({
    signerPort, s3Port, statsPort,
    replicas: names.map((name, i) => ({ name, port: replicaPorts[i] })),
    garageNodes: [1, 2, 3].map((n) => garage[`GARAGE_S3_${n}`]),
  }));
  execFileSync('haproxy', ['-c', '-q', '-f', cfg], { stdio: ['ignore', 'ignore', 'inherit'] });
  haproxy = spawn('haproxy', ['-f', cfg, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
  haproxy.stdout.on('data', (d) => { haproxyLog += d; });
  haproxy.stderr.on('data', (d) => { haproxyLog += d; });
  haproxy.exited = new Promise((ok) => haproxy.once('exit', ok));
  for (let i = 0; ; i++) {
    if (await haproxyStats(statsPort).then(() => true, () => false)) break;
    assert.ok(i < 100 && haproxy.exitCode === null, `HAProxy did not start:\n${haproxyLog}`);
    await sleep(100);
  }

  // The bucket's CORS, as production sets it: the page's origin only. On
  // each node's own endpoint: Garage passes bucket settings on to the other
  // nodes in the background, so through HAProxy the read-back that `cors
  // apply` does may reach a node that has not got the rule yet (and so
  // might a browser's preflight).
  for (const n of [1, 2, 3]) {
    execFileSync(bin, ['--store', 's3', '--data-dir', join(work, 'cors-data'), '--allow-origin', origin, 'cors', 'apply'], {
      env: { ...process.env, ...storeEnv, AWS_ENDPOINT_URL: garage[`GARAGE_S3_${n}`], PRESIGN_JWT_SECRET: JWT_SECRET },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }

  const env = {
    ...storeEnv, DATABASE_URL: databaseUrl, PRESIGN_JWT_SECRET: JWT_SECRET, PRESIGN_WEBHOOK_SECRET: WEBHOOK_SECRET,
    RUST_LOG: 'info',
  };
  replicas = names.map((name, i) => replica(name, replicaPorts[i], [
    '--store', 's3', '--data-dir', join(work, name),
    '--www-dir', join(repo, 'www'), '--pkg-dir', join(repo, 'pkg'),
    // The Host check on, naming the proxy's host (here loopback, which is
    // allowed anyway; in production the site's name).
    '--allow-host', '127.0.0.1',
    '--webhook-url', hook.url, '--webhook-retry-ms', '200',
    '--gc-interval', '0',
  ], env, { readyFile: join(work, `${name}.ready.json`), logFile: join(artifacts, `replicas-${name}.log`) }));
  // The first one migrates; the others start together after it.
  await replicas[0].start();
  await Promise.all(replicas.slice(1).map((r) => r.start()));

  // Until HAProxy sees every replica and every Garage node up.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const up = (await haproxyStats(statsPort).catch(() => [])).filter((s) => s.svname !== 'FRONTEND' && s.svname !== 'BACKEND' && s.status === 'UP');
    if (up.length === 6) break;
    assert.ok(Date.now() < deadline, `HAProxy sees ${up.length} of 6 servers up:\n${haproxyLog.slice(-3000)}`);
    await sleep(200);
  }
  setup = { origin, storeEnv, statsPort, databaseUrl };
  browser = await launchChromium();
});

after(async () => {
  await browser?.close().catch(() => {});
  for (const r of replicas) {
    await r.kill('SIGTERM');
    r.save();
  }
  if (haproxy) {
    if (haproxy.exitCode === null && haproxy.signalCode === null) haproxy.kill('SIGTERM');
    await haproxy.exited;
    writeFileSync(join(artifacts, 'replicas-haproxy.log'), haproxyLog);
  }
  await hook?.close();
  if (pgDir) { try { postgres('stop', pgDir); } catch { /* not running */ } }
  for (const pid of garagePids) { try { process.kill(pid, 'SIGTERM'); } catch { /* already gone */ } }
  for (let i = 0; i < 100 && garagePids.some(alive); i++) await sleep(100);
  if (work) rmSync(work, { recursive: true, force: true });
});

test('50 uploads survive a killed replica, a stopped Garage node and a PostgreSQL restart', { timeout: 1_500_000 }, async () => {
  const { origin, storeEnv, statsPort, databaseUrl } = setup;
  const token = jwt(JWT_SECRET, USER);
  const auth = { authorization: `Bearer ${token}` };

  // The files are on disk, as users' files are: the page gets them through
  // a file input; their SHA-256 is computed here by Node, not by our code.
  const list = sizes(SEED);
  const files = list.map((size, n) => {
    const path = join(work, `replica-${String(n).padStart(2, '0')}.bin`);
    const bytes = fill(SEED, n, size);
    writeFileSync(path, bytes);
    return { n, size, path, sha256: createHash('sha256').update(bytes).digest('hex') };
  });
  const totalBytes = list.reduce((a, b) => a + b, 0);

  const page = await browser.newPage();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: UPLINK_BYTES_PER_S,
  });
  page.on('console', (m) => { if (m.type() === 'error' && !/status of [45]\d\d|Failed to load resource|ERR_/.test(m.text())) console.log('page:', m.text()); });
  await page.goto(`${origin}/`);
  await page.evaluate(() => {
    const input = Object.assign(document.createElement('input'), { type: 'file', multiple: true, id: 'replica-files' });
    document.body.append(input);
  });
  await page.setInputFiles('#replica-files', files.map((f) => f.path));
  const started = Date.now();
  await page.evaluate(async ({ token, atOnce }) => {
    const { default: init, Uploader } = await import('/pkg/presigned_upload.js');
    await init();
    const chosen = [...document.getElementById('replica-files').files];
    const progress = { done: 0, failed: 0, waits: {}, waitingNow: new Set() };
    window.replicaProgress = progress;
    const uploader = new Uploader({ token, maxConcurrentFiles: atOnce });
    const batch = uploader.uploadAll(chosen, {
      fileType: 'replicas',
      // A file larger than 8 MiB goes multipart (10 of the 50 at the default seed).
      multipartThreshold: 8 * 1024 * 1024,
      // About twenty seconds of 5xx and network errors per request.
      maxAttempts: 10,
      stallTimeoutMs: 10_000,
      onFileComplete: () => { progress.done++; },
      onFileError: () => { progress.failed++; },
      onFileProgress: (p, i) => {
        // A wait starts when a file's reports begin to carry `waiting`.
        if (p.waiting && !progress.waitingNow.has(i)) {
          progress.waitingNow.add(i);
          progress.waits[p.waiting.reason] = (progress.waits[p.waiting.reason] ?? 0) + 1;
        } else if (!p.waiting) {
          progress.waitingNow.delete(i);
        }
      },
    });
    window.replicaResult = batch.result.then(({ files }) => files.map((f, i) => ({
      n: Number(chosen[i].name.match(/\d+/)[0]),
      state: f.state,
      key: f.result?.key,
      parts: f.result?.parts ?? 1,
      error: f.error ? `${f.error.code}: ${f.error.message}` : undefined,
    })));
  }, { token, atOnce: AT_ONCE });

  const done = () => page.evaluate(() => window.replicaProgress.done + window.replicaProgress.failed);
  const untilDone = async (count) => {
    while (await done() < count) await sleep(100);
  };
  const events = [];
  const note = async (what) => {
    const d = await done();
    const at = ((Date.now() - started) / 1000).toFixed(1);
    events.push({ at: Number(at), settled: d, what });
    console.log(`replicas: ${at} s, ${d} settled: ${what}`);
  };

  // Fault 1: a replica dies with SIGKILL mid-run and is started again.
  await untilDone(KILL_REPLICA_AT);
  const victim = replicas[1];
  await victim.kill('SIGKILL');
  await note(`${victim.name} killed with SIGKILL`);
  await sleep(3000);
  await victim.restart();
  await note(`${victim.name} started again on port ${victim.port}`);

  // Fault 2: a Garage node stops, and stays down to the end (reads back
  // included): two of three nodes are a quorum.
  await untilDone(STOP_GARAGE_NODE_AT);
  const stopped = garagePids[0];
  process.kill(stopped, 'SIGTERM');
  for (let i = 0; i < 100 && alive(stopped); i++) await sleep(100);
  assert.equal(alive(stopped), false, 'Garage node 1 stopped');
  await note('Garage node 1 stopped (left down)');

  // Fault 3: PostgreSQL restarts (fast shutdown: connections cut).
  await untilDone(RESTART_POSTGRES_AT);
  postgres('stop', pgDir);
  await note('PostgreSQL stopped');
  await sleep(2000);
  postgres(pgDir);
  await note('PostgreSQL started again');

  const results = await page.evaluate(() => window.replicaResult);
  const seconds = (Date.now() - started) / 1000;
  const { waits } = await page.evaluate(() => window.replicaProgress);
  await note('every upload settled');
  await page.close();
  // Each fault struck while uploads were running.
  for (const e of events.slice(0, -1)) assert.ok(e.settled < COUNT, `${e.what} while uploads ran`);

  const failed = results.filter((r) => r.state !== 'done');
  assert.deepEqual(failed, [], 'every upload completes despite the faults');
  assert.equal(results.length, COUNT);
  const byN = new Map(results.map((r) => [r.n, r]));
  const uploaded = files.map((f) => ({ ...f, key: byN.get(f.n).key, parts: byN.get(f.n).parts }));

  // The records: each key once, through HAProxy with the user's token.
  const keys = [];
  for (let cursor = ''; ;) {
    const res = await fetch(`${origin}/api/uploads?limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { headers: auth });
    assert.equal(res.status, 200, await res.clone().text());
    const listed = await res.json();
    keys.push(...listed.uploads.map((u) => u.key));
    if (!listed.next_cursor) break;
    cursor = listed.next_cursor;
  }
  assert.deepEqual([...keys].sort(), uploaded.map((u) => u.key).sort(), 'one record per upload');
  assert.equal(psqlQuery(databaseUrl, 'SELECT count(*) FROM uploads'), String(COUNT));
  assert.equal(psqlQuery(databaseUrl, 'SELECT count(*) FROM upload_sessions'), '0', 'no multipart upload open in the database');

  // Read everything back with boto3, through HAProxy, Garage node 1 still
  // down; and no multipart upload left open in the bucket.
  const manifest = join(work, 'manifest.json');
  writeFileSync(manifest, JSON.stringify({ objects: uploaded.map(({ key, size, sha256 }) => ({ key, size, sha256 })) }));
  let report;
  try {
    report = JSON.parse(execFileSync(python, [join(repo, 'tests', 'soak', 'verify_s3.py'), manifest], {
      env: { ...process.env, ...storeEnv }, encoding: 'utf8',
    }));
  } catch (e) {
    assert.fail(`boto3 verification failed: ${e.stdout ?? ''}${e.stderr ?? e.message}`);
  }
  assert.equal(report.verified, COUNT, JSON.stringify(report.mismatched));
  assert.deepEqual(report.open_multipart_uploads, []);
  assert.equal(report.objects_in_bucket, COUNT);

  // The webhook: one delivery (one X-Presign-Delivery id) per upload key,
  // each signed, and every outbox row marked delivered. A sender whose
  // database goes away between its POST and marking the row delivered
  // (the PostgreSQL restart can strike there) marks it once the database
  // is back. Only a claim whose answer was lost with the connection waits
  // for the claim's 5-minute lease, and is posted again with the same id:
  // such rows are waited for, not excused.
  const outbox = () => psqlQuery(databaseUrl, `SELECT id, attempts, next_attempt_ms, body::json->>'key'
    FROM webhook_outbox WHERE delivered_ms IS NULL ORDER BY id`).split('\n').filter(Boolean).map((row) => {
    const [id, attempts, nextMs, key] = row.split('|');
    return {
      id, key, attempts: Number(attempts), dueInSeconds: Math.round((Number(nextMs) - Date.now()) / 1000),
      postedAtSeconds: hook.posts.filter((p) => p.delivery === id).map((p) => Number(((p.at - started) / 1000).toFixed(1))),
    };
  });
  const deliveredKeys = () => new Set(hook.posts.map((p) => p.key)).size;
  let unsettled = [];
  const deadline = Date.now() + 400_000;
  for (let first = true; ; first = false) {
    const left = outbox();
    if (first) unsettled = left;
    if ((left.length === 0 && deliveredKeys() >= COUNT) || Date.now() > deadline) break;
    if (first && left.length) console.log(`replicas: outbox rows not yet marked delivered, waiting: ${JSON.stringify(left)}`);
    await sleep(1000);
  }
  assert.deepEqual(outbox(), [], 'every delivery marked delivered');
  const idsByKey = new Map();
  for (const p of hook.posts) {
    assert.ok(p.signed, `delivery ${p.delivery} is signed`);
    if (!idsByKey.has(p.key)) idsByKey.set(p.key, new Set());
    idsByKey.get(p.key).add(p.delivery);
  }
  assert.deepEqual([...idsByKey.keys()].sort(), uploaded.map((u) => u.key).sort(), 'a delivery for every upload, none for anything else');
  const twice = [...idsByKey].filter(([, ids]) => ids.size > 1).map(([key, ids]) => ({ key, ids: [...ids] }));
  assert.deepEqual(twice, [], 'no upload announced by two deliveries');
  const postsById = new Map();
  for (const p of hook.posts) postsById.set(p.delivery, (postsById.get(p.delivery) ?? 0) + 1);
  const repeatedPosts = [...postsById].filter(([, n]) => n > 1).map(([id, n]) => ({ id, posts: n }));
  const lastPost = Math.max(...hook.posts.map((p) => p.at));

  // What HAProxy saw: requests, errors, retries, and each server's downs.
  const stats = await haproxyStats(statsPort);
  const pick = (s) => ({
    requests: Number(s.req_tot || s.stot), '2xx': Number(s.hrsp_2xx), '4xx': Number(s.hrsp_4xx), '5xx': Number(s.hrsp_5xx),
    connErrors: Number(s.econ || 0), respErrors: Number(s.eresp || 0), retries: Number(s.wretr || 0), redispatches: Number(s.wredis || 0),
    downs: Number(s.chkdown || 0), status: s.status,
  });
  const proxy = Object.fromEntries(stats.filter((s) => s.pxname !== 'stats').map((s) => [`${s.pxname}/${s.svname}`, pick(s)]));
  const summary = {
    uploads: COUNT, done: COUNT - failed.length, multipart: uploaded.filter((u) => u.parts > 1).length,
    bytes: totalBytes, seconds, mbPerSecond: Number((totalBytes / 1e6 / seconds).toFixed(1)),
    waits, events, webhookPosts: hook.posts.length, webhookDeliveries: postsById.size,
    // Rows posted whose marking was lost, and the ids the receiver got again.
    webhookUnsettledAtFirstLook: unsettled, webhookRepeatedPosts: repeatedPosts,
    lastWebhookAfterSeconds: Number(((lastPost - started) / 1000).toFixed(1)),
    verifiedByBoto3: report.verified, openMultipartUploads: report.open_multipart_uploads.length, haproxy: proxy,
  };
  console.log(`replicas: ${JSON.stringify(summary)}`);
  writeFileSync(join(artifacts, 'replicas.json'), JSON.stringify({ summary, results: uploaded.map(({ path, ...u }) => u) }, null, 1));
});
