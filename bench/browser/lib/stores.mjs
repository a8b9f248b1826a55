// The two stores the upload benchmarks run on, each behind a release
// presign-server --dev that also serves the benchmark pages (www/) and the
// wasm package (pkg/): the embedded s3s-fs store, and a single-node Garage
// (tests/support/garage) whose bucket CORS `presign-server cors apply` sets.
// The per-user rate limit is off (`--rate-limit 0`): every request is the one
// --dev user, and the seed's case is 100 users' worth of requests at once.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readEnvFile, startServer } from '../../../tests/e2e/server.mjs';
import { wwwDir } from './peers.mjs';

export const repo = resolve(import.meta.dirname, '..', '..', '..');
export const releaseServer = join(repo, 'target', 'release', 'presign-server');

/** Builds the release signer (no LTO, as scripts/bench-load) and pkg/. */
export function buildProduct({ skip = false } = {}) {
  if (skip) return;
  const env = { ...process.env, CARGO_PROFILE_RELEASE_LTO: 'false', CARGO_PROFILE_RELEASE_CODEGEN_UNITS: '16' };
  execFileSync('cargo', ['build', '--quiet', '--release', '-p', 'presign-server'], { cwd: repo, env, stdio: 'inherit' });
  execFileSync(join(repo, 'scripts', 'build-wasm'), [], { cwd: repo, stdio: 'inherit' });
}

const serverArgs = ['--rate-limit', '0', '--max-open-uploads', '1000'];

/**
 * Starts a signer on `kind` ("embedded" or "garage"), its data in `work`;
 * for "embedded", `args` are more signer flags and `prefix` goes before its
 * command (`ip netns exec`: the link benchmarks).
 * Resolves with `{ kind, signer, store, bucket, region, credentials,
 * clear(), tally(), pids(), stop() }` (`pids()`: the signer's and the
 * store's processes): `store` is the store's base URL as browsers reach it,
 * `clear()` deletes every object (between runs, so large inputs do not fill
 * the disk).
 */
export async function startStore(kind, work, { args = [], prefix } = {}) {
  process.env.PRESIGN_SERVER_BIN = releaseServer;
  if (kind === 'embedded') {
    const server = await startServer([...serverArgs, ...args], { wwwDir, prefix });
    const key = JSON.parse(readFileSync(join(server.dataDir, 'dev-store-credentials.json'), 'utf8'));
    const bucketDir = join(server.dataDir, 'store', 'uploads');
    return {
      kind,
      signer: server.url,
      store: server.storeUrl.replace(/\/$/, ''),
      bucket: 'uploads',
      region: 'us-east-1',
      credentials: { accessKeyId: key.access_key_id, secretAccessKey: key.secret_access_key },
      // s3s-fs keeps objects as files under store/<bucket>/ (metadata and
      // upload files beside the bucket folder are its own).
      clear() {
        for (const entry of readdirSync(bucketDir)) rmSync(join(bucketDir, entry), { recursive: true, force: true });
      },
      tally: () => tallyFiles(bucketDir),
      // The process serving the signer and the store.
      pids: () => [server.pid()],
      stop: () => server.stop(),
    };
  }
  if (kind !== 'garage') throw new Error(`unknown store ${kind} (embedded, garage)`);
  const dir = join(work, 'garage');
  execFileSync(join(repo, 'tests', 'support', 'garage'), [dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  const env = readEnvFile(join(dir, 'env'));
  const garagePid = Number(env.GARAGE_PID);
  const storeEnv = Object.fromEntries(Object.entries(env).filter(([k]) => /^(AWS_|PRESIGN_BUCKET)/.test(k)));
  try {
    execFileSync(releaseServer, ['--dev', '--store', 's3', '--data-dir', join(dir, 'cors'), 'cors', 'apply'], {
      env: { ...process.env, ...storeEnv },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const server = await startServer(['--store', 's3', ...serverArgs], { wwwDir, env: storeEnv });
    return {
      kind,
      signer: server.url,
      store: env.AWS_ENDPOINT_URL,
      bucket: env.PRESIGN_BUCKET,
      region: env.AWS_REGION,
      credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
      clear: () => boto3(storeEnv, EMPTY_BUCKET),
      tally: () => JSON.parse(boto3(storeEnv, TALLY_BUCKET)),
      pids: () => [server.pid(), garagePid],
      async stop() {
        await server.stop();
        await stopProcess(garagePid);
      },
    };
  } catch (e) {
    process.kill(garagePid, 'SIGTERM');
    throw e;
  }
}

/** SIGTERM, then SIGKILL if `pid` still runs 10 s later (a Garage once
 * outlived a finished run and skewed the next one). */
async function stopProcess(pid) {
  const running = () => {
    try {
      return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return false;
    }
  };
  process.kill(pid, 'SIGTERM');
  for (let waited = 0; running() && waited < 10_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
  if (running()) {
    console.error(`store process ${pid} ignored SIGTERM for 10 s: SIGKILL`);
    process.kill(pid, 'SIGKILL');
  }
}

// Objects under `dir` (s3s-fs: one file per object, at its key's path).
function tallyFiles(dir) {
  let objects = 0;
  let bytes = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    objects++;
    bytes += statSync(join(entry.parentPath, entry.name)).size;
  }
  return { objects, bytes };
}

// Python with boto3 (scripts/setup puts it in .venv), an S3 client that is
// not ours, on the store of `env`; prints what the script prints.
function boto3(env, script) {
  const prelude = `
import boto3, json, os
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name=os.environ["AWS_REGION"])
b = os.environ["PRESIGN_BUCKET"]
def objects():
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=b):
        yield from page.get("Contents", [])
`;
  return execFileSync(join(repo, '.venv', 'bin', 'python'), ['-c', prelude + script], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
}

// Every object and open multipart upload deleted.
const EMPTY_BUCKET = `
keys = [{"Key": o["Key"]} for o in objects()]
for i in range(0, len(keys), 1000):
    s3.delete_objects(Bucket=b, Delete={"Objects": keys[i:i + 1000]})
for u in s3.list_multipart_uploads(Bucket=b).get("Uploads", []):
    s3.abort_multipart_upload(Bucket=b, Key=u["Key"], UploadId=u["UploadId"])
`;

const TALLY_BUCKET = `
sizes = [o["Size"] for o in objects()]
print(json.dumps({"objects": len(sizes), "bytes": sum(sizes)}))
`;
