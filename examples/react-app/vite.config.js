import { defineConfig } from "vite";

export default defineConfig({
  // JSX with React 17+'s automatic runtime, by Vite's own esbuild (no
  // Babel plugin needed for a production build).
  esbuild: { jsx: "automatic" },
  // The package loads its .wasm with `new URL(…, import.meta.url)`, which
  // Vite's dev-server pre-bundling would break; the build handles it as is.
  optimizeDeps: { exclude: ["presigned-upload"] },
  // The hash workers import the package dynamically: ES module workers.
  worker: { format: "es" },
});
