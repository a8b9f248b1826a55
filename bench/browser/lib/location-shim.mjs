// Bench-only: Uppy 6 rejects a CompleteMultipartUpload answer without
// <Location> ("response missing Location or Key"), and s3s-fs (the embedded
// store) sends none. The upload page signs Uppy's Complete requests, and
// only those, for this loopback proxy, which forwards them to the store
// with the Host header unchanged (so the signature, made for this address,
// verifies) and adds <Location> to an answer that lacks it. Everything else
// Uppy sends goes straight to the store. One small request per file.
import { createServer, request } from 'node:http';

/** Starts the shim in front of `storeUrl`, listening on `host`; resolves
 * with `{ url, stop() }`. */
export async function startLocationShim(storeUrl, host = '127.0.0.1') {
  const target = new URL(storeUrl);
  let added = 0;
  const server = createServer((req, res) => {
    const upstream = request({
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: req.headers,
    }, (answer) => {
      const chunks = [];
      answer.on('data', (c) => chunks.push(c));
      answer.on('end', () => {
        let body = Buffer.concat(chunks);
        const text = body.toString('utf8');
        const headers = { ...answer.headers };
        if (text.includes('<CompleteMultipartUploadResult') && !text.includes('<Location>')) {
          const bucket = text.match(/<Bucket>([^<]*)<\/Bucket>/)?.[1] ?? '';
          const key = text.match(/<Key>([^<]*)<\/Key>/)?.[1] ?? '';
          const location = `${storeUrl.replace(/\/$/, '')}/${bucket}/${key}`;
          body = Buffer.from(text.replace(/(<CompleteMultipartUploadResult[^>]*>)/, `$1<Location>${location}</Location>`));
          headers['content-length'] = String(body.length);
          added++;
        }
        res.writeHead(answer.statusCode, headers);
        res.end(body);
      });
    });
    upstream.on('error', (e) => {
      res.writeHead(502).end(String(e));
    });
    req.pipe(upstream);
  });
  await new Promise((ok) => server.listen(0, host, ok));
  return {
    url: `http://${host}:${server.address().port}`,
    added: () => added,
    stop: () => new Promise((ok) => server.close(ok)),
  };
}
