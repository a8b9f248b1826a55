import { defineConfig } from "vite";
import vue from "@vitejs/plugin-vue";

export default defineConfig({
  plugins: [
    vue({
      // <presigned-upload> is a custom element, not a Vue component.
      template: { compilerOptions: { isCustomElement: (tag) => tag === "presigned-upload" } },
    }),
  ],
  // The package loads its .wasm with `new URL(…, import.meta.url)`, which
  // Vite's dev-server pre-bundling would break; the build handles it as is.
  optimizeDeps: { exclude: ["presigned-upload"] },
  // The hash workers import the package dynamically: ES module workers.
  worker: { format: "es" },
});
