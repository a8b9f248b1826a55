// One file in the widget's list: its row (name, size, an ARIA progressbar,
// phase, speed, time left, the error or the final link, and its buttons) and
// the upload behind it: start, pause, resume, cancel, retry, remove.
import { formatBytes, formatEta, formatRate, overallFraction, PHASE_LABELS } from "./format.js";

// What a row shows for each state, and which buttons it offers then.
const STATE_LABELS = {
  queued: "Waiting",
  hashing: "Computing SHA-256",
  uploading: "Uploading",
  paused: "Paused",
  completing: "Completing",
  done: "Uploaded",
  failed: "Failed",
  aborted: "Cancelled",
};
const ACTIONS = {
  queued: ["cancel"],
  hashing: ["pause", "cancel"],
  uploading: ["pause", "cancel"],
  paused: ["resume", "cancel"],
  completing: [],
  done: ["remove"],
  failed: ["retry", "remove"],
  aborted: ["retry", "remove"],
};
const BUTTONS = { pause: "Pause", resume: "Resume", cancel: "Cancel", retry: "Retry", remove: "Remove" };

// A short title per error code, before the message itself.
const ERROR_TITLES = {
  network: "Network error",
  expired: "Upload link expired",
  forbidden: "Not allowed",
  unauthorized: "Not signed in",
  not_found: "Not found",
  too_large: "File too large",
  unsupported_type: "File type not allowed",
  checksum_mismatch: "Checksum mismatch",
  server: "Server error",
  rate_limited: "Too many requests",
  bad_request: "Rejected",
};

const ENDED = new Set(["done", "failed", "aborted"]);

const template = () => {
  const li = document.createElement("li");
  li.className = "file";
  li.setAttribute("part", "file");
  li.tabIndex = -1; // focus lands here when its buttons go away
  li.innerHTML = `
    <div class="head"><span class="name" part="file-name"></span><span class="size" part="file-size"></span></div>
    <div class="progress" part="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="0">
      <div class="value" part="progress-value"></div>
    </div>
    <div class="row">
      <div class="details" part="details">
        <span class="phase" part="phase"></span><span class="percent" part="percent"></span><span class="speed" part="speed"></span><span class="eta" part="eta"></span><span class="parts" part="parts"></span>
      </div>
      <div class="actions" part="actions"></div>
    </div>
    <p class="error" part="error"></p>
    <p class="result" part="result" hidden><a class="link" part="link" target="_blank" rel="noopener"></a> <span class="key" part="key"></span></p>`;
  return li;
};

