// bench/results/links.md from a links run (links.mjs): per profile, each
// case's physical limit and each system's median time, as a multiple of
// that limit and against ours (paired within rounds: above 1.00, ours was
// faster).

const seconds = (ms) => (ms / 1000).toFixed(2);

/** The Markdown report of `run` (links.json's content). */
export function linksReport(run) {
  const lines = [
    `# Uploads over emulated links${run.quick ? ' (quick run)' : ''}`,
    '',
    `${roundsText(run.runs)} per system, medians; every run is in the JSON. ${loadText(run)}`,
    'Limit: max(bytes / rate, files x RTT / 6) + 2 RTT. "x limit": median time / limit. "ours vs it": its time / ours, paired within rounds (above 1.00: ours was faster). "page CPU s": CPU seconds of the page\'s renderer process (its main thread and workers, hashing included) during the upload; "server CPU s": of the signer\'s and the store\'s processes (one process: presign-server --dev and its embedded store).',
    '',
  ];
  const profiles = [...new Set(run.results.map((r) => r.profile))];
  for (const profile of profiles) {
    const rows = run.results.filter((r) => r.profile === profile);
    lines.push(`## ${profile}: ${rows[0].mbit} Mbit/s, ${rows[0].rttMs} ms`, '');
    lines.push('| case | limit s | system | median s | x limit | ours vs it | page CPU s | server CPU s |', '|---|---:|---|---:|---:|---:|---:|---:|');
    for (const row of rows) {
      for (const [name, s] of Object.entries(row.systems)) {
        const vs = name === 'ours' || s.oursOverIt === null ? '' : `${s.oursOverIt.toFixed(2)}x`;
        lines.push(`| ${row.label} | ${seconds(row.limitMs)} | ${name} | ${seconds(s.medianMs)} | ${s.ofLimit.toFixed(2)} | ${vs} | ${s.pageCpuSeconds.toFixed(2)} | ${s.serverCpuSeconds?.toFixed(2) ?? ''} |`);
      }
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** The load average during the run, or while each profile was measured
 * (a file merged from several runs, lib/links-merge.mjs). */
function loadText(run) {
  const round = (x) => Math.round(x * 100) / 100;
  const load = (l) => `${round(l.min)} to ${round(l.max)} (median ${round(l.median)})`;
  if (!run.measured) return `Load average ${load(run.load)} during the run.`;
  const each = Object.entries(run.measured).map(([profile, m]) => {
    const when = [m.at && `${m.at.slice(0, 16).replace('T', ' ')} UTC`, m.commit && `at ${m.commit}`].filter(Boolean).join(' ');
    return `${profile}${when ? ` ${when}` : ''}, load average ${load(m.load)}`;
  });
  return `Profiles measured apart: ${each.join('; ')}.`;
}

/** "3 rounds", or per profile: "3 rounds (far: 1)". */
function roundsText(runs) {
  if (typeof runs === 'number') return `${runs} round(s)`;
  const counts = Object.entries(runs);
  const profilesWith = new Map();
  for (const [, n] of counts) profilesWith.set(n, (profilesWith.get(n) ?? 0) + 1);
  const [most] = [...profilesWith].sort((a, b) => b[1] - a[1])[0];
  const others = counts.filter(([, n]) => n !== most).map(([p, n]) => `${p}: ${n}`);
  return `${most} round(s)${others.length ? ` (${others.join(', ')})` : ''}`;
}
