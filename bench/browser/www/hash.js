// Checksum throughput of one file from disk, three ways, in one page:
// our path (`uploader.checksums()`: the hash workers, WebCrypto per part),
// hash-wasm's streaming SHA-256 (one stream on this thread, reading the file
// in 8 MiB slices), and WebCrypto's one-shot digest of the whole file read
// into memory. Each returns its time and its digest, which the driver
// checks against Node's.
import init, { Uploader } from '/pkg/presigned_upload.js';
import { createSHA256 } from './vendor/peers.js';

const MIB = 1024 * 1024;
const file = () => document.getElementById('file').files[0];
const b64 = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)));
const uploaders = new Map();

await init();

async function timed(fn) {
  const t0 = performance.now();
  const digest = await fn();
  return { ms: performance.now() - t0, digest };
}

window.bench = {
  /** Our path: `checksums(file, { partSize })` with `workers` hash workers
   * (undefined: the default, one per core for `checksums()`, 1..4). */
  async ours({ partSize = 8 * MIB, workers, whole = false } = {}) {
    const key = String(workers);
    if (!uploaders.has(key)) uploaders.set(key, new Uploader(workers === undefined ? {} : { workers }));
    const uploader = uploaders.get(key);
    const result = await timed(async () => (await uploader.checksums(file(), { partSize, wholeFileSha256: whole })).checksumSha256);
    return { ...result, workers: uploader.hashWorkers };
  },

  /** hash-wasm 4.13, one stream: 8 MiB slices read in turn and fed to it. */
  hashWasm({ chunk = 8 * MIB } = {}) {
    return timed(async () => {
      const f = file();
      const hasher = await createSHA256();
      hasher.init();
      for (let at = 0; at < f.size; at += chunk) {
        hasher.update(new Uint8Array(await f.slice(at, at + chunk).arrayBuffer()));
      }
      return b64(hasher.digest('binary'));
    });
  },

  /** WebCrypto one-shot: the whole file in memory, one `digest`. */
  webcrypto() {
    return timed(async () => b64(await crypto.subtle.digest('SHA-256', await file().arrayBuffer())));
  },

  /** WebCrypto per part, on this thread, one part after the other. */
  async webcryptoParts({ partSize = 8 * MIB } = {}) {
    return timed(async () => {
      const f = file();
      const digests = [];
      for (let at = 0; at < f.size; at += partSize) {
        digests.push(new Uint8Array(await crypto.subtle.digest('SHA-256', await f.slice(at, at + partSize).arrayBuffer())));
      }
      const all = new Uint8Array(digests.length * 32);
      digests.forEach((d, i) => all.set(d, i * 32));
      return `${b64(await crypto.subtle.digest('SHA-256', all))}-${digests.length}`;
    });
  },

  /** No hashing: every part read into memory (`blob.arrayBuffer()`), two at
   * once, as ours reads them: the ceiling of any hashing of a file from disk
   * in this page. */
  readOnly({ partSize = 8 * MIB } = {}) {
    return timed(async () => {
      const f = file();
      let bytes = 0;
      let next = 0;
      const lane = async () => {
        while (next < f.size) {
          const at = next;
          next += partSize;
          const read = (await f.slice(at, at + partSize).arrayBuffer()).byteLength;
          bytes += read;
        }
      };
      await Promise.all([lane(), lane()]);
      return bytes;
    });
  },

  cores: () => navigator.hardwareConcurrency,
};
window.benchReady = true;
