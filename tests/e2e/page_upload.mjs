// Uploads a file from disk with the wasm Uploader inside a page of the demo
// (its /pkg/ build, same-origin signer), with the options a test needs.
import { createHash } from 'node:crypto';

// Starts `uploader.upload(file, options)` in `page` and returns a function
// that awaits its outcome: `{ ok: true, ...result }` or `{ ok: false, code,
// status, message }` (the UploadError's fields).
export async function startUpload(page, file, options, uploaderOptions = {}) {
  await page.evaluate(() => {
    document.getElementById('e2e-file')?.remove();
    const input = Object.assign(document.createElement('input'), { type: 'file', id: 'e2e-file' });
    document.body.append(input);
  });
  await page.setInputFiles('#e2e-file', file);
  await page.evaluate(async ([options, uploaderOptions]) => {
    const { default: init, Uploader } = await import('/pkg/presigned_upload.js');
    await init();
    const chosen = document.getElementById('e2e-file').files[0];
    window.e2eOutcome = new Uploader(uploaderOptions).upload(chosen, options).then(
      (result) => ({ ok: true, ...result }),
      (e) => ({ ok: false, code: e.code, status: e.status, message: e.message }),
    );
  }, [options, uploaderOptions]);
  return () => page.evaluate(() => window.e2eOutcome);
}

// Uploads and awaits the outcome.
export async function upload(page, file, options, uploaderOptions) {
  return (await startUpload(page, file, options, uploaderOptions))();
}

// The stored object's bytes, through a download URL from the signer.
export async function download(signerUrl, key, headers = {}) {
  const res = await fetch(`${signerUrl}/api/download-url?key=${encodeURIComponent(key)}`, { headers });
  if (res.status !== 200) throw new Error(`download-url ${key}: ${res.status} ${await res.text()}`);
  const { url } = await res.json();
  const got = await fetch(url);
  if (got.status !== 200) throw new Error(`GET ${key}: ${got.status}`);
  return Buffer.from(await got.arrayBuffer());
}

// The caller's upload records (`GET /api/uploads`, first page of 100).
export async function records(signerUrl, headers = {}) {
  const res = await fetch(`${signerUrl}/api/uploads?limit=100`, { headers });
  if (res.status !== 200) throw new Error(`uploads: ${res.status} ${await res.text()}`);
  return (await res.json()).uploads;
}

export const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
