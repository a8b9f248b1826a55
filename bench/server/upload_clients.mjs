// The seed's scenario as a load client (bench-only): USERS users upload a file
// of SIZE bytes each, all at once, and the run ends when the last is done.
//
//   node bench/server/upload_clients.mjs FLOW SERVER_URL MANIFEST [USERS] [SIZE]
//
// FLOW `proxy`: the seed's traditional flow, one multipart/form-data POST of
// the file to SERVER_URL/upload, which stores it. FLOW `presigned`: what the
// seed's frontend does, POST /api/get-upload-url, PUT of the file straight to
// the store with the signed headers, POST /api/file-uploaded.
// Every file is different random bytes; their SHA-256 is computed before the
// clock starts (the signed checksum). Writes MANIFEST ({objects: [{key, size,
// sha256}]}, sha256 in hex, for tests/soak/verify_s3.py) and prints one JSON
// line: {flow, users, size, total_ms, p50_ms, max_ms}. Exits 1 on any failure.
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';

const [flow, server, manifest, usersArg, sizeArg] = process.argv.slice(2);
const users = Number(usersArg ?? 100);
const size = Number(sizeArg ?? 1_500_000);
if (!['proxy', 'presigned'].includes(flow) || !server || !manifest) {
  console.error('usage: upload_clients.mjs proxy|presigned SERVER_URL MANIFEST [USERS] [SIZE]');
  process.exit(2);
}

const files = Array.from({ length: users }, (_, i) => {
  const bytes = randomBytes(size);
  const digest = createHash('sha256').update(bytes).digest();
  return { name: `seed-${i}.bin`, bytes, hex: digest.toString('hex'), b64: digest.toString('base64') };
});

async function json(res, what) {
  const text = await res.text();
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

function post(path, body) {
  return fetch(`${server}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function viaProxy(file) {
  const form = new FormData();
  form.append('file_type', 'seed');
  form.append('file', new Blob([file.bytes], { type: 'application/octet-stream' }), file.name);
  const res = await fetch(`${server}/upload`, { method: 'POST', body: form });
  return json(res, `upload ${file.name}`);
}

async function presigned(file) {
  const signed = await json(
    await post('/api/get-upload-url', { filename: file.name, file_type: 'seed', size, sha256: file.b64 }),
    `get-upload-url ${file.name}`,
  );
  const headers = { ...signed.headers };
  delete headers['content-length']; // fetch sets it from the body
  const put = await fetch(signed.upload_url, { method: signed.method ?? 'PUT', headers, body: file.bytes });
  if (!put.ok) throw new Error(`PUT ${file.name}: HTTP ${put.status} ${(await put.text()).slice(0, 300)}`);
  await put.arrayBuffer();
  return json(
    await post('/api/file-uploaded', { key: signed.key, file_type: 'seed', size }),
    `file-uploaded ${file.name}`,
  );
}

const upload = flow === 'proxy' ? viaProxy : presigned;
const start = performance.now();
const times = [];
const results = await Promise.allSettled(
  files.map(async (file) => {
    const t0 = performance.now();
    const stored = await upload(file);
    times.push(performance.now() - t0);
    if (stored.size !== size) throw new Error(`${file.name}: stored ${stored.size} bytes, sent ${size}`);
    return { key: stored.key, size, sha256: file.hex };
  }),
);
const total = performance.now() - start;
const failed = results.filter((r) => r.status === 'rejected');
for (const f of failed.slice(0, 5)) console.error(String(f.reason?.stack ?? f.reason));
if (failed.length) {
  console.error(`${failed.length} of ${users} uploads failed`);
  process.exit(1);
}
writeFileSync(manifest, JSON.stringify({ objects: results.map((r) => r.value) }));
times.sort((a, b) => a - b);
const ms = (x) => Math.round(x * 10) / 10;
console.log(
  JSON.stringify({ flow, users, size, total_ms: ms(total), p50_ms: ms(times[times.length >> 1]), max_ms: ms(times.at(-1)) }),
);
