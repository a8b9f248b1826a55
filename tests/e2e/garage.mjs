// A single-node Garage on loopback for one test file (tests/support/garage),
// its bucket's CORS set the way users set it (`presign-server cors apply`),
// for tests of signers other than presign-server (which need a store of
// their own). Stop it with `stop()`.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..', '..');
const presignServer = () => process.env.PRESIGN_SERVER_BIN ?? join(repo, 'target', 'debug', 'presign-server');

/**
 * Starts Garage in `dir`; resolves with `{ env, pid, stop }`, where `env`
 * holds AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY and PRESIGN_BUCKET. `origins` are the pages allowed
 * to PUT and POST to the bucket (default: any loopback origin is not a CORS
 * notion, so give the test page's origin); `args`, more presign-server
 * flags for `cors apply` (`--dev` allows any origin, `--allow-metadata`
 * names metadata headers).
 */
export function startGarage(dir, { origins = [], args = [] } = {}) {
  mkdirSync(dir, { recursive: true });
  execFileSync(join(repo, 'tests', 'support', 'garage'), [dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  const env = {};
  for (const line of readFileSync(join(dir, 'env'), 'utf8').split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) env[line.slice(0, at)] = line.slice(at + 1);
  }
  const pid = Number(env.GARAGE_PID);
  delete env.GARAGE_PID;
  const stop = () => {
    try { process.kill(pid, 'SIGTERM'); } catch { /* already gone */ }
  };
  const cors = spawnSync(presignServer(), [
    '--store', 's3', '--data-dir', join(dir, 'cors-data'),
    ...origins.flatMap((o) => ['--allow-origin', o]), ...args, 'cors', 'apply',
  ], { env: { ...process.env, ...env }, encoding: 'utf8' });
  if (cors.status !== 0) {
    stop();
    throw new Error(`presign-server cors apply failed:\n${cors.stderr}`);
  }
  return { env, pid, stop };
}
