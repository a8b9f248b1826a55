// What tests/e2e/express_signer.test.mjs needs besides a Garage and
// Chromium: the demo page served from a page origin of its own (the signer
// serves no page), the example signer (examples/express-signer) as a child
// process, HS256 tokens, and boto3 to read stored objects back.
import { spawn, execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, createReadStream } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..', '..');
export const signerScript = join(repo, 'examples', 'express-signer', 'signer.mjs');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.ts': 'text/plain; charset=utf-8',
};

/**
 * Serves www/ at / and pkg/ at /pkg/ on a free loopback port, plus `pages`
 * ({ '/name.html': html }); resolves with `{ origin, close }`.
 */
export async function serveSite(pages = {}) {
  const roots = [['/pkg/', join(repo, 'pkg')], ['/', join(repo, 'www')]];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (pages[path] !== undefined) {
      res.writeHead(200, { 'content-type': TYPES['.html'], 'cache-control': 'no-store' });
      return res.end(pages[path]);
    }
    const [prefix, root] = roots.find(([p]) => path.startsWith(p));
    const file = normalize(join(root, path.slice(prefix.length) || 'index.html'));
    if (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return res.end('not found');
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    createReadStream(file).pipe(res);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    close: () => new Promise((ok) => { server.closeAllConnections(); server.close(ok); }),
  };
}

/**
 * Starts the example signer with `env` (its SIGNER_* and the store's AWS_*
 * settings) on a free port; resolves with `{ url, logs, stop }` once it
 * wrote its SIGNER_READY_FILE, or rejects with its output if it exited.
 */
export async function startExpressSigner(env) {
  const dir = mkdtempSync(join(tmpdir(), 'express-signer-'));
  const readyFile = join(dir, 'ready.json');
  const child = spawn(process.execPath, [signerScript], {
    env: { ...process.env, ...env, SIGNER_LISTEN: '127.0.0.1:0', SIGNER_READY_FILE: readyFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const exited = new Promise((ok) => child.once('exit', (code, signal) => ok(code ?? signal)));
  let gone = null;
  exited.then((code) => { gone = code; });
  const deadline = Date.now() + 30_000;
  while (!existsSync(readyFile)) {
    if (gone !== null) throw new Error(`the express signer exited (${gone}):\n${output}`);
    if (Date.now() > deadline) throw new Error(`the express signer did not start in 30 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const { url } = JSON.parse(readFileSync(readyFile, 'utf8'));
  rmSync(dir, { recursive: true, force: true });
  return {
    url,
    logs: () => output,
    async stop() {
      if (gone === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Runs the signer with `env` and expects it to refuse to start: resolves with `{ code, output }`. */
export function refusedStart(env) {
  return new Promise((ok) => {
    const child = spawn(process.execPath, [signerScript], {
      env: { PATH: process.env.PATH, SIGNER_LISTEN: '127.0.0.1:0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', (code, signal) => { clearTimeout(timer); ok({ code: code ?? signal, output }); });
  });
}

/** An HS256 JWT of `claims`, signed with `secret` (what the app would issue). */
export function hs256(secret, claims, header = { alg: 'HS256', typ: 'JWT' }) {
  const part = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const signing = `${part(header)}.${part(claims)}`;
  return `${signing}.${createHmac('sha256', secret).update(signing).digest('base64url')}`;
}

const READ_BACK = `
import hashlib, json, os, sys
import boto3
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name=os.environ["AWS_REGION"],
                  config=Config(s3={"addressing_style": "path"}))
bucket = os.environ["PRESIGN_BUCKET"]
out = []
for key in json.load(sys.stdin):
    head = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    digest, size = hashlib.sha256(), 0
    for chunk in iter(lambda: body.read(1 << 20), b""):
        digest.update(chunk)
        size += len(chunk)
    out.append({"key": key, "size": size, "sha256": digest.hexdigest(), "metadata": head.get("Metadata", {}),
                "content_type": head.get("ContentType"), "checksum_sha256": head.get("ChecksumSHA256")})
print(json.dumps(out))
`;

/**
 * Reads `keys` back from the store with boto3 (an S3 client that is not
 * ours): each object's size, SHA-256 (hex) of its bytes, user metadata,
 * content type and stored checksum.
 */
export function readBack(storeEnv, keys) {
  const text = execFileSync(join(repo, '.venv', 'bin', 'python'), ['-c', READ_BACK], {
    input: JSON.stringify(keys),
    env: { ...process.env, ...storeEnv },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(text);
}

/**
 * Sets the bucket's CORS as examples/express-signer/README.md tells users to
 * with the aws cli: the API's headers, and each allowed metadata header by
 * name (Garage answers a preflight with the rule's list as written, and a
 * browser does not read `x-amz-*` there as a pattern).
 */
export function putBucketCors(storeEnv, origins, metadataNames = []) {
  const rule = {
    ID: 'express-signer',
    AllowedOrigins: origins,
    AllowedMethods: ['PUT', 'POST', 'GET', 'HEAD'],
    AllowedHeaders: ['content-type', 'x-amz-checksum-sha256', 'x-amz-checksum-algorithm', 'if-none-match',
      ...metadataNames.map((n) => `x-amz-meta-${n}`)],
    ExposeHeaders: ['ETag', 'x-amz-checksum-sha256', 'Retry-After'],
    MaxAgeSeconds: 3600,
  };
  const script = `
import json, os, sys, boto3
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name=os.environ["AWS_REGION"],
                  config=Config(s3={"addressing_style": "path"}))
s3.put_bucket_cors(Bucket=os.environ["PRESIGN_BUCKET"], CORSConfiguration={"CORSRules": [json.load(sys.stdin)]})
`;
  execFileSync(join(repo, '.venv', 'bin', 'python'), ['-c', script], {
    input: JSON.stringify(rule), env: { ...process.env, ...storeEnv }, encoding: 'utf8',
  });
}

/** The store's open multipart uploads (key, upload id), through boto3. */
export function openUploads(storeEnv) {
  const script = `
import json, os, boto3
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name=os.environ["AWS_REGION"],
                  config=Config(s3={"addressing_style": "path"}))
print(json.dumps([{"key": u["Key"], "upload_id": u["UploadId"]} for u in
                  s3.list_multipart_uploads(Bucket=os.environ["PRESIGN_BUCKET"]).get("Uploads", [])]))
`;
  return JSON.parse(execFileSync(join(repo, '.venv', 'bin', 'python'), ['-c', script], {
    env: { ...process.env, ...storeEnv }, encoding: 'utf8',
  }));
}

