// One file in the widget's list, as the user sees it: its row (a preview
// of an image, the folder it came from and its name, size, an ARIA progressbar, phase, speed, time
// left, the error or the final link, and its buttons), drawn from the
// element's record of that file in the words of the element's Translator.
// The row keeps no upload state of its own: the element owns the record
// and the batch behind it, and asks the row to draw it again when it
// changed.
import { folderOf } from "./folder-entries.js";

// Which buttons a row offers in each state.
const ACTIONS = {
  ready: ["remove"],
  queued: ["pause", "cancel"],
  hashing: ["pause", "cancel"],
  uploading: ["pause", "cancel"],
  paused: ["resume", "cancel"],
  completing: [],
  done: ["remove"],
  failed: ["retry", "remove"],
  aborted: ["retry", "remove"],
  resumable: ["choose", "discard"],
};
const BUTTONS = ["pause", "resume", "cancel", "retry", "remove", "choose", "discard"];

export const ENDED = new Set(["done", "failed", "aborted"]);
// Files the element holds but does not upload: waiting for Start (`ready`),
// or saved uploads waiting for their file to be chosen again (`resumable`).
export const HELD = new Set(["ready", "resumable"]);

/**
 * The element's record of one file, in `state`, with `more` fields set
 * (see FileRow for what each one is).
 */
export function fileRecord(file, relativePath, state, more = {}) {
  return {
    file, relativePath, state, progress: null, fraction: 0, sent: 0, started: false,
    error: null, retryable: true, refused: null, result: null, downloadUrl: null,
    entry: null, index: -1, removed: false, row: null, dirty: true, ...more,
  };
}

/** How labels and announcements name a record's file: its relative path, else its name. */
export function labelOf(record) {
  return record.relativePath || record.file.name;
}

/**
 * The line a failed row shows: a title for the limit that refused the
 * file (`refused`), else for the error's code, then the message.
 */
export function errorText(error, t, refused = null) {
  if (error?.code === "aborted") return "";
  const message = error?.message || String(error);
  const key = refused ? `refused.${refused}` : `error.${error?.code}`;
  const title = t.text(key in t.messages ? key : "error.default");
  return t.text("error.line", { title, message });
}

