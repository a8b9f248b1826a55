// The emulated uplink of the link benchmarks: the signer and its store run
// in a network namespace of their own, joined to this one (the browser's) by
// a veth pair. The link's rate is `tc tbf` on both ends of the pair (the
// same rate both ways); its round trip is `fault-proxy delay` in the
// namespace, between the pair's address there and the servers' loopback
// ports (tests/support/fault-proxy/src/delay_link.rs says what that models
// and what it does not). Only these two addresses carry the traffic.
// Needs root (ip netns, tc).
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { repo } from './stores.mjs';

export const NAMESPACE = 'presign-link';
const BROWSER_SIDE = 'pl-browser';
const SERVER_SIDE = 'pl-server';
export const BROWSER_ADDR = '10.203.0.1';
export const SERVER_ADDR = '10.203.0.2';
/** Where the browser reaches the signer and the store, across the link. */
export const SIGNER_URL = `http://${SERVER_ADDR}:8080`;
export const STORE_URL = `http://${SERVER_ADDR}:9000`;

/** The links people upload over: uplink rate (Mbit/s) and round trip (ms). */
export const PROFILES = {
  fibre: { mbit: 500, rttMs: 10 },
  home: { mbit: 40, rttMs: 30 },
  far: { mbit: 20, rttMs: 150 },
};

const run = (cmd, args) => execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
const exists = () => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').some((l) => l.split(' ')[0] === NAMESPACE);

/** A command run inside the namespace. */
export const inside = (argv) => ['ip', 'netns', 'exec', NAMESPACE, ...argv];

/** Makes the namespace and the veth pair (after removing any left over). */
export function linkUp() {
  linkDown();
  run('ip', ['netns', 'add', NAMESPACE]);
  run('ip', ['link', 'add', BROWSER_SIDE, 'type', 'veth', 'peer', 'name', SERVER_SIDE, 'netns', NAMESPACE]);
  run('ip', ['addr', 'add', `${BROWSER_ADDR}/30`, 'dev', BROWSER_SIDE]);
  run('ip', ['link', 'set', BROWSER_SIDE, 'up']);
  const ns = (...argv) => run('ip', ['netns', 'exec', NAMESPACE, ...argv]);
  ns('ip', 'addr', 'add', `${SERVER_ADDR}/30`, 'dev', SERVER_SIDE);
  ns('ip', 'link', 'set', SERVER_SIDE, 'up');
  ns('ip', 'link', 'set', 'lo', 'up');
}

/** Removes the namespace (and with it the pair). */
export function linkDown() {
  if (exists()) run('ip', ['netns', 'del', NAMESPACE]);
}

/**
 * The link's rate on both ends: tbf with a bucket of 4 ms of the rate
 * (at least 16 KB) and 50 ms of queue, a modem's buffer.
 */
export function shape({ mbit }) {
  const bytesPerSecond = (mbit * 1e6) / 8;
  const burst = Math.max(16_384, Math.round(bytesPerSecond * 0.004));
  const args = (dev) => ['qdisc', 'replace', 'dev', dev, 'root', 'tbf', 'rate', `${mbit}mbit`, 'burst', String(burst), 'latency', '50ms'];
  run('tc', args(BROWSER_SIDE));
  run('ip', ['netns', 'exec', NAMESPACE, 'tc', ...args(SERVER_SIDE)]);
}

/**
 * Starts the round trip: `fault-proxy delay` in the namespace, from the
 * link's signer and store ports to the servers' own (`signerPort`,
 * `storePort` on the namespace's loopback). Resolves with `stop()`.
 */
export async function startDelay({ rttMs }, signerPort, storePort) {
  const proxy = join(repo, 'target', 'debug', 'fault-proxy');
  const argv = inside([proxy, 'delay', '--one-way-ms', String(rttMs / 2),
    `${SERVER_ADDR}:8080=127.0.0.1:${signerPort}`, `${SERVER_ADDR}:9000=127.0.0.1:${storePort}`]);
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`fault-proxy delay exited (${code})`)));
    child.stdout.on('data', (d) => String(d).includes('fault-proxy delaying') && resolve());
  });
  return {
    stop: () => new Promise((resolve) => {
      child.removeAllListeners('exit');
      child.once('exit', resolve);
      child.kill('SIGTERM');
    }),
  };
}

/** The fewest milliseconds `files` files of `bytes` in all can take on
 * `profile`: the bytes at the link's rate, or, for many files, one round
 * trip per file over 6 connections (a browser's HTTP/1.1 per host),
 * whichever is longer; plus 2 round trips, for the first signing and the
 * last confirmation. */
export function physicalLimitMs({ mbit, rttMs }, files, bytes) {
  const transfer = (bytes * 8) / (mbit * 1e6) * 1000;
  return Math.max(transfer, (files * rttMs) / 6) + 2 * rttMs;
}
