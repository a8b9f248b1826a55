// Starts a real presign-server --dev (signer + embedded store) on free
// loopback ports with a fresh data dir, and stops it afterwards.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..', '..');

// `wwwDir`: the folder served at / (default: the demo page, www/); `env`
// adds environment variables (a real store's AWS_* with `--store s3`). When
// PRESIGN_TEST_STORE_ENV names a file of AWS_* assignments (tests/support/
// garage writes one), every server signs for that store instead of an
// embedded one: scripts/test runs the e2e suite so on Garage too.
export async function startServer(extraArgs = [], { wwwDir = join(repo, 'www'), env = {} } = {}) {
  const bin = process.env.PRESIGN_SERVER_BIN ?? join(repo, 'target', 'debug', 'presign-server');
  const storeEnv = process.env.PRESIGN_TEST_STORE_ENV;
  if (storeEnv && !extraArgs.includes('--store')) {
    extraArgs = ['--store', 's3', ...extraArgs];
    env = { ...readEnvFile(storeEnv), ...env };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'presign-e2e-'));
  const child = spawn(bin, [
    '--dev', '--listen', '127.0.0.1:0', '--data-dir', dataDir,
    '--www-dir', wwwDir, '--pkg-dir', join(repo, 'pkg'), ...extraArgs,
  ], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const [url, storeUrl] = await new Promise((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`presign-server did not start in 60 s:\n${stderr}`)), 60_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/[^\s]+) \(store (http:\/\/[^\s,]+)/);
      if (m) { clearTimeout(timer); ok([m[1], m[2]]); }
    });
    child.on('exit', (code) => { clearTimeout(timer); fail(new Error(`presign-server exited (${code}):\n${stderr}`)); });
  });
  return {
    url,
    storeUrl,
    dataDir,
    logs: () => stderr,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((ok) => child.once('exit', ok));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// Starts the fault-injection proxy (tests/support/fault-proxy, built by
// scripts/test as target/debug/fault-proxy): browsers
// reach the store through it (presign-server --store-public-url), and its log
// counts what they sent.
/** `NAME=value` lines of a file, as an object. */
export function readEnvFile(file) {
  const env = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = line.match(/^([A-Z_][A-Z0-9_]*)=(.*)$/);
    if (m) env[m[1]] = m[2];
  }
  return env;
}

export async function startProxy() {
  const child = spawn(join(repo, 'target', 'debug', 'fault-proxy'), ['--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error('fault proxy did not start')), 10_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/[^\s]+)/);
      if (m) { clearTimeout(timer); ok(m[1]); }
    });
    child.on('exit', (code) => { clearTimeout(timer); fail(new Error(`fault proxy exited (${code})`)); });
  });
  const control = async (path, body) => {
    const res = await fetch(url + path, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`fault proxy ${path}: ${res.status}`);
    return res.json();
  };
  return {
    url,
    target: (storeUrl) => control('/__target', { url: storeUrl }),
    faults: (rules) => control('/__faults', rules),
    reset: () => control('/__faults/reset', {}),
    chaos: (spec) => control('/__chaos', spec),
    stats: () => control('/__stats'),
    log: () => control('/__log'),
    stop() { child.kill('SIGTERM'); },
  };
}
