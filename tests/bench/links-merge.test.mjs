// The link benchmark's results merged from runs of some profiles
// (bench/browser/lib/links-merge.mjs): a run of far alone replaces far's
// rows and keeps fibre's and home's, and the report says when each was
// measured.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeLinks } from '../../bench/browser/lib/links-merge.mjs';
import { linksReport } from '../../bench/browser/lib/links-report.mjs';

const load = (median) => ({ min: median - 0.5, median, max: median + 0.5, n: 10 });
const row = (profile, c, ms) => ({
  profile, mbit: 20, rttMs: 150, case: c, label: c, files: 1, bytes: 1, limitMs: 1000,
  systems: { ours: { ms: [ms], medianMs: ms, ofLimit: ms / 1000, oursOverIt: null, pageCpuSeconds: 1, serverCpuSeconds: 1 } },
});
// A whole run written before `measured` existed, then far alone, newer.
const whole = {
  what: 'links', runs: { fibre: 3, home: 3, far: 1 }, quick: false, load: load(1),
  results: [row('fibre', 'seed', 1100), row('home', 'seed', 1200), row('far', 'seed', 1300), row('far', 'small', 1400)],
};
const far = {
  what: 'links', runs: { far: 3 }, quick: false, load: load(2),
  measured: { far: { at: '2026-12-05T17:42:15.000Z', commit: '363ddff', load: load(2) } },
  results: [row('far', 'seed', 1310), row('far', 'small', 1410), row('far', '256', 1510)],
};

test("a run of one profile replaces that profile's rows and keeps the others", () => {
  const merged = mergeLinks(whole, far);
  assert.deepEqual(merged.results.map((r) => `${r.profile}/${r.case}/${r.systems.ours.medianMs}`),
    ['fibre/seed/1100', 'home/seed/1200', 'far/seed/1310', 'far/small/1410', 'far/256/1510']);
  assert.deepEqual(merged.runs, { fibre: 3, home: 3, far: 3 });
  assert.deepEqual(merged.measured.fibre, { load: load(1) });
  assert.equal(merged.measured.far.commit, '363ddff');
  assert.equal(merged.load, undefined, 'no one load for runs measured apart');
});

test('profiles keep their order whichever run comes first', () => {
  const merged = mergeLinks(far, whole);
  assert.deepEqual([...new Set(merged.results.map((r) => r.profile))], ['fibre', 'home', 'far']);
  assert.equal(merged.results.find((r) => r.profile === 'far').systems.ours.medianMs, 1300);
});

test('the report names when, at which commit and under which load each profile was measured', () => {
  const text = linksReport(mergeLinks(whole, far));
  assert.match(text, /far 2026-12-05 17:42 UTC at 363ddff, load average 1\.5 to 2\.5 \(median 2\)/);
  assert.match(text, /fibre, load average 0\.5 to 1\.5 \(median 1\)/);
  assert.match(text, /## far: 20 Mbit\/s, 150 ms/);
});
