// examples/webpack-app with the packed package installed (as from the
// registry): webpack 5 builds it (production mode, no loader or plugin for
// the package; `experiments.asyncWebAssembly` for `presigned-upload/bundler`),
// the signer serves the build, and a file uploaded through the bundled
// widget is stored byte for byte; bundler.html does the same through
// `presigned-upload/bundler`. Both must hash in the hash workers webpack
// bundled, and load the wasm from the build's own assets, never from the
// repository's pkg/ (tests/package/bundled_app.mjs).
import { bundledAppTests } from './bundled_app.mjs';

bundledAppTests({
  name: 'webpack-app',
  tool: 'webpack',
  args: ['node_modules/webpack-cli/bin/cli.js'],
  // webpack names a worker's chunk after the Worker's `name` option (each
  // build's its own: scripts/package).
  workers: {
    web: /^\/assets\/presigned-upload-hash-[0-9a-f]+\.js$/,
    bundler: /^\/assets\/presigned-upload-hash-bundler-[0-9a-f]+\.js$/,
  },
  fileType: 'webpack-example',
  // Two builds' workers under one name would warn of chunks depending on
  // each other in a circle.
  quiet: true,
});
