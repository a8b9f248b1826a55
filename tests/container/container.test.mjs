// The presign-server container image (Containerfile, built by
// `scripts/container build`) run with podman as production runs it: not
// root, a read-only root filesystem, its data on a volume, signing for a
// real store (a Garage on loopback) with JWT identity from the
// environment. `presign-server conformance`, run from the same image,
// passes every check through that store; the records outlive the
// container (a new one on the same volume lists them).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startGarage } from '../e2e/garage.mjs';
import { hs256 } from '../e2e/express_site.mjs';

const repo = resolve(import.meta.dirname, '..', '..');
const container = join(repo, 'scripts', 'container');
const image = process.env.PRESIGN_IMAGE ?? 'localhost/presign-server:dev';
const SECRET = 'a-container-test-secret-of-32-bytes!!';
const CHECKS = [
  'single-put', 'put-binds-checksum', 'download', 'batches', 'post-form', 'multipart',
  'part-urls-bind-checksum', 'multipart-abort', 'error-shape', 'bad-token', 'other-users-keys', 'metadata',
];
const mark = (process.env.PRESIGN_TEST_RUN ?? `${process.pid}`).replace(/[^a-zA-Z0-9]/g, '').slice(-12);
const volume = `presign-test-${mark}`;
const names = [];

const now = () => Math.floor(Date.now() / 1000);
const token = (sub) => hs256(SECRET, { sub, exp: now() + 3600, iat: now() });
const podman = (...args) => execFileSync('podman', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
/** A container's log (the signer writes it to stderr). */
const logs = (name) => {
  const out = spawnSync('podman', ['logs', name], { encoding: 'utf8' });
  return `${out.stdout}${out.stderr}`;
};
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/** A free TCP port on 127.0.0.1. */
async function freePort() {
  const server = createServer();
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  await new Promise((ok) => server.close(ok));
  return port;
}

/** `scripts/container run ARGS`: `{ code, stdout, stderr }`. */
function runImage(args, timeout = 180_000) {
  return new Promise((ok) => {
    execFile(container, ['run', ...args], { encoding: 'utf8', timeout }, (err, stdout, stderr) => {
      ok({ code: err ? (err.code ?? err.signal) : 0, stdout, stderr });
    });
  });
}

let dir;
let garage;

/**
 * Starts the signer's container (detached) on `port`, its data on the test's
 * volume; resolves once /healthz answers 200. Returns its name.
 */
async function startSigner(port) {
  const name = `presign-test-${mark}-${names.length}`;
  names.push(name);
  const env = { ...garage.env, PRESIGN_JWT_SECRET: SECRET };
  const started = await runImage([
    '--detach', '--name', name, '--network', 'host', '--read-only',
    '--volume', `${volume}:/var/lib/presign-server`,
    ...Object.keys(env).flatMap((k) => ['--env', `${k}=${env[k]}`]),
    image, '--store', 's3', '--listen', `127.0.0.1:${port}`, '--data-dir', '/var/lib/presign-server', '--allow-metadata', 'serial',
  ]);
  assert.equal(started.code, 0, `podman run: ${started.stderr}`);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const health = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null);
    if (health?.status === 200) return name;
    const state = podman('inspect', '--format', '{{.State.Status}}', name);
    if (state !== 'running' || Date.now() > deadline) {
      assert.fail(`the container is ${state}, /healthz ${health?.status}:\n${logs(name)}`);
    }
    await sleep(250);
  }
}

/** The keys `user` has on record, through the signer at `port`. */
async function recordedKeys(port, user) {
  const res = await fetch(`http://127.0.0.1:${port}/api/uploads?limit=100`, {
    headers: { authorization: `Bearer ${token(user)}` },
  });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()).uploads.map((u) => u.key).sort();
}

before(async () => {
  assert.ok(podman('image', 'exists', image) === '', `${image} is built (scripts/container build)`);
  dir = mkdtempSync(join(tmpdir(), 'presign-container-'));
  garage = startGarage(join(dir, 'garage'), { origins: ['http://127.0.0.1'], args: ['--allow-metadata', 'serial'] });
  podman('volume', 'create', volume);
});

after(() => {
  for (const name of names) {
    try { podman('rm', '--force', '--time', '2', name); } catch { /* never started */ }
  }
  try { podman('volume', 'rm', '--force', volume); } catch { /* never made */ }
  garage?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the image runs as a non-root user, with nothing but the signer as its entry point', () => {
  const config = JSON.parse(podman('image', 'inspect', '--format', '{{json .Config}}', image));
  assert.equal(config.User, '10001:10001');
  assert.deepEqual(config.Entrypoint, ['/usr/local/bin/presign-server']);
  const size = Number(podman('image', 'inspect', '--format', '{{.Size}}', image));
  console.log(`container: ${image} is ${(size / 1e6).toFixed(0)} MB`);
});

test('the signer in its container passes every conformance check through a real store, and its records outlive it', { timeout: 400_000 }, async () => {
  const port = await freePort();
  const first = await startSigner(port);
  // The server process is not root, and the root filesystem is read-only
  // (even root in the container cannot write it).
  assert.equal(podman('exec', first, 'id', '-u'), '10001');
  assert.match(podman('exec', '--user', '0', first, 'sh', '-c', 'touch /etc/x 2>&1 || true'), /Read-only file system/);

  // The conformance suite, from the same image, against the running signer.
  const run = await runImage([
    '--rm', '--network', 'host', image, 'conformance', `http://127.0.0.1:${port}`,
    '--token', token('conformance-a'), '--other-token', token('conformance-b'), '--metadata', 'serial=ECU-1',
  ]);
  console.log(run.stdout);
  const report = () => `${run.stdout}\n${run.stderr}\n${logs(first)}`;
  assert.equal(run.code, 0, run.code === 0 ? '' : report());
  const rows = run.stdout.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| check |'))
    .map((l) => l.split('|').map((c) => c.trim()));
  assert.deepEqual(Object.fromEntries(rows.map(([, check, result]) => [check, result])),
    Object.fromEntries(CHECKS.map((c) => [c, 'pass'])), rows.length === CHECKS.length ? undefined : report());

  // What the checks stored is on record; a new container on the same
  // volume (the SQLite database in it) lists the same keys.
  const before = await recordedKeys(port, 'conformance-a');
  assert.ok(before.length >= 3, `records of the checks' uploads: ${before}`);
  assert.ok(before.every((k) => k.startsWith('users/conformance-a/')), `${before}`);
  podman('stop', '--time', '5', first);
  const second = await startSigner(port);
  assert.deepEqual(await recordedKeys(port, 'conformance-a'), before);
  podman('stop', '--time', '5', second);
});
