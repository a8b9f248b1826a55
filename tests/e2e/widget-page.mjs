// Reading and driving a <presigned-upload> element through its open shadow
// root, for the Playwright tests (demo page, widget, Vite app).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setUp } from './fixture.mjs';

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
        phase: text('phase'),
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
    await transitionsDone(page);
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

/**
 * Resolves once the colour-scheme change has been styled and every CSS
 * transition it started (in the page and in shadow roots) has ended: axe
 * must not measure a colour halfway between light and dark.
 */
async function transitionsDone(page) {
  await page.evaluate(async () => {
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    const roots = [document, ...[...document.querySelectorAll('*')].filter((e) => e.shadowRoot).map((e) => e.shadowRoot)];
    const ending = roots.flatMap((root) => root.getAnimations())
      .filter((a) => a.effect?.getComputedTiming().endTime !== Infinity);
    await Promise.all(ending.map((a) => a.finished.catch(() => {})));
  });
}

/**
 * What widget tests start: setUp (fixture.mjs) with the fault proxy, a
 * signer configured by `config` (TOML written to presign.toml) and serving
 * the test's own pages from `work/www`: a page of another address space
 * (e.g. one Playwright fulfilled) may not reach the loopback store.
 */
export function setUpWidget(prefix, config = '') {
  return setUp(prefix, {
    proxied: true,
    prepare: (work) => {
      writeFileSync(join(work, 'presign.toml'), config);
      mkdirSync(join(work, 'www'));
    },
    args: (work) => ['--config', join(work, 'presign.toml')],
    options: (work) => ({ wwwDir: join(work, 'www') }),
  });
}

let pages = 0;

/**
 * Opens a page of the signer's origin holding `body` and the widget's
 * module (`lang`: the page's language), once the element is defined and
 * the first frame painted. Returns `{ page, errors }` (uncaught page errors).
 */
export async function widgetPage({ browser, server, work }, body, { lang = 'en', head = '' } = {}) {
  const name = `widget-test-${++pages}.html`;
  writeFileSync(join(work, 'www', name), `<!doctype html><html lang="${lang}"><head><meta charset="utf-8">
    <title>widget test</title><meta name="color-scheme" content="light dark">
    <style>body { font-family: system-ui, sans-serif; margin: 2rem; background: Canvas; color: CanvasText; }</style>
    <script type="module" src="/pkg/widget/presigned-upload-element.js"></script>${head}</head>
    <body><main><h1>Widget</h1>${body}</main></body></html>`);
  const page = await browser.newPage({ viewport: { width: 800, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  // Playwright turns on file-chooser interception when the first listener is
  // added, asynchronously: a key pressed right after waitForEvent('filechooser')
  // could open the native dialog instead, and no event comes. One listener for
  // the page's whole life, set before it loads, closes that race.
  page.on('filechooser', () => {});
  await page.goto(`${server.url}/${name}`);
  await page.waitForFunction(() => customElements.get('presigned-upload') !== undefined);
  // Input before the first frame is painted may be dropped (Chromium's paint holding).
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  return { page, errors };
}

const EVENTS = ['upload-start', 'upload-progress', 'upload-complete', 'upload-error', 'upload-refused'];

/** Records the widget's events (plain data) in window.events. */
export function recordEvents(page, selector = 'presigned-upload') {
  return page.evaluate(async ({ selector, types }) => {
    const { UploadError } = await import('/pkg/presigned_upload.js');
    window.events = [];
    for (const type of types) {
      document.querySelector(selector).addEventListener(type, (e) => window.events.push({
        type,
        name: e.detail.file.name,
        relativePath: e.detail.relativePath,
        limit: e.detail.limit,
        uploadId: e.detail.progress?.uploadId,
        result: e.detail.result,
        code: e.detail.error?.code,
        message: e.detail.error?.message,
        status: e.detail.error?.status,
        isUploadError: e.detail.error ? e.detail.error instanceof UploadError : undefined,
      }));
    }
  }, { selector, types: EVENTS });
}

/** The recorded events of one type. */
export const events = (page, type) => page.evaluate((type) => window.events.filter((e) => e.type === type), type);

/**
 * Makes files of random bytes in the page (`specs`: `[name, size, type?]`)
 * and drops them on the widget's drop zone as one DataTransfer; returns
 * each file's SHA-256 (hex) by name.
 */
export function dropGenerated(page, specs, selector = 'presigned-upload') {
  return page.evaluate(async ({ specs, selector }) => {
    const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
    const transfer = new DataTransfer();
    const hashes = {};
    for (const [name, size, type = 'application/octet-stream'] of specs) {
      const bytes = new Uint8Array(size);
      for (let o = 0; o < size; o += 65536) crypto.getRandomValues(bytes.subarray(o, Math.min(size, o + 65536)));
      hashes[name] = hex(await crypto.subtle.digest('SHA-256', bytes));
      transfer.items.add(new File([bytes], name, { type }));
    }
    const zone = document.querySelector(selector).shadowRoot.querySelector('[part~="dropzone"]');
    for (const type of ['dragenter', 'dragover', 'drop']) {
      zone.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true, composed: true }));
    }
    return hashes;
  }, { specs, selector });
}

/** Records every announcement of the widget's live region in window.announced. */
export function watchAnnouncements(page, selector = 'presigned-upload') {
  return page.evaluate((selector) => {
    window.announced = [];
    const status = document.querySelector(selector).shadowRoot.querySelector('[part~="status"]');
    new MutationObserver(() => status.textContent && window.announced.push(status.textContent))
      .observe(status, { childList: true, characterData: true, subtree: true });
  }, selector);
}

/** What the widget's live region announced so far. */
export const announced = (page) => page.evaluate(() => window.announced);
