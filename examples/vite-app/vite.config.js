import { defineConfig } from "vite";
import wasm from "vite-plugin-wasm";

export default defineConfig({
  // The package loads its .wasm with `new URL(…, import.meta.url)`, which
  // Vite's dev-server pre-bundling would break; the build handles it as is.
  optimizeDeps: { exclude: ["presigned-upload"] },
  // The hash workers (`new Worker(new URL(…), { type: "module" })` in the
  // package) import the package dynamically, which needs ES module workers;
  // Vite's default worker format, "iife", cannot split code.
  worker: { format: "es", plugins: () => [wasm()] },
  // Only for `presigned-upload/bundler` (bundler.html), whose glue imports
  // the .wasm as an ES module: WebAssembly ESM integration, in the page and
  // in the workers (above). The default build needs no plugin.
  plugins: [wasm()],
  build: {
    rollupOptions: { input: { main: "index.html", bundler: "bundler.html" } },
  },
});
