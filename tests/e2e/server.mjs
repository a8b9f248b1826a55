// Starts a real presign-server --dev (signer + embedded store) on free
// loopback ports with a fresh data dir, and stops it afterwards. It can also
// be killed (any signal) and started again on the same ports and data dir,
// and its data dir can be a tmpfs of a given size (a disk that fills up).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..', '..');
const bin = () => process.env.PRESIGN_SERVER_BIN ?? join(repo, 'target', 'debug', 'presign-server');

// `command` in a private mount namespace, with a tmpfs of `bytes` mounted on
// `dir` (gone with the process). As root no user namespace is needed.
function onTmpfs(dir, bytes, command) {
  const ns = process.getuid() === 0 ? ['--mount'] : ['--user', '--map-root-user', '--mount'];
  const script = 'mount -t tmpfs -o size="$1" presign-test "$2" && shift 2 && exec "$@"';
  return ['unshare', [...ns, '--propagation', 'private', 'sh', '-c', script, 'sh', String(bytes), dir, ...command]];
}

// Spawns the server; resolves with its URLs once it wrote them to its
// --ready-file.
async function spawnServer(args, { tmpfsBytes, dataDir, env, nice, prefix = [] } = {}) {
  const readyFile = join(mkdtempSync(join(tmpdir(), 'presign-ready-')), 'ready.json');
  const command = [...prefix, ...(nice ? ['nice', '-n', String(nice)] : []), bin(), ...args, '--ready-file', readyFile];
  const [cmd, argv] = tmpfsBytes ? onTmpfs(dataDir, tmpfsBytes, command) : [command[0], command.slice(1)];
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: env ? { ...process.env, ...env } : process.env });
  const exited = new Promise((ok) => child.once('exit', (code, signal) => ok({ code, signal })));
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  child.stdout.resume();
  let gone = null;
  exited.then(({ code, signal }) => { gone = code ?? signal; });
  const deadline = Date.now() + 60_000;
  while (!existsSync(readyFile)) {
    if (gone !== null) throw new Error(`presign-server exited (${gone}):\n${stderr}`);
    if (Date.now() > deadline) throw new Error(`presign-server did not start in 60 s:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const { url, store_url: storeUrl } = JSON.parse(readFileSync(readyFile, 'utf8'));
  rmSync(dirname(readyFile), { recursive: true, force: true });
  return { child, exited, url, storeUrl, logs: () => stderr };
}

// `extraArgs` are presign-server flags. Options: `wwwDir`, the folder served
// at / (default: the demo page, www/); `nice`, a niceness to run it at (a
// lower CPU priority than the browser's); `env` adds environment variables (a
// real store's AWS_* with `--store s3`); `tmpfsBytes` puts the data dir on a
// tmpfs of that size (Linux mount namespaces: `unshare`); `dev: false` leaves
// out --dev (the store then comes from `env`: AWS_*); `prefix` goes before
// the command (`ip netns exec NAME`: the link benchmarks). When
// PRESIGN_TEST_STORE_ENV names a file of AWS_* assignments (tests/support/
// garage writes one), every server signs for that store instead of an
// embedded one: scripts/test runs e2e tests so on Garage too.
export async function startServer(extraArgs = [], options = {}) {
  const storeEnv = process.env.PRESIGN_TEST_STORE_ENV;
  if (storeEnv && !extraArgs.includes('--store')) {
    extraArgs = ['--store', 's3', ...extraArgs];
    options = { ...options, env: { ...readEnvFile(storeEnv), ...(options.env ?? {}) } };
  }
  const embedded = options.dev !== false && !extraArgs.includes('--store');
  const dataDir = mkdtempSync(join(tmpdir(), 'presign-e2e-'));
  const args = (listen, storeListen) => [
    ...(options.dev === false ? [] : ['--dev']),
    ...(embedded ? ['--store-listen', storeListen] : []),
    '--listen', listen, '--data-dir', dataDir,
    '--www-dir', options.wwwDir ?? join(repo, 'www'), '--pkg-dir', join(repo, 'pkg'), ...extraArgs,
  ];
  let running = await spawnServer(args('127.0.0.1:0', '127.0.0.1:0'), { ...options, dataDir });
  let earlierLogs = '';
  const { url, storeUrl } = running;
  return {
    url,
    storeUrl,
    dataDir,
    // The server's process id (now: a restart changes it).
    pid: () => running.child.pid,
    logs: () => earlierLogs + running.logs(),
    // Sends `signal` and resolves once the process is gone.
    async kill(signal) {
      if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill(signal);
      return running.exited;
    },
    // Starts it again on the same ports and data dir (after `kill`).
    async restart() {
      earlierLogs += running.logs() + '\n--- restarted ---\n';
      running = await spawnServer(args(new URL(url).host, new URL(storeUrl).host), { ...options, dataDir });
    },
    async stop() {
      await this.kill('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// Runs SQL on the server's database with the sqlite3 shell (scripts/setup
// installs it); one line of output per row, columns split by `|`.
export function sqlite(dataDir, sql) {
  return execFileSync('sqlite3', [join(dataDir, 'presign.sqlite3'), sql], { encoding: 'utf8' }).trim();
}

/** `NAME=value` lines of a file, as an object. */
export function readEnvFile(file) {
  const env = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = line.match(/^([A-Z_][A-Z0-9_]*)=(.*)$/);
    if (m) env[m[1]] = m[2];
  }
  return env;
}

// Starts the fault-injection proxy (tests/support/fault-proxy, built by
// scripts/test as target/debug/fault-proxy): browsers reach the store through
// it (presign-server --store-public-url), and its log counts what they sent.
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
