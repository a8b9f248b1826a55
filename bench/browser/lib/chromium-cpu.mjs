// CPU seconds used so far by a Chromium's processes, summed by type
// (`renderer`: the pages and their workers; `browser`; `utility`: the
// network service), from CDP's SystemInfo.getProcessInfo.

const sessions = new WeakMap();

/** `{ renderer: s, browser: s, ... }` of `browser` (Playwright's). */
export async function cpuByProcessType(browser) {
  if (!sessions.has(browser)) sessions.set(browser, browser.newBrowserCDPSession());
  const { processInfo } = await (await sessions.get(browser)).send('SystemInfo.getProcessInfo');
  const sums = {};
  for (const p of processInfo) sums[p.type] = (sums[p.type] ?? 0) + p.cpuTime;
  return sums;
}
