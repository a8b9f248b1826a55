// examples/vite-app with the packed package installed (as from the
// registry): Vite builds it, the signer serves the build, and a file uploaded
// through the bundled widget is stored byte for byte. The page must load
// the wasm from the build's own assets, never from the repository's pkg/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installPackage, repo } from './packed.mjs';
import { startServer } from '../e2e/server.mjs';
import { launchChromium } from '../e2e/browser.mjs';
import { assertStored, settled, sha256 } from '../e2e/widget-page.mjs';

const app = join(repo, 'examples', 'vite-app');
const dist = join(app, 'dist');
let server;
let browser;
let work;

before(async () => {
  assert.ok(existsSync(join(app, 'node_modules', 'vite')), 'examples/vite-app has no node_modules: run scripts/setup');
  installPackage(app);
  rmSync(dist, { recursive: true, force: true });
  const build = spawnSync(process.execPath, [join(app, 'node_modules', 'vite', 'bin', 'vite.js'), 'build'], {
    cwd: app,
    encoding: 'utf8',
  });
  assert.equal(build.status, 0, `vite build failed:\n${build.stdout}${build.stderr}`);
  work = mkdtempSync(join(tmpdir(), 'presign-vite-'));
  server = await startServer([], { wwwDir: dist });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('the Vite build bundles the wasm and uploads a multipart file through the widget', { timeout: 180_000 }, async () => {
  const assets = readdirSync(join(dist, 'assets'));
  assert.ok(assets.some((f) => f.endsWith('.wasm')), `no .wasm among the build's assets: ${assets}`);

  const bytes = randomBytes(18 * 1024 * 1024);
  writeFileSync(join(work, 'from-vite.bin'), bytes);
  const page = await browser.newPage();
  const errors = [];
  const requested = [];
  page.on('pageerror', (e) => errors.push(e));
  page.on('request', (r) => requested.push(new URL(r.url()).pathname));
  await page.goto(server.url + '/');
  await page.setInputFiles('presigned-upload input[type=file]', join(work, 'from-vite.bin'));
  const [row] = await settled(page, 1);
  assert.equal(row.state, 'done', row.error);
  await assertStored(row.href, sha256(bytes), bytes.length);

  // The app's own upload-complete listener (src/main.ts) listed the object.
  const listed = await page.locator('#stored li').getAttribute('data-key');
  assert.equal(listed, row.key);
  assert.ok(requested.some((p) => /^\/assets\/.+\.wasm$/.test(p)), `requests: ${requested}`);
  assert.deepEqual(requested.filter((p) => p.startsWith('/pkg/')), []);
  assert.deepEqual(errors, []);
  await page.close();
});
