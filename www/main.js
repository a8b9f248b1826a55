// Demo page: picks a file (input, drop, click or keyboard), uploads it with the
// wasm Uploader (same-origin signer), shows progress, the key and a download link.
import init, { Uploader } from "/pkg/presigned_upload.js";

const FILE_TYPE = "demo";
const $ = (id) => document.getElementById(id);
const input = $("file");
const drop = $("drop");
const bar = $("progress");
const progressText = $("progress-text");
const cancel = $("cancel");
const statusEl = $("status");
const result = $("result");
const keyEl = $("key");
const shaEl = $("sha256");
const download = $("download");
const expiry = $("download-expiry");

const PHASES = {
  hashing: "Computing SHA-256",
  signing: "Requesting an upload URL",
  uploading: "Uploading",
  verifying: "Verifying the stored object",
  done: "Done",
};

// The bar covers the whole job: hashing takes the first 10%, the upload the
// rest (the text shows the current phase's own percentage).
function overall({ phase, fraction }) {
  switch (phase) {
    case "hashing": return 0.1 * fraction;
    case "signing": return 0.1;
    case "uploading": return 0.1 + 0.9 * fraction;
    default: return 1;
  }
}

function setStatus(state, text) {
  statusEl.dataset.state = state;
  statusEl.textContent = text;
}

function formatBytes(n) {
  if (n >= 1e9) return (n / 1e9).toFixed(2) + " GB";
  if (n >= 1e6) return (n / 1e6).toFixed(1) + " MB";
  if (n >= 1e3) return (n / 1e3).toFixed(1) + " kB";
  return n + " B";
}

function showProgress(p) {
  bar.value = Math.max(bar.value, overall(p));
  const parts = [PHASES[p.phase] ?? p.phase];
  if (p.phase === "hashing" || p.phase === "uploading") {
    parts.push(Math.floor(p.fraction * 100) + "%");
    if (p.bytesPerSecond > 0) parts.push((p.bytesPerSecond / 1e6).toFixed(1) + " MB/s");
    if (p.etaSeconds != null && p.fraction < 1) parts.push(Math.ceil(p.etaSeconds) + " s left");
    if (p.partsTotal > 1) parts.push(`part ${p.partsDone}/${p.partsTotal}`);
  }
  progressText.textContent = parts.join(" · ");
}

let uploader = null;
let current = null; // AbortController of the running upload

async function start(file) {
  if (!uploader) return;
  current?.abort();
  const controller = new AbortController();
  current = controller;
  result.hidden = true;
  bar.value = 0;
  cancel.hidden = false;
  setStatus("working", `Uploading ${file.name} (${formatBytes(file.size)})…`);
  try {
    const done = await uploader.upload(file, {
      fileType: FILE_TYPE,
      signal: controller.signal,
      // Large files go multipart; ask for the whole file's SHA-256 to show it.
      wholeFileSha256: true,
      onProgress: (p) => { if (current === controller) showProgress(p); },
    });
    const link = await uploader.downloadUrl(done.key, { signal: controller.signal });
    if (current !== controller) return;
    keyEl.textContent = done.key;
    shaEl.textContent = done.parts > 1
      ? `${done.sha256} (composite ${done.checksumSha256})`
      : done.sha256;
    download.href = link.url;
    download.download = file.name;
    expiry.textContent = `(valid ${Math.round(link.expiresIn / 60)} min)`;
    result.hidden = false;
    bar.value = 1;
    setStatus("done", `Stored ${formatBytes(done.size)}.`);
  } catch (err) {
    if (current !== controller) return; // replaced by a newer upload
    setStatus("error", `${err?.code ?? "error"}: ${err?.message ?? String(err)}`);
    progressText.textContent = err?.code === "aborted" ? "Cancelled" : "Failed";
  } finally {
    if (current === controller) {
      current = null;
      cancel.hidden = true;
    }
  }
}

function pick() {
  input.value = "";
  input.click();
}

input.addEventListener("change", () => {
  const file = input.files?.[0];
  if (file) start(file);
});
drop.addEventListener("click", pick);
drop.addEventListener("keydown", (e) => {
  if (e.key === "Enter" || e.key === " ") {
    e.preventDefault();
    pick();
  }
});
drop.addEventListener("dragover", (e) => {
  e.preventDefault();
  e.dataTransfer.dropEffect = "copy";
  drop.classList.add("dragging");
});
drop.addEventListener("dragleave", () => drop.classList.remove("dragging"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("dragging");
  const file = e.dataTransfer.files?.[0];
  if (file) start(file);
});
cancel.addEventListener("click", () => current?.abort());

try {
  await init();
  uploader = new Uploader(); // same origin: the signer serves this page
  setStatus("idle", "Ready: choose or drop a file.");
  // A file chosen while the module was loading.
  if (input.files?.[0]) start(input.files[0]);
} catch (err) {
  setStatus("error", `${err?.code ?? "error"}: could not load the uploader: ${err?.message ?? err}`);
}
