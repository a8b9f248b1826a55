// A strict Content-Security-Policy for the browser tests: `policy()` is the
// one README.md tells an app to send, and `startCspProxy()` puts it on every
// response of a presign-server --dev (the page, its scripts, the wasm, the
// hash workers' scripts, whose own responses set a worker's policy) by
// standing in front of it on a port of its own: the page's origin is the
// proxy's, and its API calls reach the signer through it.
import { createServer, request } from 'node:http';

/**
 * The policy: scripts and workers from the page's origin only, the wasm
 * compiled (`'wasm-unsafe-eval'`, left out with `wasm: false`), and requests
 * to the page's origin (the signer) and to the store's (`storeUrl`).
 */
export function policy({ storeUrl, wasm = true }) {
  const store = new URL(storeUrl).origin;
  return [
    "default-src 'self'",
    `script-src 'self'${wasm ? " 'wasm-unsafe-eval'" : ''}`,
    "worker-src 'self'",
    `connect-src 'self' ${store}`,
  ].join('; ');
}

/** Forwards every request to `targetUrl` and adds `csp` to every response. */
export async function startCspProxy(targetUrl, csp) {
  const target = new URL(targetUrl);
  const server = createServer((req, res) => {
    const upstream = request(
      { hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode, { ...answer.headers, 'content-security-policy': csp });
        answer.pipe(res);
      },
    );
    upstream.on('error', (e) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(String(e));
    });
    req.pipe(upstream);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    stop: () => new Promise((ok) => { server.closeAllConnections(); server.close(ok); }),
  };
}

/**
 * Opens `url` in a new page of `browser`, recording what a CSP test looks
 * at: the policy's violations (as the page's `securitypolicyviolation`
 * events report them: directive and blocked URI), uncaught errors, the
 * package's warnings (a hash worker that fails to load warns, and hashing
 * falls back to the main thread), and the workers started.
 */
export async function openRecorded(browser, url) {
  const page = await browser.newPage();
  const seen = { violations: [], errors: [], warnings: [], workers: [] };
  await page.exposeFunction('__cspViolation', (v) => seen.violations.push(v));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      window.__cspViolation(`${e.effectiveDirective} ${e.blockedURI}`));
  });
  page.on('pageerror', (e) => seen.errors.push(e));
  page.on('console', (m) => m.type() === 'warning' && m.text().includes('presigned-upload') && seen.warnings.push(m.text()));
  page.on('worker', (w) => seen.workers.push(new URL(w.url()).pathname));
  await page.goto(url);
  return { page, seen };
}
