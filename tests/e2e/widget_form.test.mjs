// End to end: the widget as a form control (form-associated, through
// ElementInternals). A required, empty widget keeps its form from being
// sent, and so does one whose files still upload or wait for Start; once
// they are stored, submitting the form (a real GET navigation) carries one
// value per stored file, its key, under the widget's name. A reset empties
// it; a disabled fieldset takes it out of the tab order and of the form.
// Each file is checked as stored; axe-core checks each state.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { tearDown } from './fixture.mjs';
import {
  artifacts, assertStored, checkStateLooks, dropGenerated, rowReaches, rows, settled, setUpWidget, widgetPage,
} from './widget-page.mjs';

const MIB = 1024 * 1024;
let proxy;
let server;
let browser;
let work;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  ({ proxy, server, browser, work } = await setUpWidget('presign-widget-form-'));
});
after(() => tearDown({ proxy, server, browser, work }));

const FORM = `
  <form id="f" method="get" action="">
    <label for="w">Attachments</label>
    <presigned-upload id="w" name="attachment" multiple required file-type="widget"></presigned-upload>
    <p><label>Title <input name="title" value="report"></label></p>
    <button id="send">Send</button> <button type="reset" id="reset">Reset</button>
  </form>`;

// The widget's validity as the form sees it.
const validity = (page) => page.evaluate(() => {
  const el = document.querySelector('#w');
  return {
    valid: document.querySelector('#f').checkValidity(),
    valueMissing: el.validity.valueMissing,
    customError: el.validity.customError,
    message: el.validationMessage,
    values: new FormData(document.querySelector('#f')).getAll('attachment'),
  };
});

test('in a form: required and busy block the submit; the stored keys are submitted under its name', { timeout: 180_000 }, async () => {
  const { page, errors } = await widgetPage({ browser, server, work }, FORM);
  const start = page.url();
  assert.deepEqual(await validity(page), { valid: false, valueMissing: true, customError: false, message: 'Add a file to upload.', values: [] });
  assert.equal(await page.evaluate(() => document.querySelector('#w').form?.id), 'f');
  const violations = await checkStateLooks(page, 'form-empty');
  await page.click('#send');
  await page.waitForTimeout(300);
  assert.equal(page.url(), start, 'an empty required widget keeps the form from being sent');
  assert.equal(await page.evaluate(() => document.activeElement.shadowRoot?.activeElement?.getAttribute('part')), 'dropzone',
    'the browser points at the drop zone');

  // The multipart file's parts wait at the proxy: the form is sent while it uploads.
  await proxy.faults({ match: ['form-big.bin', 'partNumber='], method: 'PUT', delayMs: 1500, times: 3 });
  const specs = [['form-small.bin', 80_000], ['form-big.bin', 18 * MIB]];
  const hashes = await dropGenerated(page, specs, '#w');
  await rowReaches(page, { name: 'form-big.bin', state: 'uploading', widget: '#w' });
  const busy = await validity(page);
  assert.deepEqual([busy.valid, busy.customError], [false, true]);
  assert.match(busy.message, /^Wait until the (upload finishes|2 uploads finish)\.$/);
  violations.push(...await checkStateLooks(page, 'form-busy'));
  await page.click('#send');
  await page.waitForTimeout(300);
  assert.equal(page.url(), start, 'a form is not sent while its files upload');

  const done = await settled(page, 2, { widget: '#w' });
  for (const row of done) await assertStored(row.href, hashes[row.name], specs.find(([n]) => n === row.name)[1]);
  const keys = done.map((r) => r.key);
  assert.deepEqual(await validity(page), { valid: true, valueMissing: false, customError: false, message: '', values: keys });
  assert.deepEqual(await page.evaluate(() => document.querySelector('#w').keys), keys);
  violations.push(...await checkStateLooks(page, 'form-done'));

  await Promise.all([page.waitForURL((url) => url.search !== ''), page.click('#send')]);
  const sent = new URL(page.url()).searchParams;
  assert.deepEqual(sent.getAll('attachment'), keys, 'one value per stored file, its key');
  assert.equal(sent.get('title'), 'report');
  assert.deepEqual(violations, []);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a reset empties it; files held for Start block the submit; a disabled fieldset leaves it out', { timeout: 120_000 }, async () => {
  const { page, errors } = await widgetPage({ browser, server, work }, `${FORM}
    <form id="g"><fieldset id="fs"><legend>Later</legend>
      <presigned-upload id="later" name="later" multiple auto-start="false" file-type="widget"></presigned-upload>
    </fieldset></form>`);
  const hashes = await dropGenerated(page, [['reset-me.bin', 50_000]], '#w');
  const [row] = await settled(page, 1, { widget: '#w' });
  await assertStored(row.href, hashes['reset-me.bin'], 50_000);
  assert.deepEqual((await validity(page)).values, [row.key]);
  await page.click('#reset');
  assert.deepEqual(await rows(page, '#w'), []);
  assert.deepEqual(await validity(page), { valid: false, valueMissing: true, customError: false, message: 'Add a file to upload.', values: [] });

  // Held for Start: not valid until sent.
  const heldHashes = await dropGenerated(page, [['held.bin', 1_000]], '#later');
  await page.waitForFunction(() => document.querySelector('#later').validity.customError);
  const message = await page.evaluate(() => document.querySelector('#later').validationMessage);
  assert.equal(message, 'Start the upload of the chosen file first.');
  assert.equal(await page.evaluate(() => document.querySelector('#g').checkValidity()), false);
  await page.click('#later >> [part~="start"]');
  const [held] = await settled(page, 1, { widget: '#later' });
  await assertStored(held.href, heldHashes['held.bin'], 1_000);
  assert.equal(await page.evaluate(() => document.querySelector('#g').checkValidity()), true);
  assert.deepEqual(await page.evaluate(() => new FormData(document.querySelector('#g')).getAll('later')), [held.key]);

  // Disabled: out of the form's data and of the tab order.
  await page.evaluate(() => { document.querySelector('#fs').disabled = true; });
  assert.deepEqual(await page.evaluate(() => new FormData(document.querySelector('#g')).getAll('later')), []);
  await page.locator('#reset').focus();
  await page.keyboard.press('Tab');
  assert.notEqual(await page.evaluate(() => document.activeElement?.id), 'later', 'a disabled widget takes no focus');
  assert.deepEqual(await checkStateLooks(page, 'form-disabled'), []);
  assert.deepEqual(errors, []);
  await page.close();
});
