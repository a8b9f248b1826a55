import { defineConfig } from "vite";

export default defineConfig({
  // The package loads its .wasm with `new URL(…, import.meta.url)`, which
  // Vite's dev-server pre-bundling would break; the build handles it as is.
  optimizeDeps: { exclude: ["presigned-upload"] },
});
