// Input files on disk, in a temporary folder removed afterwards: random
// bytes for the small ones, sparse files for the large ones (a 4 GiB file
// costs nothing to make and no disk: holes read as zeros, with a random
// stamp every MiB so no two parts are alike). SHA-256 does the same work
// whatever the bytes, so hashing figures do not depend on which.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, ftruncateSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const MIB = 1024 * 1024;
export const GIB = 1024 * MIB;

/** A temporary folder; `remove()` deletes it and everything in it. */
export function workDir(prefix = 'presign-bench-') {
  const dir = mkdtempSync(join(process.env.PRESIGN_BENCH_TMP ?? tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes `size` bytes to `path`: random when `size` is at most
 * `randomUpTo`, else a sparse file, with a random stamp every MiB unless
 * `stamps` is false (all zeros). */
export function makeFile(path, size, { randomUpTo = 256 * MIB, stamps = true } = {}) {
  const fd = openSync(path, 'w');
  try {
    if (size <= randomUpTo) {
      for (let at = 0; at < size; at += 4 * MIB) {
        const chunk = randomBytes(Math.min(4 * MIB, size - at));
        writeSync(fd, chunk, 0, chunk.length, at);
      }
    } else {
      ftruncateSync(fd, size);
      if (stamps) for (let at = 0; at < size; at += MIB) writeSync(fd, randomBytes(32), 0, 32, at);
    }
  } finally {
    closeSync(fd);
  }
  return path;
}

/** The file's SHA-256 and S3's composite checksum over `partSize` parts
 * (both base64), read back from disk. */
export async function checksumsOf(path, partSize) {
  const whole = createHash('sha256');
  const parts = [];
  let part = createHash('sha256');
  let inPart = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * MIB })) {
    whole.update(chunk);
    for (let at = 0; at < chunk.length;) {
      const take = Math.min(chunk.length - at, partSize - inPart);
      part.update(chunk.subarray(at, at + take));
      at += take;
      inPart += take;
      if (inPart === partSize) {
        parts.push(part.digest());
        part = createHash('sha256');
        inPart = 0;
      }
    }
  }
  if (inPart > 0 || parts.length === 0) parts.push(part.digest());
  const composite = `${createHash('sha256').update(Buffer.concat(parts)).digest('base64')}-${parts.length}`;
  return { sha256: whole.digest('base64'), composite, parts: parts.length };
}
