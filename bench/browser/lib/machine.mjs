// What the figures were measured on (the CPU, cores, memory, Chromium) and
// how busy the machine was meanwhile: the load average, sampled every few
// seconds while a benchmark runs (these machines are shared).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

const chromium = () => process.env.CHROMIUM ?? '/usr/bin/chromium';

/** The machine, for the report's heading. */
export function describeMachine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const field = (name) => cpuinfo.match(new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm'))?.[1]?.trim();
  const flags = field('flags')?.split(/\s+/) ?? [];
  const run = (cmd, args) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
    } catch {
      return 'unknown';
    }
  };
  return {
    cpu: field('model name') ?? cpus()[0]?.model ?? 'unknown',
    shaNi: flags.includes('sha_ni'),
    nproc: Number(run('nproc', [])),
    memTotalGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    free: run('free', ['-m']),
    chromium: run(chromium(), ['--version']),
    node: process.version,
    kernel: run('uname', ['-r']),
    date: new Date().toISOString(),
  };
}

/** The 1-minute load average now. */
export function loadNow() {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

/** Samples the 1-minute load average every `ms` until `stop()`. */
export function sampleLoad(ms = 5000) {
  const samples = [loadNow()];
  const timer = setInterval(() => samples.push(loadNow()), ms);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      samples.push(loadNow());
      return summarize(samples);
    },
  };
}

/** `{ min, median, max }` of a list of numbers. */
export function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    min: sorted[0],
    median: median(sorted),
    max: sorted[sorted.length - 1],
    n: sorted.length,
  };
}

/** The median (the mean of the two middle values for an even count). */
export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
