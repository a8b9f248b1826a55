// What the framework example tests share (examples/react-app,
// examples/vue-app): the packed package installed into the app (as from the
// registry), its Vite production build served by a signer behind the strict
// Content-Security-Policy (tests/package/csp.mjs), and a page of it opened in
// Chromium. `pageIsClean` then checks that it loaded the wasm and the hash
// workers from the build's own assets, with no violation, error or fallback
// warning.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installPackage, repo } from './packed.mjs';
import { startServer } from '../e2e/server.mjs';
import { launchChromium } from '../e2e/browser.mjs';
import { openRecorded, policy, startCspProxy } from './csp.mjs';

/**
 * Sets up examples/`name` for the tests of one file; returns an object whose
 * `open(path)` opens a page of the build (under the policy) and `work` is a
 * scratch folder for the files to upload.
 */
export function frameworkApp(name) {
  const app = join(repo, 'examples', name);
  const dist = join(app, 'dist');
  const ctx = { work: null };
  let server;
  let proxy;
  let browser;

  before(async () => {
    assert.ok(existsSync(join(app, 'node_modules', 'vite')), `examples/${name} has no node_modules: run scripts/setup`);
    installPackage(app);
    rmSync(dist, { recursive: true, force: true });
    const build = spawnSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build'], { cwd: app, encoding: 'utf8' });
    assert.equal(build.status, 0, `vite build failed:\n${build.stdout}${build.stderr}`);
    ctx.work = mkdtempSync(join(tmpdir(), `presign-${name}-`));
    server = await startServer([], { wwwDir: dist });
    proxy = await startCspProxy(server.url, policy({ storeUrl: server.storeUrl }));
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await proxy?.stop();
    await server?.stop();
    if (ctx.work) rmSync(ctx.work, { recursive: true, force: true });
  });

  ctx.open = (path = '/') => openRecorded(browser, proxy.url + path);
  return ctx;
}

/** The page hashed in workers bundled in the build's assets, with nothing refused or failing. */
export function pageIsClean(seen) {
  assert.ok(seen.workers.length > 0 && seen.workers.every((p) => /^\/assets\/hash_worker-[\w-]+\.js$/.test(p)),
    `workers: ${seen.workers}`);
  assert.deepEqual(seen.violations, []);
  assert.deepEqual(seen.warnings, []);
  assert.deepEqual(seen.errors, []);
}
