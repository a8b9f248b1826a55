// The hash workers' script, and the function that starts one.
//
// wasm-bindgen copies this file to `snippets/presigned-upload-<hash>/js/` of
// the package and the package's JS imports it (for `spawnHashWorker`). The
// same file is the worker's script: `new Worker(new URL('./hash_worker.js',
// import.meta.url), { type: 'module' })` is the form bundlers (Vite, webpack)
// recognise and bundle as a worker; without a bundler it loads as it is.
//
// In the worker, this module imports the package's JS — the same module and
// the same .wasm as the page — and hands over to its Rust entry point,
// `__presignedUploadWorker`. The package's JS is `presigned_upload.js`, three
// directories up (its place in every wasm-pack output); `moduleUrl` (the
// `workerModuleUrl` option) names another `--target web` build's JS, for a
// renamed or relocated build (or a test runner's).

// The worker's name, its mark: `self.name` in the worker. (scripts/package
// renames the bundler build's copy `presigned-upload-hash-bundler`, so that
// webpack gives each build's worker a chunk of its own.)
const NAME = 'presigned-upload-hash';
const TAG = 'presignedUpload';

/** Starts a hash worker; it posts `{ presignedUpload: "ready" }` once it can take jobs. */
export function spawnHashWorker(moduleUrl) {
  // Literal options: bundlers read them statically (the name is NAME).
  const worker = new Worker(new URL('./hash_worker.js', import.meta.url), {
    type: 'module',
    name: 'presigned-upload-hash',
  });
  // A relative moduleUrl is the page's, not this file's.
  const url = moduleUrl ? new URL(moduleUrl, self.location.href).href : null;
  worker.postMessage({ [TAG]: 'init', moduleUrl: url });
  return worker;
}

async function boot({ moduleUrl }) {
  if (moduleUrl) {
    // `--target web` output: the .wasm is beside the JS, named as
    // wasm-bindgen names it (not every build has a default path to it).
    const pkg = await import(/* @vite-ignore */ /* webpackIgnore: true */ moduleUrl);
    const wasm = new URL(moduleUrl.replace(/\.js(?=$|[?#])/, '_bg.wasm'), self.location.href);
    await pkg.default({ module_or_path: wasm });
    pkg.__presignedUploadWorker();
    return;
  }
  const pkg = await import('../../../presigned_upload.js');
  // `--target web` exports an init function (it fetches the .wasm beside
  // the JS); a bundler's build is initialised by the import itself.
  if (typeof pkg.default === 'function') await pkg.default();
  pkg.__presignedUploadWorker();
}

// Only in a worker this file started: the package's JS imports this module
// in pages and in other workers too, where nothing must happen.
if (typeof WorkerGlobalScope !== 'undefined' && self instanceof WorkerGlobalScope && self.name === NAME) {
  self.addEventListener('message', function onInit(event) {
    if (event.data?.[TAG] !== 'init') return;
    self.removeEventListener('message', onInit);
    boot(event.data).catch((e) => {
      self.postMessage({ [TAG]: 'failed', message: String(e?.message ?? e) });
    });
  });
}
