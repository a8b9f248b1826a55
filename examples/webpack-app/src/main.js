// The package as an app meets it: the widget (which defines
// <presigned-upload>) and the API, bundled by webpack.
import "presigned-upload/widget";
import { UploadError } from "presigned-upload";

const widget = document.querySelector("presigned-upload");
const stored = document.querySelector("#stored");
if (!widget || !stored) throw new Error("index.html lacks the widget or the list");

widget.uploadOptions = { concurrency: 4 };
widget.addEventListener("upload-complete", (event) => {
  const { file, result, downloadUrl } = event.detail;
  const item = document.createElement("li");
  item.dataset.key = result.key;
  item.dataset.size = String(result.size);
  item.textContent = `${file.name} → ${result.key}`;
  if (downloadUrl) {
    const link = document.createElement("a");
    link.href = downloadUrl;
    link.textContent = " (download)";
    item.append(link);
  }
  stored.append(item);
});
widget.addEventListener("upload-error", (event) => {
  const { error } = event.detail;
  if (!(error instanceof UploadError)) console.error("not an UploadError", error);
});
