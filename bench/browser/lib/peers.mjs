// The peers the benchmark pages run beside ours: npm packages pinned in
// bench/browser/package.json (its lock file), installed with `npm ci` when
// missing, and bundled by esbuild into one ES module the pages import,
// www/vendor/peers.js (Uppy is bare-import ES modules; no bundler, no page).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const benchDir = join(import.meta.dirname, '..');
export const wwwDir = join(benchDir, 'www');

/** Installs the peers if needed and (re)builds www/vendor/peers.js. */
export function preparePeers() {
  const lock = join(benchDir, 'package-lock.json');
  const installed = join(benchDir, 'node_modules', '.package-lock.json');
  if (!existsSync(installed) || statSync(lock).mtimeMs > statSync(installed).mtimeMs) {
    console.error('bench: installing the peers (npm ci in bench/browser)');
    execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: benchDir, stdio: 'inherit' });
  }
  mkdirSync(join(wwwDir, 'vendor'), { recursive: true });
  execFileSync(join(benchDir, 'node_modules', '.bin', 'esbuild'), [
    join(benchDir, 'lib', 'peers-entry.js'), '--bundle', '--format=esm', '--log-level=warning',
    `--outfile=${join(wwwDir, 'vendor', 'peers.js')}`,
  ], { stdio: 'inherit' });
}

/** The versions measured, from the installed packages. */
export function peerVersions() {
  const version = (name) => {
    try {
      return JSON.parse(readFileSync(join(benchDir, 'node_modules', name, 'package.json'), 'utf8')).version;
    } catch {
      return 'unknown';
    }
  };
  return Object.fromEntries(['@uppy/core', '@uppy/aws-s3', '@aws-sdk/client-s3', '@aws-sdk/lib-storage', 'hash-wasm', 'esbuild'].map((n) => [n, version(n)]));
}
