// End to end: the widget's words come from its locale. A widget with
// lang="es" on an English page goes through idle, refused files, a
// multipart upload paused and resumed, a cancel, a long collapsed list and
// its announcements; every text, label, value text and announcement it
// showed on the way (collected by a MutationObserver on its shadow root) is
// Spanish: none holds a phrase of the English locale. So do the review
// step, the other limits, a folder, a paste and a form's validation
// messages. Each file taken is checked as stored; axe-core checks each
// state. A locale object
// (`element.locale`) and addLocale() are picked up, English filling in
// what a partial one leaves out.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tearDown } from './fixture.mjs';
import {
  artifacts, assertStored, checkStateLooks, dropGenerated, events, recordEvents, rowReaches, rows, settled, setUpWidget,
  widgetPage,
} from './widget-page.mjs';
import en from '../../widget/locales/en.js';
import es from '../../widget/locales/es.js';

const MIB = 1024 * 1024;
let proxy;
let server;
let browser;
let work;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  ({ proxy, server, browser, work } = await setUpWidget('presign-widget-locale-'));
});
after(() => tearDown({ proxy, server, browser, work }));

// Every form of every English message, split at its placeholders: the
// phrases a Spanish widget must never show.
function englishPhrases() {
  const phrases = new Set();
  for (const message of Object.values(en.messages)) {
    for (const form of typeof message === 'object' ? Object.values(message) : [message]) {
      for (const piece of form.split(/\{\w+\}/)) {
        const phrase = piece.trim().replace(/^[\s:;,.()"«»·/]+|[\s:;,.()"«»·/]+$/g, '');
        if (/\p{L}{2}/u.test(phrase)) phrases.add(phrase);
      }
    }
  }
  return [...phrases];
}

// The phrases of `texts` found whole (not inside a longer word).
function englishIn(texts, phrases) {
  const found = [];
  for (const text of texts) {
    for (const phrase of phrases) {
      const escaped = phrase.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      if (new RegExp(`(?<!\\p{L})${escaped}(?!\\p{L})`, 'u').test(text)) found.push(`"${phrase}" in "${text}"`);
    }
  }
  return found;
}

// Collects, in window.seen, every text and label the widgets matched by
// `selector` show, now and on every change.
function watchWords(page, selector) {
  return page.evaluate((selector) => {
    window.seen = new Set();
    const ATTRS = ['aria-label', 'aria-valuetext', 'title', 'alt', 'placeholder'];
    const collect = (root) => {
      const walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
      for (let node = walker.currentNode; node; node = walker.nextNode()) {
        if (node.nodeType === Node.TEXT_NODE) {
          if (node.parentElement?.localName !== 'style' && node.data.trim()) window.seen.add(node.data.trim());
        } else {
          for (const a of ATTRS) if (node.getAttribute?.(a)) window.seen.add(node.getAttribute(a));
        }
      }
    };
    for (const el of document.querySelectorAll(selector)) {
      const root = el.shadowRoot;
      collect(root);
      new MutationObserver(() => collect(root)).observe(root, { subtree: true, childList: true, characterData: true, attributes: true });
    }
  }, selector);
}