const template = () => {
  const li = document.createElement("li");
  li.className = "file";
  li.setAttribute("part", "file");
  li.tabIndex = -1; // focus lands here when its buttons go away
  li.innerHTML = `
    <div class="head"><img class="thumb" part="thumbnail" alt="" hidden><span class="label"><span class="path" part="file-path"></span><span class="name" part="file-name"></span></span><span class="size" part="file-size"></span></div>
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
   * `record`: the element's record of one file (`file`, `state`, `progress`,
   * `fraction`, `error`, `retryable`, `refused`: the limit that refused it,
   * `result`, `downloadUrl`; `saved` for a resumable upload);
   * `act(action, record)`: what the buttons do (pause, resume, cancel,
   * retry, remove; choose and discard for a resumable upload); `t`: the
   * element's Translator.
   */
  constructor(record, act, t) {
    this.record = record;
    this.element = template();
    const $ = (cls) => this.element.querySelector("." + cls);
    this.parts = {
      thumb: $("thumb"), label: $("label"), path: $("path"), name: $("name"), size: $("size"),
      progress: $("progress"), value: $("value"), phase: $("phase"), percent: $("percent"),
      speed: $("speed"), eta: $("eta"), count: $("parts"), actions: $("actions"), error: $("error"),
      result: $("result"), link: $("link"), key: $("key"),
    };
    this.buttons = {};
    for (const action of BUTTONS) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = action;
      button.setAttribute("part", `button ${action}`);
      button.addEventListener("click", () => act(action, this.record));
      this.parts.actions.append(button);
      this.buttons[action] = button;
    }
    this.translate(t);
  }

  /** Draws the row again in the words of `t`. */
  translate(t) {
    this.t = t;
    const { file, relativePath } = this.record;
    const name = labelOf(this.record);
    const { label, path, progress, link } = this.parts;
    path.textContent = folderOf(relativePath);
    this.parts.name.textContent = file.name;
    label.title = name;
    this.parts.size.textContent = t.bytes(file.size);
    progress.setAttribute("aria-label", t.text("row.progress", { name }));
    for (const [action, button] of Object.entries(this.buttons)) {
      button.textContent = t.text(`button.${action}`);
      button.setAttribute("aria-label", t.text(`button.${action}.named`, { name }));
    }
    link.removeAttribute("href"); // the link's words are drawn with it
    this.shownState = null;
    this.update();
  }

  /** Shows the preview at `url` (an image's, from Thumbnails). */
  showThumbnail(url) {
    this.parts.thumb.src = url;
    this.parts.thumb.hidden = false;
  }

  /** Draws the record as it is now. */
  update() {
    const record = this.record;
    if (record.state !== this.shownState) {
      this.shownState = record.state;
      this.#renderState();
    }
    this.#showResult();
    this.#showProgress();
  }

  #renderState() {
    const { state, error, retryable, refused } = this.record;
    this.element.dataset.state = state;
    if (ENDED.has(state) && state !== "done") this.element.dataset.code = error?.code ?? "error";
    else delete this.element.dataset.code;
    this.parts.error.textContent = state === "failed" || state === "aborted" ? errorText(error, this.t, refused) : "";
    const root = this.element.getRootNode();
    const focused = root.activeElement;
    const shown = (ACTIONS[state] ?? []).filter((a) => a !== "retry" || retryable);
    for (const [action, button] of Object.entries(this.buttons)) button.hidden = !shown.includes(action);
    // Keyboard users keep their place: Pause becomes Resume, Cancel becomes
    // Retry; while the row has no buttons (completing) the row itself holds
    // the focus, and hands it to the first button that comes back.
    const lost = Object.values(this.buttons).includes(focused) ? focused.hidden : focused === this.element;
    if (lost) (this.buttons[shown[0]] ?? this.element).focus();
  }

  #showResult() {
    const { state, result, downloadUrl, file } = this.record;
    const { result: line, key, link } = this.parts;
    line.hidden = state !== "done" || !result;
    if (line.hidden) return;
    key.textContent = result.key;
    if (downloadUrl && link.getAttribute("href") !== downloadUrl) {
      link.href = downloadUrl;
      link.download = file.name;
      link.textContent = this.t.text("row.download");
      link.setAttribute("aria-label", this.t.text("row.download.named", { name: labelOf(this.record) }));
    }
    link.hidden = !downloadUrl;
  }

  #showProgress() {
    const { state, progress, fraction } = this.record;
    const t = this.t;
    const percent = Math.floor(fraction * 100);
    const { progress: bar, value, phase, percent: pct, speed, eta, count } = this.parts;
    value.style.width = `${fraction * 100}%`;
    bar.setAttribute("aria-valuenow", String(percent));
    const moving = progress && (progress.phase === "hashing" || progress.phase === "uploading");
    const active = !ENDED.has(state) && !HELD.has(state) && state !== "paused" && state !== "queued";
    phase.textContent = this.#phaseText(active);
    pct.textContent = ENDED.has(state) || HELD.has(state) ? "" : t.percent(percent);
    speed.textContent = active && moving ? t.rate(progress.bytesPerSecond) : "";
    eta.textContent = active && moving && progress.fraction < 1 ? t.timeLeft(progress.etaSeconds) : "";
    count.textContent = active && progress?.partsTotal > 1
      ? t.text("row.parts", { done: progress.partsDone, total: progress.partsTotal })
      : "";
    const words = [phase.textContent, pct.textContent, speed.textContent, eta.textContent].filter(Boolean);
    bar.setAttribute("aria-valuetext", words.join(", "));
  }

  /** The phase's words, or the state's; a waiting upload says why. */
  #phaseText(active) {
    const { state, progress } = this.record;
    const t = this.t;
    const known = (key) => (key in t.messages ? t.text(key) : null);
    if (state === "queued" && progress?.waiting) {
      const why = progress.waiting.reason;
      return t.text("wait.reason", { reason: known(`wait.${why}`) ?? why });
    }
    if (active && progress) return known(`phase.${progress.phase}`) ?? progress.phase;
    if (state === "resumable") return t.text("state.resumable", { percent: t.percent(Math.floor(this.record.fraction * 100)) });
    return t.text(this.record.refused ? "state.refused" : `state.${state}`);
  }
}