export class FileRow {
  /**
   * `host`: `{ uploader(): Promise<Uploader>, release(uploader), options(): object,
   * emit(type, detail): boolean, announce(text), removed(row) }` — what the
   * element lends its rows. Each uploader a row got is released once the row
   * is done with it.
   */
  constructor(file, host) {
    this.file = file;
    this.host = host;
    this.element = template();
    this.state = "queued";
    this.fraction = 0;
    this.error = null;
    this.retryable = true;
    this.upload = null;
    this.attempt = 0;
    const $ = (cls) => this.element.querySelector("." + cls);
    this.parts = {
      progress: $("progress"), value: $("value"), phase: $("phase"), percent: $("percent"),
      speed: $("speed"), eta: $("eta"), count: $("parts"), actions: $("actions"), error: $("error"),
      result: $("result"), link: $("link"), key: $("key"),
    };
    $("name").textContent = file.name;
    $("name").title = file.name;
    $("size").textContent = formatBytes(file.size);
    this.parts.progress.setAttribute("aria-label", `Upload of ${file.name}`);
    this.buttons = {};
    for (const [action, label] of Object.entries(BUTTONS)) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = action;
      button.textContent = label;
      button.setAttribute("part", `button ${action}`);
      button.setAttribute("aria-label", `${label} ${file.name}`);
      button.addEventListener("click", () => this[action]());
      this.parts.actions.append(button);
      this.buttons[action] = button;
    }
    this.render();
  }

  /** Starts (or, after a failure or a cancel, starts again) the upload. */
  async start() {
    const attempt = ++this.attempt;
    if (!this.host.emit("upload-start", { file: this.file })) {
      if (attempt === 1) this.remove();
      return;
    }
    this.error = null;
    this.fraction = 0;
    delete this.element.dataset.code;
    this.setState("queued");
    let uploader;
    try {
      uploader = await this.host.uploader();
    } catch (error) {
      if (attempt === this.attempt) this.settleError(error);
      return;
    }
    try {
      await this.#run(uploader, attempt);
    } finally {
      this.host.release(uploader);
    }
  }

  /** The upload of attempt `attempt` with `uploader`, to its end on the row. */
  async #run(uploader, attempt) {
    let result;
    try {
      if (attempt !== this.attempt) return; // cancelled or removed meanwhile
      this.upload = uploader.start(this.file, {
        ...this.host.options(),
        onProgress: (progress) => attempt === this.attempt && this.progress(progress),
        // The ends are shown once the result has settled (with its link or error).
        onStateChange: (state) => attempt === this.attempt && !ENDED.has(state) && this.setState(state),
      });
      result = await this.upload.result;
    } catch (error) {
      if (attempt === this.attempt) this.settleError(error);
      return;
    }
    if (attempt !== this.attempt) return;
    let downloadUrl = null;
    try {
      downloadUrl = (await uploader.downloadUrl(result.key)).url;
    } catch {
      // The upload is stored; without a link the row shows its key alone.
    }
    if (attempt !== this.attempt) return;
    this.upload = null;
    this.fraction = 1;
    this.parts.result.hidden = false;
    this.parts.key.textContent = result.key;
    if (downloadUrl) {
      this.parts.link.href = downloadUrl;
      this.parts.link.download = this.file.name;
      this.parts.link.textContent = "Download";
      this.parts.link.setAttribute("aria-label", `Download ${this.file.name}`);
    }
    this.parts.link.hidden = !downloadUrl;
    this.setState("done");
    this.host.announce(`${this.file.name} uploaded.`);
    this.host.emit("upload-complete", { file: this.file, result, downloadUrl });
  }

  /** A file the widget refuses before any request (size, type). */
  refuse(error) {
    this.retryable = false;
    this.settleError(error);
  }

  pause() {
    this.upload?.pause();
  }

  resume() {
    this.upload?.resume();
  }

  cancel() {
    if (this.upload) {
      this.upload.abort(); // the result rejects with code "aborted"
    } else if (this.state === "queued") {
      this.attempt++;
      this.settleError(this.host.aborted());
    }
  }

  retry() {
    this.parts.result.hidden = true;
    this.start();
  }

  remove() {
    this.attempt++;
    this.upload?.abort();
    this.element.remove();
    this.host.removed(this);
  }

  settleError(error) {
    this.upload = null;
    this.error = error;
    const aborted = error?.code === "aborted";
    this.setState(aborted ? "aborted" : "failed");
    const message = error?.message || String(error);
    this.parts.error.textContent = aborted
      ? ""
      : `${ERROR_TITLES[error?.code] ?? "Upload failed"}: ${message}`;
    this.element.dataset.code = error?.code ?? "error";
    this.host.announce(aborted ? `${this.file.name}: cancelled.` : `${this.file.name} failed: ${message}`);
    this.host.emit("upload-error", { file: this.file, error });
  }

  progress(progress) {
    this.fraction = Math.max(this.fraction, overallFraction(progress));
    this.showProgress(progress);
    this.host.emit("upload-progress", { file: this.file, progress });
  }

  setState(state) {
    this.state = state;
    this.render();
  }

  showProgress(progress) {
    const percent = Math.floor(this.fraction * 100);
    const { progress: bar, value, phase, percent: pct, speed, eta, count } = this.parts;
    value.style.width = `${this.fraction * 100}%`;
    bar.setAttribute("aria-valuenow", String(percent));
    const moving = progress && (progress.phase === "hashing" || progress.phase === "uploading");
    const active = !ENDED.has(this.state) && this.state !== "paused";
    phase.textContent = active && progress ? PHASE_LABELS[progress.phase] ?? progress.phase : STATE_LABELS[this.state];
    pct.textContent = ENDED.has(this.state) ? "" : `${percent}%`;
    speed.textContent = active && moving ? formatRate(progress.bytesPerSecond) : "";
    eta.textContent = active && moving && progress.fraction < 1 ? formatEta(progress.etaSeconds) : "";
    count.textContent = active && progress?.partsTotal > 1 ? `part ${progress.partsDone}/${progress.partsTotal}` : "";
    const words = [phase.textContent, pct.textContent, speed.textContent, eta.textContent].filter(Boolean);
    bar.setAttribute("aria-valuetext", words.join(", "));
  }

  render() {
    this.element.dataset.state = this.state;
    const root = this.element.getRootNode();
    const focused = root.activeElement;
    const shown = (ACTIONS[this.state] ?? []).filter((a) => a !== "retry" || this.retryable);
    for (const [action, button] of Object.entries(this.buttons)) button.hidden = !shown.includes(action);
    // Keyboard users keep their place: Pause becomes Resume, Cancel becomes
    // Retry; while the row has no buttons (completing) the row itself holds
    // the focus, and hands it to the first button that comes back.
    const lost = Object.values(this.buttons).includes(focused) ? focused.hidden : focused === this.element;
    if (lost) (this.buttons[shown[0]] ?? this.element).focus();
    if (!ENDED.has(this.state)) this.parts.error.textContent = "";
    this.showProgress(null);
  }
}