test('lang="es": every word shown or announced is Spanish, in every state; the files are stored', { timeout: 240_000 }, async () => {
  const missing = Object.keys(en.messages).filter((key) => !(key in es.messages));
  assert.deepEqual(missing, [], 'keys the Spanish locale lacks');

  const { page, errors } = await widgetPage({ browser, server, work }, `
    <presigned-upload id="es" lang="es" multiple max-size="20000000" accept=".bin,image/*" file-type="widget"></presigned-upload>
    <presigned-upload id="many" lang="es" multiple file-type="widget"></presigned-upload>`);
  await watchWords(page, 'presigned-upload');
  await recordEvents(page, '#es');
  const violations = await checkStateLooks(page, 'es-idle');

  // The multipart file's parts wait at the proxy, so pause and resume catch
  // it running: longer than the in-progress state's screenshots and axe take.
  await proxy.faults({ match: ['es-big.bin', 'partNumber='], method: 'PUT', delayMs: 8000, times: 3 });
  const hashes = await dropGenerated(page, [
    ['es-big.bin', 18 * MIB], ['es-small.bin', 100_000], ['es-huge.bin', 21_000_000], ['es-doc.txt', 500, 'text/plain'],
  ], '#es');
  await rowReaches(page, { name: 'es-big.bin', state: 'uploading', minValue: 12, widget: '#es' });
  violations.push(...await checkStateLooks(page, 'es-in-progress'));
  await page.click('#es button.pause');
  await rowReaches(page, { name: 'es-big.bin', state: 'paused', widget: '#es' });
  await page.click('#es button.resume');
  const done = await settled(page, 4, { widget: '#es' });
  const by = Object.fromEntries(done.map((r) => [r.name, r]));
  assert.deepEqual(done.map((r) => [r.name, r.state, r.code]), [
    ['es-big.bin', 'done', null], ['es-small.bin', 'done', null], ['es-huge.bin', 'failed', 'too_large'], ['es-doc.txt', 'failed', 'unsupported_type'],
  ]);
  assert.equal(by['es-huge.bin'].error, 'Archivo demasiado grande: es-huge.bin ocupa 21,0 MB; el límite es 20,0 MB.');
  assert.equal(by['es-doc.txt'].error, 'Tipo de archivo no permitido: es-doc.txt no es de un tipo aceptado (.bin,image/*).');
  assert.deepEqual(by['es-small.bin'].buttons, ['Quitar']);
  await assertStored(by['es-big.bin'].href, hashes['es-big.bin'], 18 * MIB);
  await assertStored(by['es-small.bin'].href, hashes['es-small.bin'], 100_000);
  const sizes = await page.evaluate(() => [...document.querySelector('#es').shadowRoot.querySelectorAll('[part~="file-size"]')].map((s) => s.textContent));
  assert.deepEqual(sizes, ['18,9 MB', '100,0 kB', '21,0 MB', '500 bytes']);
  violations.push(...await checkStateLooks(page, 'es-done'));

  // A cancel: the row says so and offers Reintentar.
  await proxy.faults({ match: ['es-cancel.bin', 'partNumber='], method: 'PUT', delayMs: 2000, times: 3 });
  await dropGenerated(page, [['es-cancel.bin', 17 * MIB]], '#es');
  await rowReaches(page, { name: 'es-cancel.bin', state: 'uploading', widget: '#es' });
  await page.click('#es [part~="file"]:last-child button.cancel');
  const [cancelled] = (await settled(page, 5, { widget: '#es' })).slice(4);
  assert.deepEqual([cancelled.state, cancelled.buttons], ['aborted', ['Reintentar', 'Quitar']]);
  violations.push(...await checkStateLooks(page, 'es-cancelled'));

  // A long list: 55 files collapse ("y N más en espera"), then one announcement.
  await page.evaluate(() => { document.querySelector('#many').uploaderOptions = { maxConcurrentFiles: 1 }; });
  await proxy.faults({ match: ['many-'], method: 'PUT', delayMs: 60, times: 1000 });
  const specs = Array.from({ length: 55 }, (_, i) => [`many-${i}.bin`, 2000]);
  const manyHashes = await dropGenerated(page, specs, '#many');
  await page.waitForFunction(() => document.querySelector('#many').shadowRoot.querySelector('[part~="more"]').textContent !== '');
  violations.push(...await checkStateLooks(page, 'es-many'));
  await page.waitForFunction(() => /55 de 55 subidos/.test(document.querySelector('#many').shadowRoot.querySelector('[part~="status"]').textContent), null, { timeout: 120_000 });
  await proxy.reset();

  const seen = await page.evaluate(() => [...window.seen]);
  const names = [...specs.map(([n]) => n), 'es-big.bin', 'es-small.bin', 'es-huge.bin', 'es-doc.txt', 'es-cancel.bin'];
  // What the user gave (file names) and the signer made (keys) is no word of the widget's.
  const words = seen.map((text) => names.reduce((t, n) => t.split(n).join(''), text).replace(/users\/dev\/\S*/g, ''));
  for (const expected of ['Suelta archivos aquí', 'Subiendo', 'En pausa', 'Reanudar', 'Subido', 'Cancelado', 'Todas las subidas', 'Subidas']) {
    assert.ok(words.some((w) => w.includes(expected)), `"${expected}" was shown`);
  }
  assert.ok(words.some((w) => /^y \d+ más en espera$/.test(w)), 'the collapsed list said how many more wait');
  assert.ok(words.some((w) => /^\d+ de 3 subidos$/.test(w)), 'the summary counted in Spanish, refused files apart');
  assert.deepEqual(englishIn(words, englishPhrases()), [], 'English shown by a Spanish widget');

  // Every file of the long list is stored.
  const many = await rows(page, '#many');
  assert.ok(many.length < 55, 'finished rows collapse');
  assert.equal((await events(page, 'upload-complete')).length, 2);
  const summary = await page.evaluate(() => document.querySelector('#many').shadowRoot.querySelector('[part~="summary-text"]').textContent);
  assert.equal(summary, '55 de 55 subidos');
  const listed = await listUploads();
  for (const [name, size] of specs) {
    const stored = listed.find((u) => u.key.endsWith(`-${name}`));
    assert.ok(stored, `${name} is stored`);
    assert.equal(stored.size, size);
    assert.equal(Buffer.from(stored.sha256, 'base64').toString('hex'), manyHashes[name]);
  }
  assert.deepEqual(violations, []);
  assert.deepEqual(errors, []);
  await page.close();
});

