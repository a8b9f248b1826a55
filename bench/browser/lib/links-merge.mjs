// One links.json from several runs: a run of some profiles (links.mjs
// --profiles far --update, or links-merge.mjs) replaces those profiles'
// rows in an earlier run's file and keeps the others, so far's three
// rounds, which do not fit in the hour of a whole run, can be measured
// apart. Each profile keeps when, at which commit and under which load
// its rows were measured (`measured`).

const PROFILE_ORDER = ['fibre', 'home', 'far'];

/** What a run says of when and how each of its profiles was measured
 * (files written before `measured` existed: the run's load only). */
function measuredOf(run) {
  const profiles = [...new Set(run.results.map((r) => r.profile))];
  return Object.fromEntries(profiles.map((p) => [p, run.measured?.[p] ?? { load: run.load }]));
}

/** `base` with the profiles `newer` measured replaced by `newer`'s rows. */
export function mergeLinks(base, newer) {
  const replaced = new Set(newer.results.map((r) => r.profile));
  const rank = (p) => (PROFILE_ORDER.includes(p) ? PROFILE_ORDER.indexOf(p) : PROFILE_ORDER.length);
  // A stable sort: each profile's rows keep their order.
  const results = [...base.results.filter((r) => !replaced.has(r.profile)), ...newer.results]
    .sort((a, b) => rank(a.profile) - rank(b.profile));
  const runsOf = (run, p) => (typeof run.runs === 'number' ? run.runs : run.runs[p]);
  const profiles = [...new Set(results.map((r) => r.profile))];
  const measured = { ...measuredOf(base), ...measuredOf(newer) };
  // The load is each profile's own (`measured`), not one run's.
  const { load: _, ...rest } = base;
  return {
    ...rest,
    runs: Object.fromEntries(profiles.map((p) => [p, runsOf(replaced.has(p) ? newer : base, p)])),
    quick: base.quick && newer.quick,
    measured: Object.fromEntries(profiles.map((p) => [p, measured[p]])),
    results,
  };
}
