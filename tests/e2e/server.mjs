// Starts a real presign-server --dev (signer + embedded store) on free
// loopback ports with a fresh data dir, and stops it afterwards.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..', '..');

export async function startServer(extraArgs = []) {
  const bin = process.env.PRESIGN_SERVER_BIN ?? join(repo, 'target', 'debug', 'presign-server');
  const dataDir = mkdtempSync(join(tmpdir(), 'presign-e2e-'));
  const child = spawn(bin, [
    '--dev', '--listen', '127.0.0.1:0', '--data-dir', dataDir,
    '--www-dir', join(repo, 'www'), '--pkg-dir', join(repo, 'pkg'), ...extraArgs,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const url = await new Promise((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`presign-server did not start in 60 s:\n${stderr}`)), 60_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/[^\s]+)/);
      if (m) { clearTimeout(timer); ok(m[1]); }
    });
    child.on('exit', (code) => { clearTimeout(timer); fail(new Error(`presign-server exited (${code}):\n${stderr}`)); });
  });
  return {
    url,
    dataDir,
    logs: () => stderr,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((ok) => child.once('exit', ok));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
