// What webpack 5 needs for presigned-upload: nothing for the default build
// (`presigned-upload`, whose glue finds its .wasm with `new URL(…,
// import.meta.url)`, which webpack emits as an asset, and starts its hash
// workers with `new Worker(new URL(…), { type: "module" })`, which webpack
// bundles as worker chunks); `experiments.asyncWebAssembly` only for
// `presigned-upload/bundler` (bundler.html), whose glue imports the .wasm as
// an ES module, in the page and in the workers alike.
import HtmlWebpackPlugin from "html-webpack-plugin";
import { resolve } from "node:path";

export default {
  mode: "production",
  entry: { main: "./src/main.js", bundler: "./src/bundler.js" },
  output: {
    path: resolve(import.meta.dirname, "dist"),
    filename: "assets/[name]-[contenthash].js",
    chunkFilename: "assets/[name]-[contenthash].js",
    assetModuleFilename: "assets/[name]-[contenthash][ext]",
    webassemblyModuleFilename: "assets/[hash].module.wasm",
    clean: true,
  },
  experiments: { asyncWebAssembly: true },
  plugins: [
    new HtmlWebpackPlugin({ template: "index.html", chunks: ["main"] }),
    new HtmlWebpackPlugin({ template: "bundler.html", filename: "bundler.html", chunks: ["bundler"] }),
  ],
  performance: { hints: false },
};
