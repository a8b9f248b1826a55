// Upload throughput of the files in the input, all at once, four ways, in
// one page against one store: our uploader (checksums on, or off), a raw
// `fetch` PUT of each whole file to a URL our signer presigned, and Uppy 6
// (@uppy/core + @uppy/aws-s3, signing in the browser with the store's
// credentials, as its getCredentials mode does). Each resolves with its
// time once every file is stored; a failed file rejects.
import init, { Uploader } from '/pkg/presigned_upload.js';
import { AwsS3, createSigV4Presigner, S3Client, Upload, Uppy } from './vendor/peers.js';

const MIB = 1024 * 1024;
const files = () => [...document.getElementById('files').files];
const uploaders = new Map();
let config = null;

await init();

/** A PUT URL from our signer for `f`, no checksum asked, and the headers
 * to send (the browser sets Content-Length itself). */
async function presign(f) {
  const signed = await fetch('/api/get-upload-url', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ filename: f.name, file_type: 'bench', content_type: 'application/octet-stream', size: f.size }),
  });
  if (!signed.ok) throw new Error(`get-upload-url: ${signed.status} ${await signed.text()}`);
  const { upload_url: url, headers } = await signed.json();
  return { url, headers: Object.fromEntries(Object.entries(headers).filter(([n]) => n.toLowerCase() !== 'content-length')) };
}

async function timed(fn) {
  const t0 = performance.now();
  const extra = await fn();
  return { ms: performance.now() - t0, ...extra };
}

window.bench = {
  /** The store Uppy signs for: `{ store, bucket, region, credentials, shim }`. */
  configure(c) {
    config = c;
  },

  /** Our uploader at its defaults (or `options`): every file at once. */
  ours(options = {}) {
    const key = JSON.stringify(options.uploader ?? {});
    if (!uploaders.has(key)) uploaders.set(key, new Uploader(options.uploader ?? {}));
    const uploader = uploaders.get(key);
    const { uploader: _, ...uploadOptions } = options;
    return timed(async () => {
      const results = await Promise.all(files().map((f) => uploader.upload(f, { fileType: 'bench', ...uploadOptions })));
      return { objects: results.length, hashWorkers: uploader.hashWorkers };
    });
  },

  /** Our uploader's batch API (`uploadAll`, its queue's defaults) over every
   * file, with `options` for each. */
  oursAll(options = {}) {
    if (!uploaders.has('all')) uploaders.set('all', new Uploader());
    const uploader = uploaders.get('all');
    return timed(async () => {
      const { files: ends } = await uploader.uploadAll(files(), { fileType: 'bench', ...options }).result;
      const failed = ends.filter((e) => e.state !== 'done');
      if (failed.length) throw new Error(`ours: ${failed.length} failed: ${failed[0].error?.message}`);
      return { objects: ends.length };
    });
  },

  /** A raw `fetch` PUT of each whole file, presigned by our signer (no
   * checksum asked: nothing hashes the file). */
  raw() {
    return timed(async () => {
      await Promise.all(files().map(async (f) => {
        const { url, headers } = await presign(f);
        const put = await fetch(url, { method: 'PUT', headers, body: f });
        if (!put.ok) throw new Error(`PUT ${f.name}: ${put.status} ${await put.text()}`);
      }));
      return { objects: files().length };
    });
  },

  /** The seed's case without any signer round trip on the clock: every
   * URL presigned by our signer before the clock starts, then one XHR PUT
   * per file, all at once. What the uploads alone cost here. */
  async rawSigned() {
    const signed = await Promise.all(files().map(async (f) => ({ f, ...(await presign(f)) })));
    return timed(async () => {
      await Promise.all(signed.map(({ f, url, headers }) => new Promise((resolve, reject) => {
        const xhr = new XMLHttpRequest();
        xhr.open('PUT', url);
        for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
        xhr.onload = () => (xhr.status < 300 ? resolve() : reject(new Error(`PUT ${f.name}: ${xhr.status}`)));
        xhr.onerror = () => reject(new Error(`PUT ${f.name}: network error`));
        xhr.send(f);
      })));
      return { objects: signed.length };
    });
  },

  /** A raw `fetch` PUT of each whole file, every URL presigned by our
   * signer before the clock starts: the bytes and the round trips alone. */
  async rawFetch() {
    const signed = await Promise.all(files().map(async (f) => ({ f, ...(await presign(f)) })));
    return timed(async () => {
      await Promise.all(signed.map(async ({ f, url, headers }) => {
        const put = await fetch(url, { method: 'PUT', headers, body: f });
        if (!put.ok) throw new Error(`PUT ${f.name}: ${put.status} ${await put.text()}`);
      }));
      return { objects: signed.length };
    });
  },

  /** The AWS SDK v3's lib-storage `Upload`, one per file, all at once,
   * signing in the page with the store's key: 4 parts at a time, 8 MiB
   * parts (a file below 8 MiB goes in one PutObject). */
  libStorage() {
    const client = new S3Client({
      region: config.region,
      endpoint: config.store,
      forcePathStyle: true,
      credentials: config.credentials,
    });
    return timed(async () => {
      await Promise.all(files().map((f, i) => new Upload({
        client,
        queueSize: 4,
        partSize: 8 * MIB,
        params: { Bucket: config.bucket, Key: `bench/lib-storage/${Date.now()}-${i}-${f.name}`, Body: f },
      }).done()));
      client.destroy();
      return { objects: files().length };
    });
  },

  /** Uppy 6 at its defaults, or `tuned` to our multipart threshold and part
   * size (16 MiB, 8 MiB). It signs in the page with the store's key, Uppy's
   * own SigV4 presigner; Complete is signed for the <Location> shim. */
  uppy({ tuned = false } = {}) {
    const sign = (endpoint) => createSigV4Presigner({ ...config.credentials, region: config.region, endpoint: `${endpoint}/${config.bucket}` });
    const direct = sign(config.store);
    const viaShim = sign(config.shim);
    const signRequest = (request) =>
      request.method === 'POST' && 'uploadId' in request ? viaShim(request) : direct(request);
    return timed(async () => {
      const uppy = new Uppy({ autoProceed: false });
      uppy.use(AwsS3, {
        signRequest,
        ...(tuned ? { shouldUseMultipart: (f) => f.size > 16 * MIB, getChunkSize: () => 8 * MIB } : {}),
      });
      uppy.addFiles(files().map((f) => ({ name: f.name, type: f.type || 'application/octet-stream', data: f, source: 'bench' })));
      const result = await uppy.upload();
      const failed = result?.failed ?? [];
      uppy.destroy();
      if (failed.length) throw new Error(`Uppy: ${failed.length} failed: ${failed[0].error}`);
      const stored = result?.successful?.length ?? 0;
      if (stored !== files().length) throw new Error(`Uppy: ${stored} of ${files().length} files stored (${JSON.stringify(result)?.slice(0, 300)})`);
      return { objects: stored };
    });
  },
};
window.benchReady = true;
