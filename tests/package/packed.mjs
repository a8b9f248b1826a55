// Where the packed package is, and how a test installs it into a project of
// its own (npm install --no-save: the project's package.json and lock stay
// as committed; the tarball changes with every build).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const repo = resolve(import.meta.dirname, '..', '..');

const { version } = JSON.parse(readFileSync(join(repo, 'npm', 'package.json'), 'utf8'));
export const tarball = join(repo, 'build', `presigned-upload-${version}.tgz`);

/** Installs the tarball into `dir` (which has a package.json). */
export function installPackage(dir) {
  if (!existsSync(tarball)) throw new Error(`${tarball} is missing: run scripts/package first`);
  execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--loglevel=error', tarball], {
    cwd: dir,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}
