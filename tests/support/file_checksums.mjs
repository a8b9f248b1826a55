// The SHA-256 of a file on disk and S3's composite checksum over its parts,
// computed by Node (not by the code under test), streaming: for the e2e
// tests' and the benchmarks' large (sparse) files.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** The file's SHA-256 and S3's composite checksum over `partSize` parts
 * (both base64), and the number of parts. */
export async function checksumsOf(path, partSize) {
  const whole = createHash('sha256');
  const parts = [];
  let part = createHash('sha256');
  let inPart = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * 1024 * 1024 })) {
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
