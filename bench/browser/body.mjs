// What body a part's PUT should carry (issue 8: "XHR body types"). With
// checksums on, a part is read in the page to be hashed and read again from
// disk by the browser for the PUT of its `Blob` slice. Would sending the
// bytes already read (an ArrayBuffer, or a Blob made of it) be cheaper?
// Each case uploads one 256 MiB file from disk as 8 MiB PUTs, 4 at a time,
// each part read and hashed on the page (WebCrypto) and its URL signed with
// the digest by our signer (embedded store); only the body differs:
//   file Blob         the `Blob` slice of the file (what the uploader sends)
//   in-memory Blob    `new Blob([bytes read])`
//   ArrayBuffer, XHR  the bytes read, `xhr.send(arrayBuffer)`
//   ArrayBuffer, fetch the same with `fetch`
//   no checksum       the `Blob` slice, nothing read or hashed (the floor)
//
//   node bench/browser/body.mjs [--runs 3] [--no-build]
// Writes bench/results/browser-body.json. Not a test.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium } from '../../tests/e2e/browser.mjs';
import { arg, flag } from './lib/args.mjs';
import { MIB, makeFile, workDir } from './lib/files.mjs';
import { describeMachine, sampleLoad } from './lib/machine.mjs';
import { mbps, pairedRatio, rounds } from './lib/rounds.mjs';
import { buildProduct, repo, startStore } from './lib/stores.mjs';

const runs = Number(arg('runs', '3'));
const SIZE = 256 * MIB;
buildProduct({ skip: flag('no-build') });
const load = sampleLoad();
const work = workDir('presign-bench-body-');
const store = await startStore('embedded', work.dir);
const browser = await launchChromium();
let got;
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('page error:', e));
  await page.goto(`${store.signer}/upload.html`);
  await page.waitForFunction(() => window.benchReady === true);
  await page.setInputFiles('#files', [makeFile(join(work.dir, 'f.bin'), SIZE, { stamps: false })]);
  const body = (name, mode) => ({
    name,
    async run() {
      const ms = await page.evaluate(partsPut, mode);
      const held = store.tally();
      if (held.bytes !== SIZE) throw new Error(`${name}: the store holds ${held.bytes} bytes, want ${SIZE}`);
      store.clear();
      return { ms };
    },
  });
  console.error(`body: 256 MiB as 8 MiB PUTs, 4 at a time, ${runs} rounds`);
  got = await rounds([
    body('file Blob', 'blob'),
    body('in-memory Blob', 'memory'),
    body('ArrayBuffer, XHR', 'xhr-buffer'),
    body('ArrayBuffer, fetch', 'fetch-buffer'),
    body('no checksum', 'off'),
  ], runs, { log: (l) => console.error(l) });
} finally {
  await browser.close();
  await store.stop();
  work.remove();
}
const cases = Object.fromEntries(Object.entries(got).map(([n, r]) => [n, { mbps: mbps(SIZE, r.ms), ms: r.ms }]));
const ratios = Object.fromEntries(Object.keys(got).filter((n) => n !== 'file Blob')
  .map((n) => [`file Blob / ${n}`, pairedRatio(got['file Blob'], got[n])]));
console.error(`  MB/s: ${Object.entries(cases).map(([n, c]) => `${n} ${c.mbps.toFixed(0)}`).join(', ')}`);
console.error(`  ${Object.entries(ratios).map(([n, v]) => `${n} ${v.toFixed(2)}x`).join(', ')}`);
mkdirSync(join(repo, 'bench', 'results'), { recursive: true });
writeFileSync(join(repo, 'bench', 'results', 'browser-body.json'), JSON.stringify({
  what: 'one 256 MiB file from disk as 8 MiB PUTs (4 at a time) with a SHA-256 each, by body type (item 2: XHR body types)',
  runs, machine: describeMachine(), load: load.stop(), cases, ratios,
}, null, 1) + '\n');
console.error('body: wrote bench/results/browser-body.json');

/** In the page: every part of the input's file read, hashed, signed and
 * PUT with the body `mode` names; resolves with the time taken. */
async function partsPut(mode) {
  const file = document.getElementById('files').files[0];
  const PART = 8 * 1024 * 1024;
  const count = Math.ceil(file.size / PART);
  const base64 = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf)));
  const put = async (i) => {
    const slice = file.slice(i * PART, Math.min(file.size, (i + 1) * PART));
    let body = slice;
    let sha256;
    if (mode !== 'off') {
      const bytes = await slice.arrayBuffer();
      sha256 = base64(await crypto.subtle.digest('SHA-256', bytes));
      if (mode === 'memory') body = new Blob([bytes]);
      if (mode.endsWith('buffer')) body = bytes;
    }
    const signed = await fetch('/api/get-upload-url', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ filename: `p${i}.bin`, file_type: 'bench', content_type: 'application/octet-stream', size: slice.size, sha256 }),
    });
    if (!signed.ok) throw new Error(`get-upload-url: ${signed.status} ${await signed.text()}`);
    const { upload_url: url, headers } = await signed.json();
    const send = Object.entries(headers).filter(([n]) => n.toLowerCase() !== 'content-length');
    if (mode === 'fetch-buffer') {
      const r = await fetch(url, { method: 'PUT', headers: Object.fromEntries(send), body });
      if (!r.ok) throw new Error(`PUT part ${i}: ${r.status}`);
      return;
    }
    await new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('PUT', url);
      for (const [name, value] of send) xhr.setRequestHeader(name, value);
      xhr.onload = () => (xhr.status < 300 ? resolve() : reject(new Error(`PUT part ${i}: ${xhr.status}`)));
      xhr.onerror = () => reject(new Error(`PUT part ${i}: network error`));
      xhr.send(body);
    });
  };
  let next = 0;
  const t0 = performance.now();
  await Promise.all([0, 1, 2, 3].map(async () => {
    while (next < count) await put(next++);
  }));
  return performance.now() - t0;
}
