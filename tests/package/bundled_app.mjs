// What the bundler example tests share (examples/vite-app, examples/webpack-app):
// the packed package installed into the app (as from the registry), its
// production build served by a signer, and its two pages driven in
// Chromium: the widget (the --target web build) uploads a multipart file
// through index.html, and bundler.html hashes in two workers and uploads
// through `presigned-upload/bundler` (the .wasm imported as an ES module).
// Both must load the wasm and the hash workers from the build's own assets,
// never from the repository's pkg/, with no error and no fallback warning.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installPackage, repo } from './packed.mjs';
import { startServer } from '../e2e/server.mjs';
import { launchChromium } from '../e2e/browser.mjs';
import { assertStored, settled, sha256 } from '../e2e/widget-page.mjs';

const MIB = 1024 * 1024;

// S3's composite checksum of `bytes` in `partSize` parts (base64-N).
function composite(bytes, partSize) {
  const parts = [];
  for (let at = 0; at < bytes.length; at += partSize) {
    parts.push(createHash('sha256').update(bytes.subarray(at, at + partSize)).digest());
  }
  return `${createHash('sha256').update(Buffer.concat(parts)).digest('base64')}-${parts.length}`;
}

/**
 * The tests of one example app: `name` (its folder in examples/), `bundler`
 * (what builds it: `tool`, the package whose presence shows the app's npm
 * dependencies are installed, and `args`, the build's command line under
 * Node), `workers` (the paths the build gives the hash workers' scripts:
 * `web` for the default build's, `bundler` for presigned-upload/bundler's),
 * `fileType` (the one its pages upload as), and `quiet` (the build must
 * print no warning).
 */
export function bundledAppTests({ name, tool, args, workers, fileType, quiet = false }) {
  const app = join(repo, 'examples', name);
  const dist = join(app, 'dist');
  let server;
  let browser;
  let work;

  before(async () => {
    assert.ok(existsSync(join(app, 'node_modules', tool)), `examples/${name} has no node_modules: run scripts/setup`);
    installPackage(app);
    rmSync(dist, { recursive: true, force: true });
    const build = spawnSync(process.execPath, args, { cwd: app, encoding: 'utf8' });
    assert.equal(build.status, 0, `${tool} build failed:\n${build.stdout}${build.stderr}`);
    if (quiet) assert.doesNotMatch(build.stdout + build.stderr, /warning/i, `${build.stdout}${build.stderr}`);
    work = mkdtempSync(join(tmpdir(), `presign-${name}-`));
    server = await startServer([], { wwwDir: dist });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  // A page of the build, with what it requested, which workers it started,
  // and its errors and the package's warnings (a worker that fails to load
  // warns, and the hashing falls back to the main thread).
  async function openPage(path) {
    const page = await browser.newPage();
    const seen = { errors: [], warnings: [], requested: [], workers: [] };
    page.on('pageerror', (e) => seen.errors.push(e));
    page.on('console', (m) => m.type() === 'warning' && m.text().includes('presigned-upload') && seen.warnings.push(m.text()));
    page.on('request', (r) => seen.requested.push(new URL(r.url()).pathname));
    page.on('worker', (w) => seen.workers.push(new URL(w.url()).pathname));
    await page.goto(server.url + path);
    return { page, seen };
  }

  // What the page loaded: the wasm and the hash workers from the build's
  // assets, nothing from pkg/, and no error or fallback warning.
  function assertBundled(seen, worker) {
    assert.ok(seen.requested.some((p) => /^\/assets\/.+\.wasm$/.test(p)), `requests: ${seen.requested}`);
    assert.deepEqual(seen.requested.filter((p) => p.startsWith('/pkg/')), []);
    assert.ok(seen.workers.length > 0 && seen.workers.every((p) => worker.test(p)), `workers: ${seen.workers}`);
    assert.deepEqual(seen.warnings, []);
    assert.deepEqual(seen.errors, []);
  }

  test(`the ${tool} build bundles the wasm and uploads a multipart file through the widget`, { timeout: 180_000 }, async () => {
    const assets = readdirSync(join(dist, 'assets'));
    assert.ok(assets.some((f) => f.endsWith('.wasm')), `no .wasm among the build's assets: ${assets}`);

    const bytes = randomBytes(18 * MIB);
    writeFileSync(join(work, `from-${name}.bin`), bytes);
    const { page, seen } = await openPage('/');
    await page.setInputFiles('presigned-upload input[type=file]', join(work, `from-${name}.bin`));
    const [row] = await settled(page, 1);
    assert.equal(row.state, 'done', row.error);
    assert.match(row.key, new RegExp(`^users/dev/${fileType}/`));
    await assertStored(row.href, sha256(bytes), bytes.length);

    // The app's own upload-complete listener (src/main) listed the object.
    const listed = await page.locator('#stored li').getAttribute('data-key');
    assert.equal(listed, row.key);
    assertBundled(seen, workers.web);
    await page.close();
  });

  test(`the bundler build (${tool}) hashes in two workers and uploads`, { timeout: 180_000 }, async () => {
    const bytes = randomBytes(18 * MIB);
    writeFileSync(join(work, `from-${name}-bundler.bin`), bytes);
    const { page, seen } = await openPage('/bundler.html');
    await page.setInputFiles('#file', join(work, `from-${name}-bundler.bin`));
    await page.waitForSelector('#result[data-state="done"], #result[data-state="failed"]', { timeout: 150_000 });
    const result = await page.locator('#result').evaluate((el) => ({ ...el.dataset, text: el.textContent }));
    assert.equal(result.state, 'done', result.text);
    // checksums() and the upload agree with node:crypto, 3 parts of 8 MiB.
    assert.equal(result.checksum, composite(bytes, 8 * MIB));
    assert.equal(result.uploaded, result.checksum);
    assert.equal(result.sha256, sha256(bytes, 'base64'));
    assert.equal(result.uploadedSha256, result.sha256);
    assert.equal(result.workers, '2');
    assert.match(result.key, new RegExp(`^users/dev/${fileType}/`));
    await assertStored(result.href, sha256(bytes), bytes.length);
    assertBundled(seen, workers.bundler);
    await page.close();
  });
}
