// Reading and driving a <presigned-upload> element through its open shadow
// root, for the Playwright tests (demo page, widget, Vite app).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..', '..');
export const artifacts = join(repo, 'artifacts');
const ENDED = ['done', 'failed', 'aborted'];

export const sha256 = (bytes, encoding = 'hex') => createHash('sha256').update(bytes).digest(encoding);

/** Every file row of the widget matched by `widget` (a CSS selector), as plain data. */
export function rows(page, widget = 'presigned-upload') {
  return page.evaluate((selector) => {
    const root = document.querySelector(selector)?.shadowRoot;
    if (!root) return [];
    return [...root.querySelectorAll('[part~="file"]')].map((row) => {
      const text = (part) => row.querySelector(`[part~="${part}"]`)?.textContent.trim() ?? '';
      const link = row.querySelector('[part~="link"]');
      return {
        name: text('file-name'),
        state: row.dataset.state,
        code: row.dataset.code ?? null,
        error: text('error'),
        key: text('key'),
        href: link && !link.hidden ? link.href : null,
        valueNow: Number(row.querySelector('[role="progressbar"]').getAttribute('aria-valuenow')),
        buttons: [...row.querySelectorAll('button')].filter((b) => !b.hidden).map((b) => b.textContent),
      };
    });
  }, widget);
}

/** Waits until the widget has `count` rows and all of them have ended; returns them. */
export async function settled(page, count, { widget = 'presigned-upload', timeout = 300_000 } = {}) {
  await page.waitForFunction(({ selector, count, ended }) => {
    const list = document.querySelector(selector)?.shadowRoot?.querySelectorAll('[part~="file"]') ?? [];
    return list.length === count && [...list].every((row) => ended.includes(row.dataset.state));
  }, { selector: widget, count, ended: ENDED }, { timeout, polling: 100 });
  return rows(page, widget);
}

/** Waits until some row of the widget satisfies `state` and `minValue` (aria-valuenow). */
export function rowReaches(page, { name, state, minValue = 0, widget = 'presigned-upload', timeout = 300_000 }) {
  return page.waitForFunction(({ selector, name, state, minValue }) => {
    const list = document.querySelector(selector)?.shadowRoot?.querySelectorAll('[part~="file"]') ?? [];
    return [...list].some((row) =>
      (!name || row.querySelector('[part~="file-name"]').textContent === name) &&
      (!state || row.dataset.state === state) &&
      Number(row.querySelector('[role="progressbar"]').getAttribute('aria-valuenow')) >= minValue);
  }, { selector: widget, name, state, minValue }, { timeout, polling: 50 });
}

/** Downloads `href` and asserts its bytes' SHA-256 (hex) and size. */
export async function assertStored(href, expectedHex, size) {
  assert.ok(href?.startsWith('http'), `download link: ${href}`);
  const res = await fetch(href);
  assert.equal(res.status, 200, `GET ${href}`);
  const got = Buffer.from(await res.arrayBuffer());
  assert.equal(got.length, size);
  assert.equal(sha256(got), expectedHex);
  return got;
}

/**
 * Runs axe-core (npm) on the page, light and dark, and returns the serious and
 * critical violations as readable strings; also saves a screenshot of each.
 */
export async function checkStateLooks(page, name) {
  if (!(await page.evaluate(() => 'axe' in window))) {
    await page.addScriptTag({ path: join(repo, 'node_modules', 'axe-core', 'axe.min.js') });
  }
  const found = [];
  for (const colorScheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme });
    await page.screenshot({ path: join(artifacts, `widget-${name}-${colorScheme}.png`), fullPage: true });
    const violations = await page.evaluate(async () => {
      const result = await window.axe.run(document, { resultTypes: ['violations'] });
      return result.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' > ')).join('; ')})`);
    });
    found.push(...violations.map((v) => `${name}, ${colorScheme}: ${v}`));
  }
  await page.emulateMedia({ colorScheme: 'light' });
  return found;
}
