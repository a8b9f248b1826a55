// <presigned-upload>: a drop-in upload widget around the wasm Uploader. Plain
// JavaScript, no build step: it sits in the package beside the wasm module it
// imports (`../presigned_upload.js`, the --target web build), so the same
// file works from a <script type="module"> and through a bundler.
//
// Attributes: endpoint, file-type, multiple, accept, max-size. Properties:
// getToken, uploaderOptions, uploadOptions. Events (bubbling, composed): upload-start
// (cancelable), upload-progress, upload-complete, upload-error. Importing the
// module defines <presigned-upload> unless that name is taken; define(name)
// adds another name. Types: presigned-upload-element.d.ts.
//
// Files go through the Uploader's queue as one batch (uploader.uploadAll):
// a few run at once, the others wait. The element keeps a record of every
// file; rows are drawn for the files worth seeing (all of them in a short
// list; in a long one the running, failed and next few waiting files, the
// finished ones counted in the summary line), at most once a frame.
import init, { Uploader, UploadError } from "../presigned_upload.js";
import { ENDED, errorText, FileRow } from "./file-row.js";
import { accepts, formatBytes, overallFraction } from "./format.js";
import { STYLES } from "./styles.js";
import { UploadSummary } from "./upload-summary.js";

export const DEFAULT_NAME = "presigned-upload";

// A list this long or shorter shows every file; a longer one collapses.
const MAX_ROWS = 50;
// In a collapsed list: how many waiting and how many failed rows are drawn.
const WAITING_ROWS = 5;
const FAILED_ROWS = 20;

// One wasm instance per page, loaded when the first element connects.
let wasm = null;
const loadWasm = () => (wasm ??= init());

const ICON = `<svg aria-hidden="true" viewBox="0 0 24 24" width="36" height="36"><path d="M12 16V4m0 0-4.5 4.5M12 4l4.5 4.5M4 15v3a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-3" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round"/></svg>`;

const SHADOW = `<div class="dropzone" part="dropzone" role="button" tabindex="0">
  ${ICON}
  <span class="title" part="title"><slot name="title"></slot></span>
  <span class="hint" part="hint"><slot name="hint"></slot></span>
  <input class="input" type="file" hidden>
</div>
<p class="status" part="status" role="status" aria-live="polite"></p>
<ul class="list" part="list" aria-label="Uploads"></ul>
<p class="more" part="more"></p>`;

// The styles as one constructable stylesheet shared by every element: a
// strict Content-Security-Policy (style-src 'self') blocks a <style> element
// but not adoptedStyleSheets. Made on first use, so that importing the module
// outside a browser (server-side rendering) creates nothing.
let sheet = null;
function adoptStyles(root) {
  if (sheet === null) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(STYLES);
  }
  root.adoptedStyleSheets = [sheet];
}

// Outside a browser (server-side rendering imports the module too) there is
// no HTMLElement to extend and nothing to define.
const Base = globalThis.HTMLElement ?? class {};

export class PresignedUploadElement extends Base {
  static observedAttributes = ["multiple", "accept", "max-size"];

  #getToken = null;
  #uploadOptions = {};
  #uploaderOptions = {};
  #uploader = null;
  #uploaderFor = null; // the endpoint, getToken and uploaderOptions #uploader was made with
  // The batch new files join: its uploader and the options it was made with.
  #batch = null;
  // Every batch not freed yet: { batch, uploader, records (by batch index) }.
  #batches = new Set();
  // Every file shown or counted, in the order they were added.
  #records = [];
  #rowOf = new WeakMap(); // row element -> record
  #drawing = false;
  #root;
  #zone;
  #input;
  #status;
  #list;
  #more;
  #summary;

