// `presigned-upload/bundler`: the --target bundler build, whose glue imports
// the .wasm as an ES module (webpack's asyncWebAssembly here; no init() to call). The
// file's checksums are computed in two hash workers, then it is uploaded.
import { Uploader, UploadError } from "presigned-upload/bundler";

const input = document.querySelector("#file");
const output = document.querySelector("#result");
if (!input || !output) throw new Error("bundler.html lacks the input or the output");

const uploader = new Uploader({ workers: 2 });

input.addEventListener("change", async () => {
  const file = input.files?.[0];
  if (!file) return;
  output.dataset.state = "working";
  output.textContent = `Hashing ${file.name}…`;
  try {
    const sums = await uploader.checksums(file, { wholeFileSha256: true });
    const result = await uploader.upload(file, { fileType: "webpack-example", wholeFileSha256: true });
    const link = await uploader.downloadUrl(result.key);
    Object.assign(output.dataset, {
      key: result.key,
      checksum: sums.checksumSha256,
      sha256: sums.sha256 ?? "",
      uploaded: "checksumSha256" in result ? result.checksumSha256 : result.sha256,
      uploadedSha256: result.sha256 ?? "",
      workers: String(uploader.hashWorkers),
      href: link.url,
      state: "done",
    });
    output.textContent = `${file.name} → ${result.key}`;
  } catch (err) {
    output.dataset.code = err instanceof UploadError ? err.code : "not_an_upload_error";
    output.dataset.state = "failed";
    output.textContent = err instanceof Error ? err.message : String(err);
  }
});
