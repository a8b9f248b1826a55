#!/usr/bin/env node
// Hashing speed in headless Chromium, side by side in one page: WebCrypto's
// one-shot digest vs sha2 compiled to wasm, per 8 MiB part, on the main
// thread and in a hash worker, and the uploader's own path (`checksums()`,
// which upload() uses) with 1, 2 and 4 workers, with and without the
// whole-file stream. Not a test: figures drift on shared machines; compare
// the rows of one run.
//
//   scripts/build-wasm && node bench/hash_speed.mjs [--sizes 8,64] [--runs 5] [--workers 1,2,4]
//
// Serves pkg/ and bench/ on a loopback port (loopback is a secure context,
// so WebCrypto exists) and prints MB/s (median, min, max of the runs).
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { launchChromium } from '../tests/e2e/browser.mjs';

const repo = resolve(import.meta.dirname, '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const query = new URLSearchParams({
  sizes: arg('sizes', '8,64'),
  runs: arg('runs', '5'),
  workers: arg('workers', '1,2,4'),
});

const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };
const server = createServer(async (req, res) => {
  const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
  const root = path.startsWith('/pkg/') ? repo : join(repo, 'bench');
  try {
    const body = await readFile(join(root, path));
    res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' });
    res.end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const url = `http://127.0.0.1:${server.address().port}/hash_speed.html?${query}`;

const browser = await launchChromium();
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('page error:', e));
  await page.goto(url);
  const results = await page.evaluate(() => window.benchResults);
  if (results.error) throw new Error(results.error);
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  console.log(`${cpus()[0]?.model ?? 'unknown CPU'}; navigator.hardwareConcurrency ${cores}; ${browser.version()}`);
  const width = Math.max(...results.map((r) => r.name.length));
  for (const size of [...new Set(results.map((r) => r.sizeMiB))]) {
    console.log(`\n${size} MiB, MB/s (median of ${query.get('runs')}; min..max)`);
    for (const r of results.filter((r) => r.sizeMiB === size)) {
      console.log(`  ${r.name.padEnd(width)}  ${r.median.toFixed(0).padStart(5)}  (${r.min.toFixed(0)}..${r.max.toFixed(0)})`);
    }
  }
} finally {
  await browser.close();
  server.close();
}