  constructor() {
    super();
    this.#root = this.attachShadow({ mode: "open" });
    adoptStyles(this.#root);
    this.#root.innerHTML = SHADOW;
    const $ = (selector) => this.#root.querySelector(selector);
    this.#zone = $(".dropzone");
    this.#input = $(".input");
    this.#status = $(".status");
    this.#list = $(".list");
    this.#more = $(".more");
    this.#summary = new UploadSummary((action) => {
      this.#actOnAll(action);
      this.#drawNow();
    });
    this.#list.before(this.#summary.element);
    this.#wire();
    // Properties set before the element was upgraded (defined) shadow the accessors.
    for (const name of ["getToken", "uploaderOptions", "uploadOptions"]) {
      if (Object.hasOwn(this, name)) {
        const value = this[name];
        delete this[name];
        this[name] = value;
      }
    }
  }

  connectedCallback() {
    this.#render();
    // Fetch and compile the wasm while the user picks a file.
    loadWasm().catch((e) => this.#announce(`The uploader could not load: ${e?.message ?? e}`));
  }

  attributeChangedCallback() {
    this.#render();
  }

  /** Base URL of the signer (`""`: this page's origin). */
  get endpoint() { return this.getAttribute("endpoint") ?? ""; }
  set endpoint(value) { this.setAttribute("endpoint", value); }

  /** The signer's `file_type` of these uploads (default `"uploads"`). */
  get fileType() { return this.getAttribute("file-type") || "uploads"; }
  set fileType(value) { this.setAttribute("file-type", value); }

  get multiple() { return this.hasAttribute("multiple"); }
  set multiple(value) { this.toggleAttribute("multiple", Boolean(value)); }

  get accept() { return this.getAttribute("accept") ?? ""; }
  set accept(value) { this.setAttribute("accept", value); }

  /** Largest file in bytes, checked before any request; `null`: the signer decides. */
  get maxSize() {
    const n = Number(this.getAttribute("max-size"));
    return this.hasAttribute("max-size") && Number.isFinite(n) && n >= 0 ? n : null;
  }
  set maxSize(value) {
    if (value == null) this.removeAttribute("max-size");
    else this.setAttribute("max-size", String(value));
  }

  /** Returns the signer's bearer token (or a promise of it); `null` sends none. */
  get getToken() { return this.#getToken; }
  set getToken(fn) {
    if (fn != null && typeof fn !== "function") throw new TypeError("getToken must be a function or null");
    this.#getToken = fn ?? null;
  }

  /** More options of the element's Uploader (`headers`, `workers`,
   * `workerModuleUrl`, `maxConcurrentFiles`, …); `endpoint` and `getToken`
   * are the element's own. Setting them makes a new Uploader for the next
   * upload. */
  get uploaderOptions() { return this.#uploaderOptions; }
  set uploaderOptions(options) {
    if (options != null && typeof options !== "object") throw new TypeError("uploaderOptions must be an object");
    const { endpoint: _endpoint, getToken: _getToken, ...rest } = options ?? {};
    this.#uploaderOptions = rest;
  }

  /** More options for every upload (`partSize`, `concurrency`, `wholeFileSha256`, …). */
  get uploadOptions() { return this.#uploadOptions; }
  set uploadOptions(options) {
    if (options != null && typeof options !== "object") throw new TypeError("uploadOptions must be an object");
    this.#uploadOptions = { ...options };
  }

  /** Uploads these files, as if they had been dropped. */
  addFiles(files) {
    let list = [...files];
    if (!this.multiple && list.length > 1) {
      this.#announce(`One file at a time: ${list.length - 1} more not added.`);
      list = list.slice(0, 1);
    }
    const accepted = [];
    for (const file of list) {
      const refusal = this.#refusal(file);
      if (!refusal && !this.#emit("upload-start", { file })) continue;
      const record = {
        file, state: "queued", progress: null, fraction: 0, sent: 0, started: false,
        error: null, retryable: !refusal, result: null, downloadUrl: null,
        entry: null, index: -1, removed: false, row: null, dirty: true,
      };
      this.#records.push(record);
      if (refusal) this.#failed(record, refusal);
      else accepted.push(record);
    }
    if (accepted.length > 0) this.#enqueue(accepted);
    this.#draw();
  }

  /** Opens the browser's file chooser. */
  choose() {
    this.#input.value = "";
    this.#input.click();
  }

  /** Adds `records` to the current batch (a new one for a new uploader or new options). */
  async #enqueue(records) {
    let uploader;
    try {
      uploader = await this.#uploaderNow();
    } catch (error) {
      for (const record of records) if (!ENDED.has(record.state)) this.#failed(record, error);
      return;
    }
    records = records.filter((record) => !record.removed && !ENDED.has(record.state));
    if (records.length === 0) return;
    const options = { ...this.#uploadOptions, fileType: this.fileType };
    const made = this.#batch;
    const same = made && made.uploader === uploader && made.options === this.#uploadOptions && made.fileType === this.fileType;
    let entry;
    let first = 0;
    try {
      if (same) {
        entry = made.entry;
        first = entry.batch.add(records.map((r) => r.file));
      } else {
        entry = { uploader, records: [], batch: null, progress: null };
        entry.batch = uploader.uploadAll(records.map((r) => r.file), this.#batchOptions(entry, options));
        this.#batches.add(entry);
        this.#batch = { uploader, options: this.#uploadOptions, fileType: this.fileType, entry };
      }
    } catch (error) {
      for (const record of records) this.#failed(record, error);
      this.#draw();
      return;
    }
    records.forEach((record, k) => {
      record.entry = entry;
      record.index = first + k;
      entry.records[first + k] = record;
    });
  }

  /** The batch's callbacks, finding each file's record by its index. */
  #batchOptions(entry, options) {
    const recordAt = (index) => {
      const record = entry.records[index];
      return record && !record.removed ? record : null;
    };
    return {
      ...options,
      onProgress: (progress) => {
        entry.progress = progress;
        this.#draw();
      },
      onFileStateChange: (state, index) => {
        const record = recordAt(index);
        // The ends are shown once the result has settled (with its link or error).
        if (!record || ENDED.has(state)) return;
        record.state = state;
        record.started ||= state !== "queued";
        this.#changed(record);
      },
      onFileProgress: (progress, index) => {
        const record = recordAt(index);
        if (!record) return;
        record.progress = progress;
        record.fraction = Math.max(record.fraction, overallFraction(progress));
        if (progress.phase !== "hashing" && progress.phase !== "signing") {
          record.sent = Math.max(record.sent, progress.loaded);
        }
        this.#changed(record);
        this.#emit("upload-progress", { file: record.file, progress });
      },
      onFileComplete: (result, index) => {
        const record = recordAt(index);
        if (record) this.#stored(record, result);
      },
      onFileError: (error, index) => {
        const record = recordAt(index);
        if (record) this.#failed(record, error);
      },
    };
  }

  /** A file is stored: its row shows the key and (when drawn) a download link. */
  async #stored(record, result) {
    const { entry } = record;
    let downloadUrl = null;
    // A link for a row that is drawn; files collapsed into the summary get none.
    if (this.#visible().includes(record)) {
      try {
        downloadUrl = (await entry.uploader.downloadUrl(result.key)).url;
      } catch {
        // The upload is stored; without a link the row shows its key alone.
      }
    }
    if (record.entry !== entry || record.removed) return this.#release();
    Object.assign(record, { state: "done", fraction: 1, result, downloadUrl, askedLink: true, error: null });
    this.#changed(record);
    if (this.#short()) this.#announce(`${record.file.name} uploaded.`);
    else this.#announceEnd();
    this.#emit("upload-complete", { file: record.file, result, downloadUrl });
    this.#release();
  }

  /** A file failed, was refused or was cancelled. */
  #failed(record, error) {
    const aborted = error?.code === "aborted";
    Object.assign(record, { state: aborted ? "aborted" : "failed", error });
    this.#changed(record);
    if (this.#short()) {
      this.#announce(aborted ? `${record.file.name}: cancelled.` : `${record.file.name} failed: ${error?.message || error}`);
    } else {
      this.#announceEnd();
    }
    this.#emit("upload-error", { file: record.file, error });
    this.#release();
  }

  /** What a row's button does. */
  #act(action, record) {
    const live = record.entry && this.#batches.has(record.entry) && !ENDED.has(record.state);
    const upload = live ? record.entry.batch.upload(record.index) : undefined;
    switch (action) {
      case "pause": return upload?.pause();
      case "resume": return upload?.resume();
      case "cancel":
        if (upload) upload.abort(); // the batch reports "aborted"
        else if (!record.entry && !ENDED.has(record.state)) this.#failed(record, this.#cancelled());
        return undefined;
      case "retry": return this.#retry(record);
      case "remove": return this.#remove(record);
      default: return undefined;
    }
  }

  /** What the summary's buttons do. */
  #actOnAll(action) {
    const live = this.#records.filter((r) => !r.removed);
    if (action === "retry-failed") {
      for (const record of live) if (record.state === "failed" && record.retryable) this.#retry(record);
    } else if (action === "cancel-all") {
      for (const record of live) if (!ENDED.has(record.state)) this.#act("cancel", record);
    }
  }

  /** Starts a failed or cancelled file again: in its batch while its uploader is current. */
  #retry(record) {
    if (!ENDED.has(record.state) || record.state === "done") return;
    if (!this.#emit("upload-start", { file: record.file })) return;
    const { entry } = record;
    Object.assign(record, { state: "queued", error: null, fraction: 0, sent: 0, progress: null, started: false, result: null });
    this.#changed(record);
    if (entry && entry.uploader === this.#uploader && entry.batch.retry(record.index)) return;
    if (entry) entry.records[record.index] = undefined;
    record.entry = null;
    this.#enqueue([record]);
  }

  #remove(record) {
    record.removed = true;
    if (!ENDED.has(record.state)) record.entry?.batch.upload(record.index)?.abort();
    const hadFocus = record.row && this.#root.activeElement && record.row.element.contains(this.#root.activeElement);
    record.row?.element.remove();
    record.row = null;
    this.#records = this.#records.filter((r) => r !== record);
    if (hadFocus || !this.#root.activeElement) this.#zone.focus();
    this.#draw();
  }

  #cancelled() {
    return new UploadError("aborted", "the upload was cancelled before it started");
  }

  #emit(type, detail) {
    return this.dispatchEvent(new CustomEvent(type, {
      detail, bubbles: true, composed: true, cancelable: type === "upload-start",
    }));
  }

  /** Batches whose every file ended, of an uploader no longer current, are freed (and their hash workers stopped). */
  #release() {
    for (const entry of this.#batches) {
      if (entry.uploader === this.#uploader) continue;
      if (entry.records.some((r) => r?.entry === entry && !r.removed && !ENDED.has(r.state))) continue;
      this.#batches.delete(entry);
      if (this.#batch?.entry === entry) this.#batch = null;
      queueMicrotask(() => {
        entry.batch.free();
        if (![...this.#batches].some((e) => e.uploader === entry.uploader)) entry.uploader.free();
      });
    }
  }

  async #uploaderNow() {
    await loadWasm();
    const endpoint = this.endpoint;
    const getToken = this.#getToken;
    const extra = this.#uploaderOptions;
    const made = this.#uploaderFor;
    if (!this.#uploader || made.endpoint !== endpoint || made.getToken !== getToken || made.extra !== extra) {
      const options = { ...extra, endpoint };
      if (getToken) options.getToken = () => getToken.call(this);
      const old = this.#uploader;
      this.#uploader = new Uploader(options); // throws an UploadError for a bad endpoint
      this.#uploaderFor = { endpoint, getToken, extra };
      if (old && ![...this.#batches].some((e) => e.uploader === old)) old.free();
      this.#release();
    }
    return this.#uploader;
  }

  #changed(record) {
    record.dirty = true;
    this.#draw();
  }

  /** Whether the list is short enough to show every file. */
  #short() {
    return this.#records.length <= MAX_ROWS;
  }

  /** In a long list, one announcement once every file has ended. */
  #announceEnd() {
    const live = this.#records;
    if (live.some((r) => !ENDED.has(r.state))) return;
    const done = live.filter((r) => r.state === "done").length;
    const failed = live.filter((r) => r.state === "failed").length;
    this.#announce(`${done} of ${live.length} uploaded${failed ? `, ${failed} failed` : ""}.`);
  }

  /** The records drawn as rows, in order. */
  #visible() {
    const live = this.#records;
    if (this.#short()) return live;
    const focused = this.#rowOf.get(this.#root.activeElement?.closest?.(".file"));
    let waiting = 0;
    let failed = 0;
    return live.filter((r) => {
      if (r === focused) return true;
      if (r.state === "done") return false;
      if (r.state === "failed" || r.state === "aborted") return failed++ < FAILED_ROWS;
      if (r.state === "queued" && !r.started) return waiting++ < WAITING_ROWS;
      return true;
    });
  }

  /** Draws the rows and the summary, at most once a frame. */
  #draw() {
    if (this.#drawing) return;
    this.#drawing = true;
    let done = false;
    const run = () => {
      if (done) return;
      done = true;
      this.#drawing = false;
      this.#drawNow();
    };
    // A frame, or soon when frames do not come (a hidden page).
    requestAnimationFrame?.(run);
    setTimeout(run, 100);
  }

  #drawNow() {
    const visible = this.#visible();
    const shown = new Set(visible);
    for (const record of this.#records) {
      if (record.row && !shown.has(record)) {
        record.row.element.remove();
        record.row = null;
      }
    }
    // Rows keep their place: only new ones are inserted, before the next drawn row.
    let next = this.#list.firstElementChild;
    for (const record of visible) {
      if (!record.row) {
        record.row = new FileRow(record, (action, r) => {
          this.#act(action, r);
          this.#drawNow(); // what a click changed shows at once
        });
        this.#rowOf.set(record.row.element, record);
        record.dirty = false;
        this.#list.insertBefore(record.row.element, next);
        continue;
      }
      if (record.dirty) {
        record.dirty = false;
        record.row.update();
      }
      next = record.row.element.nextElementSibling;
    }
    // Links for stored files drawn later (a collapsed row that came back).
    for (const record of visible) {
      if (record.state === "done" && !record.askedLink && this.#batches.has(record.entry)) {
        record.askedLink = true;
        record.entry?.uploader.downloadUrl(record.result.key).then(({ url }) => {
          record.downloadUrl = url;
          this.#changed(record);
        }, () => {});
      }
    }
    this.#drawSummary();
  }

  #drawSummary() {
    const counts = { total: 0, done: 0, failed: 0, aborted: 0, waiting: 0, running: 0, retryable: 0 };
    let size = 0;
    let settled = 0;
    for (const r of this.#records) {
      counts.total++;
      if (r.state === "done") counts.done++;
      else if (r.state === "failed") counts.failed++;
      else if (r.state === "aborted") counts.aborted++;
      else if (r.state === "queued") counts.waiting++;
      else counts.running++;
      if (r.state === "failed" && r.retryable) counts.retryable++;
      size += r.file.size;
      settled += ENDED.has(r.state) ? r.file.size : Math.min(r.sent, r.file.size);
    }
    const progress = this.#batch?.entry.progress;
    counts.fraction = size > 0 ? settled / size : counts.total > 0 && counts.done + counts.failed + counts.aborted === counts.total ? 1 : 0;
    counts.bytesPerSecond = progress?.bytesPerSecond ?? 0;
    counts.etaSeconds = progress?.etaSeconds ?? null;
    this.#summary.update(counts);
    const waitingHidden = this.#records.filter((r) => r.state === "queued" && !r.started && !r.row).length;
    this.#more.textContent = waitingHidden > 0 ? `and ${waitingHidden} more waiting` : "";
  }

  #refusal(file) {
    if (this.hasAttribute("max-size") && this.maxSize === null) {
      return new UploadError("bad_request", `the max-size attribute "${this.getAttribute("max-size")}" is not a number of bytes`);
    }
    const max = this.maxSize;
    if (max !== null && file.size > max) {
      return new UploadError("too_large", `${file.name} is ${formatBytes(file.size)}; the limit is ${formatBytes(max)}.`);
    }
    if (!accepts(this.accept, file)) {
      return new UploadError("unsupported_type", `${file.name} is not an accepted type (${this.accept}).`);
    }
    return null;
  }

  #announce(text) {
    this.#status.textContent = text;
  }

  #render() {
    this.#input.multiple = this.multiple;
    this.#input.accept = this.accept;
    const title = this.multiple ? "Drop files here" : "Drop a file here";
    const limits = [
      this.maxSize !== null ? `up to ${formatBytes(this.maxSize)}` : "",
      this.accept ? this.accept.split(",").map((t) => t.trim()).join(", ") : "",
    ].filter(Boolean).join(" · ");
    this.#root.querySelector('slot[name="title"]').textContent = title;
    this.#root.querySelector('slot[name="hint"]').textContent =
      `or click, or press Enter, to choose${limits ? ` (${limits})` : ""}`;
  }

  #wire() {
    const zone = this.#zone;
    zone.addEventListener("click", () => this.choose());
    zone.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        this.choose();
      } else if (e.key === " ") {
        e.preventDefault(); // no page scroll; a button acts on Space's release
      }
    });
    zone.addEventListener("keyup", (e) => {
      if (e.key === " ") this.choose();
    });
    const dragging = (on) => zone.toggleAttribute("data-dragging", on);
    const withFiles = (e) => [...(e.dataTransfer?.types ?? [])].includes("Files");
    zone.addEventListener("dragenter", (e) => {
      if (!withFiles(e)) return;
      e.preventDefault();
      dragging(true);
    });
    zone.addEventListener("dragover", (e) => {
      if (!withFiles(e)) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = "copy";
      dragging(true);
    });
    zone.addEventListener("dragleave", (e) => {
      if (!zone.contains(e.relatedTarget)) dragging(false);
    });
    zone.addEventListener("drop", (e) => {
      e.preventDefault();
      dragging(false);
      if (e.dataTransfer?.files?.length) this.addFiles(e.dataTransfer.files);
    });
    this.#input.addEventListener("change", () => {
      if (this.#input.files?.length) this.addFiles(this.#input.files);
      this.#input.value = "";
    });
  }
}

/**
 * Defines the element under `name` (default `presigned-upload`) and returns its
 * class; a name already defined (by this module, another copy of it, or
 * anything else) is left as it is and its class returned.
 */
export function define(name = DEFAULT_NAME) {
  const registry = globalThis.customElements;
  if (!registry) return undefined;
  const existing = registry.get(name);
  if (existing) return existing;
  // A class can back one name only: further names get a subclass.
  const taken = registered.size > 0;
  const cls = taken ? class extends PresignedUploadElement {} : PresignedUploadElement;
  registry.define(name, cls);
  registered.add(name);
  return cls;
}
const registered = new Set();

define();
