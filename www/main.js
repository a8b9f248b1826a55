// Demo page: the <presigned-upload> widget does the uploading; this script
// asks it for the whole file's SHA-256 too and lists what its
// `upload-complete` events report.
const widget = document.getElementById("uploader");
const stored = document.getElementById("stored");
const empty = document.getElementById("stored-empty");

// Multipart uploads then report the whole file's SHA-256 besides the composite.
widget.uploadOptions = { wholeFileSha256: true };

widget.addEventListener("upload-complete", (event) => {
  const { file, result } = event.detail;
  const name = document.createElement("dt");
  name.textContent = file.name;
  const details = document.createElement("dd");
  details.dataset.key = result.key;
  const key = document.createElement("code");
  key.className = "key";
  key.textContent = result.key;
  const sha = document.createElement("code");
  sha.className = "sha256";
  sha.textContent = result.parts > 1
    ? `${result.sha256} (composite ${result.checksumSha256})`
    : result.sha256;
  details.append("Key ", key, document.createElement("br"), "SHA-256 ", sha);
  stored.append(name, details);
  empty.hidden = true;
});
