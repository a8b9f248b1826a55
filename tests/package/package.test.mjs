// The packed npm package (scripts/package → build/presigned-upload-*.tgz),
// installed as an app installs it: its types compile under tsc --strict, its
// declarations are documented and free of `any`, and it loads in Node with
// `UploadError` a real exported class that the wasm's own errors are
// instances of, and `checksums()` (on the main thread: Node has no Worker)
// gives node:crypto's digests; and presigned-upload/react and
// presigned-upload/widget import and render on a server without a DOM.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { problems } from './declarations.mjs';
import { installPackage, repo } from './packed.mjs';

const fixture = join(import.meta.dirname, 'tsc');
const installed = join(fixture, 'node_modules', 'presigned-upload');

before(() => {
  installPackage(fixture);
});

test('the typed fixture compiles with tsc --strict against the packed package', () => {
  const tsc = join(repo, 'node_modules', '.bin', 'tsc');
  const run = spawnSync(tsc, ['-p', fixture], { encoding: 'utf8' });
  assert.equal(run.status, 0, `tsc failed:\n${run.stdout}${run.stderr}`);
});

test('every exported declaration has an @example, every class member a doc comment, no any', () => {
  const files = ['presigned_upload.d.ts', 'bundler/presigned_upload.d.ts', 'widget/presigned-upload-element.d.ts', 'react/index.d.ts'];
  for (const file of files) assert.ok(existsSync(join(installed, file)), `the package lacks ${file}`);
  assert.deepEqual(files.flatMap((f) => problems(join(installed, f))), []);
});

test('in Node, the wasm rejects with instances of the exported UploadError, checksums() are right; the widget module loads without a DOM', () => {
  // Two parts of 5 MiB and 1 byte more, all 7s.
  const MIB = 1024 * 1024;
  const PART = 5 * MIB;
  const SIZE = PART + 1;
  const bytes = Buffer.alloc(SIZE, 7);
  const digest = (b) => createHash('sha256').update(b).digest();
  const rawParts = [digest(bytes.subarray(0, PART)), digest(bytes.subarray(PART))];
  const digests = rawParts.map((d) => d.toString('base64'));
  const composite = `${digest(Buffer.concat(rawParts)).toString('base64')}-2`;
  const whole = digest(bytes).toString('base64');
  const script = `
    import { readFileSync } from "node:fs";
    import init, { Uploader, UploadError } from "presigned-upload";
    import { define, PresignedUploadElement } from "presigned-upload/widget";
    await init({ module_or_path: readFileSync(new URL(import.meta.resolve("presigned-upload/presigned_upload_bg.wasm"))) });
    const made = new UploadError("too_large", "over the limit", 413);
    let thrown;
    try { await new Uploader().upload("not a file", "docs"); } catch (e) { thrown = e; }
    let badEndpoint;
    try { new Uploader({ endpoint: "ftp://x" }); } catch (e) { badEndpoint = e; }
    const hasher = new Uploader();
    const sums = await hasher.checksums(new Blob([new Uint8Array(${SIZE}).fill(7)]), { partSize: ${PART}, wholeFileSha256: true });
    console.log(JSON.stringify({
      made: [made instanceof Error, made.name, made.code, made.status, made.message, typeof made.stack],
      thrown: [thrown instanceof UploadError, thrown instanceof Error, thrown.name, thrown.code],
      badEndpoint: [badEndpoint instanceof UploadError, badEndpoint.code],
      checksums: { ...sums, workers: hasher.hashWorkers },
      widget: [typeof PresignedUploadElement, define() === undefined],
      bundler: import.meta.resolve("presigned-upload/bundler").endsWith("/bundler/presigned_upload.js"),
    }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: fixture, encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out), {
    made: [true, 'UploadError', 'too_large', 413, 'over the limit', 'string'],
    thrown: [true, true, 'UploadError', 'bad_request'],
    badEndpoint: [true, 'bad_request'],
    checksums: { size: SIZE, partSize: PART, parts: digests, checksumSha256: composite, sha256: whole, workers: 0 },
    widget: ['function', true],
    bundler: true,
  });
});

test('server rendering: presigned-upload/react and /widget import and render in Node without touching window', () => {
  // \`window\` throws when read (\`typeof window\` too); React and react-dom
  // come from the repository's dev dependencies.
  const script = `
    Object.defineProperty(globalThis, "window", { get() { throw new Error("touched window"); } });
    const widget = await import("presigned-upload/widget");
    const { PresignedUpload, useUploader } = await import("presigned-upload/react");
    const { createElement: h } = await import("react");
    const { renderToString } = await import("react-dom/server");
    function Hook() {
      const { ready, files, progress, busy } = useUploader();
      return h("p", { id: "hook" }, \`\${ready} \${files.length} \${progress.fraction} \${busy}\`);
    }
    const html = renderToString(h("div", null,
      h(PresignedUpload, { fileType: "docs", multiple: true, id: "w", onUploadComplete: () => {} },
        h("span", { slot: "hint" }, "Drop here")),
      h(Hook)));
    console.log(JSON.stringify({ html, defined: widget.define() === undefined }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: fixture, encoding: 'utf8' });
  const { html, defined } = JSON.parse(out);
  assert.equal(defined, true);
  assert.match(html, /<presigned-upload id="w"><span slot="hint">Drop here<\/span><\/presigned-upload>/);
  assert.match(html, /<p id="hook">false 0 0 false<\/p>/);
});
