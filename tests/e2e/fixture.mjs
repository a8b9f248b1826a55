// What the e2e files share: a temporary folder, a signer (presign-server
// --dev: its embedded store, or the store PRESIGN_TEST_STORE_ENV names),
// optionally the fault proxy in front of the store, and Chromium.
//
//   let proxy, server, browser, work;
//   before(async () => ({ proxy, server, browser, work } = await setUp('presign-e2e-x-', { proxied: true })));
//   after(() => tearDown({ proxy, server, browser, work }));
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, startProxy } from './server.mjs';
import { launchChromium } from './browser.mjs';

/**
 * Starts what a test file needs. `proxied`: the browser reaches the store
 * through a fault proxy (its URL is the store's public URL). `args(work)`:
 * more signer flags; `options(work)`: startServer's options; `prepare(work)`
 * runs first (e.g. writes a config the flags name).
 */
export async function setUp(prefix, { proxied = false, args = () => [], options = () => ({}), prepare } = {}) {
  const work = mkdtempSync(join(tmpdir(), prefix));
  await prepare?.(work);
  const proxy = proxied ? await startProxy() : undefined;
  const server = await startServer([...(proxy ? ['--store-public-url', proxy.url] : []), ...args(work)], options(work));
  if (proxy) await proxy.target(server.storeUrl);
  const browser = await launchChromium();
  return { proxy, server, browser, work };
}

/** Stops what setUp started (whatever of it did start) and removes the folder. */
export async function tearDown({ proxy, server, browser, work }) {
  await browser?.close();
  await server?.stop();
  proxy?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
}
