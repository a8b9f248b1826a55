// examples/vite-app with the packed package installed (as from the
// registry): Vite builds it, the signer serves the build, and a file uploaded
// through the bundled widget (the --target web build) is stored byte for
// byte; bundler.html does the same through `presigned-upload/bundler` (the
// .wasm imported as an ES module, vite-plugin-wasm). Both must hash in the
// hash workers Vite bundled, and load the wasm from the build's own assets,
// never from the repository's pkg/ (tests/package/bundled_app.mjs).
import { bundledAppTests } from './bundled_app.mjs';

bundledAppTests({
  name: 'vite-app',
  tool: 'vite',
  args: ['node_modules/vite/bin/vite.js', 'build'],
  // Vite names a worker chunk after its script, the package's hash_worker.js.
  workers: { web: /^\/assets\/hash_worker-[\w-]+\.js$/, bundler: /^\/assets\/hash_worker-[\w-]+\.js$/ },
  fileType: 'vite-example',
});