// The signer's records of the dev user, newest first (every page).
async function listUploads() {
  const all = [];
  let cursor = '';
  do {
    const res = await fetch(`${server.url}/api/uploads?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    assert.equal(res.status, 200);
    const body = await res.json();
    all.push(...body.uploads);
    cursor = body.next_cursor;
  } while (cursor);
  return all;
}

test('lang="es": the review step, limits, a folder, a paste and the form\'s messages are Spanish too', { timeout: 120_000 }, async () => {
  mkdirSync(join(work, 'carpeta', 'sub'), { recursive: true });
  writeFileSync(join(work, 'carpeta', 'uno.bin'), Buffer.alloc(3_000, 1));
  writeFileSync(join(work, 'carpeta', 'sub', 'dos.bin'), Buffer.alloc(4_000, 2));
  const { page, errors } = await widgetPage({ browser, server, work }, `
    <form id="f"><presigned-upload id="es" name="adjuntos" required lang="es" multiple auto-start="false" file-type="widget"
      min-size="10" max-total-size="60000" max-files="4"></presigned-upload></form>`);
  await watchWords(page, '#es');
  const messages = [];
  const message = async () => messages.push(await page.evaluate(() => document.querySelector('#es').validationMessage));
  await message();
  const hashes = await dropGenerated(page, [['r1.bin', 20_000], ['r2.bin', 30_000], ['tiny.bin', 5], ['big.bin', 40_000]], '#es');
  await page.waitForFunction(() => document.querySelector('#es').shadowRoot.querySelectorAll('[part~="file"]').length === 4);
  await message();
  const violations = await checkStateLooks(page, 'es-review');
  const start = await page.evaluate(() => document.querySelector('#es').shadowRoot.querySelector('[part~="start"]').textContent);
  assert.equal(start, 'Subir 2 archivos');
  await page.click('#es >> [part~="start"]');
  await rowReaches(page, { name: 'r1.bin', widget: '#es' });
  await message();
  const done = await settled(page, 4, { widget: '#es' });
  for (const row of done.filter((r) => r.state === 'done')) await assertStored(row.href, hashes[row.name], row.name === 'r1.bin' ? 20_000 : 30_000);

  // A folder through the button, and a paste: both wait for Start again; one is past max-files.
  const chooser = page.waitForEvent('filechooser');
  await page.click('#es >> [part~="choose-folder"]');
  await (await chooser).setFiles(join(work, 'carpeta'));
  await page.waitForFunction(() => document.querySelector('#es').shadowRoot.querySelectorAll('[part~="file"]').length === 6);
  await page.focus('#es >> [part~="dropzone"]');
  await page.evaluate(() => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([new Uint8Array(50)], 'pegado.bin'));
    document.querySelector('#es').shadowRoot.activeElement.dispatchEvent(
      new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true, composed: true }));
  });
  await page.waitForFunction(() => document.querySelector('#es').shadowRoot.querySelectorAll('[part~="file"]').length === 7);
  violations.push(...await checkStateLooks(page, 'es-more'));
  const refused = (await rows(page, '#es')).filter((r) => r.state === 'failed').map((r) => [r.name, r.phase, r.error]);
  assert.deepEqual(refused, [
    ['tiny.bin', 'No añadido', 'Archivo demasiado pequeño: tiny.bin ocupa 5 bytes; el mínimo es 10 bytes.'],
    ['big.bin', 'No añadido', 'Demasiado en total: con big.bin el total sería 90,0 kB; el límite es 60,0 kB.'],
    ['pegado.bin', 'No añadido', 'Demasiados archivos: pegado.bin sobra: como mucho 4 archivos.'],
  ]);

  const seen = await page.evaluate(() => [...window.seen]);
  const names = ['r1.bin', 'r2.bin', 'tiny.bin', 'big.bin', 'uno.bin', 'dos.bin', 'pegado.bin'];
  const words = [...seen, ...messages].map((text) => names.reduce((t, n) => t.split(n).join(''), text).replace(/users\/dev\/\S*/g, ''));
  for (const expected of ['Elegir una carpeta', 'Listo para subir', 'Subir 2 archivos', 'Carpeta leída: 2 archivos.',
    'Añade un archivo para subir.', 'Primero inicia la subida de los 2 archivos elegidos.']) {
    assert.ok(words.includes(expected), `"${expected}" was shown`);
  }
  assert.ok(messages.some((m) => /^Espera a que termine/.test(m)), `a busy form says so: ${messages}`);
  assert.deepEqual(englishIn(words, englishPhrases()), [], 'English shown by a Spanish widget');
  assert.deepEqual(violations, []);
  assert.deepEqual(errors, []);
  await page.close();
});

test('element.locale and addLocale: a partial locale falls back to English; plurals follow the language', { timeout: 60_000 }, async () => {
  const { page, errors } = await widgetPage({ browser, server, work }, `
    <presigned-upload id="custom" multiple></presigned-upload>
    <div lang="fr-CA"><presigned-upload id="fr" multiple></presigned-upload></div>`);
  const words = (selector) => page.evaluate((selector) => {
    const root = document.querySelector(selector).shadowRoot;
    return {
      lang: root.querySelector('.root').lang,
      title: root.querySelector('slot[name="title"]').textContent,
      hint: root.querySelector('slot[name="hint"]').textContent,
      list: root.querySelector('[part~="list"]').getAttribute('aria-label'),
    };
  }, selector);
  await page.evaluate(() => {
    document.querySelector('#custom').locale = { lang: 'de', messages: { 'zone.title.many': 'Dateien hier ablegen' } };
  });
  assert.deepEqual(await words('#custom'), {
    lang: 'de', title: 'Dateien hier ablegen', hint: 'or click, or press Enter, to choose', list: 'Uploads',
  });
  // Without a locale of its own it speaks its language: its lang attribute.
  await page.evaluate(() => {
    const el = document.querySelector('#custom');
    el.locale = null;
    el.setAttribute('lang', 'es-MX');
  });
  assert.equal((await words('#custom')).title, 'Suelta archivos aquí');

  // addLocale teaches every element a language; fr-CA finds fr (an element
  // speaks its nearest lang once connected or when it changes).
  const plurals = await page.evaluate(async () => {
    const { addLocale } = await import('/pkg/widget/presigned-upload-element.js');
    addLocale({ lang: 'fr', messages: { 'zone.title.many': 'Déposez des fichiers ici' } });
    const el = document.querySelector('#fr');
    el.remove();
    document.querySelector('[lang="fr-CA"]').append(el);
    const { Translator, localeFor } = await import('/pkg/widget/locale.js');
    const t = new Translator(localeFor('es'));
    return [t.text('summary.aborted', { count: 1 }), t.text('summary.aborted', { count: 2 }), t.text('announce.oneAtATime', { count: 1 })];
  });
  assert.equal((await words('#fr')).title, 'Déposez des fichiers ici');
  assert.equal((await words('#fr')).lang, 'fr');
  assert.deepEqual(plurals, ['1 cancelado', '2 cancelados', 'Un archivo cada vez: 1 archivo más no se ha añadido.']);
  assert.deepEqual(errors, []);
  await page.close();
});

test('lang="es": the row of an upload a reload left unfinished, a wrong file and a discard are Spanish too', { timeout: 120_000 }, async () => {
  const file = join(work, 'a-medias.bin');
  writeFileSync(file, Buffer.alloc(12 * MIB, 7));
  writeFileSync(join(work, 'otro.bin'), Buffer.alloc(1_000, 8));
  await proxy.faults({ match: ['a-medias.bin', 'partNumber=2&'], method: 'PUT', status: 500, times: 1000 });
  const { page, errors } = await widgetPage({ browser, server, work }, `
    <presigned-upload id="es" lang="es" multiple file-type="widget"></presigned-upload>`);
  await page.evaluate(() => {
    document.querySelector('#es').uploadOptions = { multipartThreshold: 5 * 1024 * 1024, partSize: 5 * 1024 * 1024, concurrency: 1, maxAttempts: 1 };
  });
  await page.setInputFiles('#es >> input.input', file);
  await rowReaches(page, { name: 'a-medias.bin', state: 'failed', widget: '#es' });
  await proxy.reset();

  await page.reload();
  await watchWords(page, '#es');
  await rowReaches(page, { name: 'a-medias.bin', state: 'resumable', widget: '#es' });
  const [row] = await rows(page, '#es');
  assert.deepEqual([row.phase, row.buttons], ['Sin terminar, 41\u00a0% guardado: elige el archivo de nuevo para reanudar', ['Elegir archivo', 'Descartar']]);
  const violations = await checkStateLooks(page, 'es-resumable');
  const chooser = page.waitForEvent('filechooser');
  await page.locator('#es').getByRole('button', { name: 'Elegir archivo para a-medias.bin, para reanudarla' }).click();
  await (await chooser).setFiles(join(work, 'otro.bin'));
  const status = () => page.evaluate(() => document.querySelector('#es').shadowRoot.querySelector('[part~="status"]').textContent);
  await page.waitForFunction(() => document.querySelector('#es').shadowRoot.querySelector('[part~="status"]').textContent.startsWith('otro.bin'));
  await page.locator('#es').getByRole('button', { name: 'Descartar la subida sin terminar de a-medias.bin' }).click();
  await page.waitForFunction(() => document.querySelector('#es').shadowRoot.querySelectorAll('[part~="file"]').length === 0);
  assert.equal(await status(), 'a-medias.bin: subida sin terminar descartada.');

  const seen = await page.evaluate(() => [...window.seen]);
  const words = seen.map((text) => ['a-medias.bin', 'otro.bin'].reduce((t, n) => t.split(n).join(''), text));
  for (const expected of ['1 subida sin terminar puede reanudarse: elige su archivo de nuevo.',
    ' no es : elige el mismo archivo (12,6 MB) para reanudarla.']) {
    assert.ok(words.includes(expected), `"${expected}" was shown: ${JSON.stringify(words)}`);
  }
  assert.deepEqual(englishIn(words, englishPhrases()), [], 'English shown by a Spanish widget');
  assert.deepEqual(violations, []);
  assert.deepEqual(errors, []);
  await page.close();
});
