// Input files on disk, in a temporary folder removed afterwards: random
// bytes for the small ones, sparse files for the large ones (a 4 GiB file
// costs nothing to make and no disk: holes read as zeros, with a random
// stamp every MiB so no two parts are alike). SHA-256 does the same work
// whatever the bytes, so hashing figures do not depend on which.
import { randomBytes } from 'node:crypto';
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
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

// The file's SHA-256 and composite checksum: the tests' own helper.
export { checksumsOf } from '../../../tests/support/file_checksums.mjs';
