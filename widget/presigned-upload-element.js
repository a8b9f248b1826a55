// <presigned-upload>: a drop-in upload widget around the wasm Uploader. Plain
// JavaScript, no build step: it sits in the package beside the wasm module it
// imports (`../presigned_upload.js`, the --target web build), so the same
// file works from a <script type="module"> and through a bundler.
//
// Attributes: endpoint, file-type, multiple, accept, max-size, min-size,
// max-total-size, max-files, path-metadata, paste, auto-start,
// resume-rows, name, required, lang. Properties: getToken,
// uploaderOptions, uploadOptions, locale. Events (bubbling, composed): upload-start (cancelable),
// upload-progress, upload-complete, upload-error, upload-refused.
// Importing the module defines <presigned-upload> unless that name is
// taken; define(name) adds another name; addLocale(locale) teaches it a
// language. Types: presigned-upload-element.d.ts.
//
// This file orchestrates; its parts own the rest: files come in through
// the drop zone (drop-zone.js, folder-entries.js) and pastes (paste.js),
// pass the limits (limits.js), and are drawn as rows (file-row.js,
// thumbnails.js) under a summary (upload-summary.js), in the words of a
// locale (locale.js); in a form, form-field.js speaks for it. Uploads a
// reload left unfinished come back as rows that ask for their file
// (resumable.js).
//
// Files go through the Uploader's queue as one batch (uploader.uploadAll),
// or one of their own when their folder path goes as metadata: a few run
// at once, the others wait. The element keeps a record of every file; rows
// are drawn for the files worth seeing (all of them in a short list; in a
// long one the running, failed and next few waiting files, the finished
// ones counted in the summary line), at most once a frame.
import init, { Uploader, UploadError } from "../presigned_upload.js";
import { ENDED, FileRow, fileRecord, HELD, labelOf } from "./file-row.js";
import { DropZone } from "./drop-zone.js";
import { FormField } from "./form-field.js";
import { filesToTake } from "./paste.js";
import { overallFraction } from "./format.js";
import { LIMITS, readLimits, refusal } from "./limits.js";
import { addLocale, localeFor, Translator } from "./locale.js";
import { isSameFile, resumableRecord, unshown } from "./resumable.js";
import { STYLES } from "./styles.js";
import { Thumbnails } from "./thumbnails.js";
import { UploadSummary } from "./upload-summary.js";

export const DEFAULT_NAME = "presigned-upload";
export { addLocale };

// A list this long or shorter shows every file; a longer one collapses.
const MAX_ROWS = 50;
// In a collapsed list: how many waiting and how many failed rows are drawn.
const WAITING_ROWS = 5;
const FAILED_ROWS = 20;

/** A file waiting for its turn to send: queued, or hashed ahead of it. */
const waitingTurn = (r) => !r.started && (r.state === "queued" || r.state === "hashing");

// One wasm instance per page, loaded when the first element connects.
let wasm = null;
const loadWasm = () => (wasm ??= init());

const ICON = `<svg aria-hidden="true" viewBox="0 0 24 24" width="36" height="36"><path d="M12 16V4m0 0-4.5 4.5M12 4l4.5 4.5M4 15v3a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-3" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round"/></svg>`;

const SHADOW = `<div class="root">
<div class="dropzone" part="dropzone" role="button" tabindex="0">
  ${ICON}
  <span class="title" part="title"><slot name="title"></slot></span>
  <span class="hint" part="hint"><slot name="hint"></slot></span>
  <input class="input" type="file" hidden>
</div>
<input class="resume-input" type="file" hidden>
<div class="sources" part="sources">
  <button type="button" class="choose-folder" part="button choose-folder"></button>
  <input class="folder-input" type="file" webkitdirectory multiple hidden>
</div>
<p class="status" part="status" role="status" aria-live="polite"></p>
<ul class="list" part="list"></ul>
<p class="more" part="more"></p>
<div class="review" part="review" hidden><button type="button" class="start" part="button start"></button></div>
</div>`;

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
  static formAssociated = true;
  static observedAttributes = [
    "multiple", "accept", "lang", "paste", "auto-start", "name", "required", "endpoint", "resume-rows",
    ...LIMITS.map(([attribute]) => attribute),
  ];

  #getToken = null;
  #uploadOptions = {};
  #uploaderOptions = {};
  #locale = null; // the locale property; null: the element's language
  #t = new Translator();
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
  #thumbnails = new Thumbnails();
  #form;
  #disabled = false; // by its form (a disabled fieldset)
  #root;
  #zone; // the DropZone
  #pageListens = false; // whether the document's pastes come here
  #status;
  #list;
  #more;
  #start;
  #summary;
  #offering = 0; // the latest search for resumable uploads; older answers are dropped
  #offerQueued = false;
  #resumeInput;
  #resuming = null; // the resumable record whose file is being chosen

  constructor() {
    super();
    this.#form = new FormField(this);
    this.#root = this.attachShadow({ mode: "open" });
    adoptStyles(this.#root);
    this.#root.innerHTML = SHADOW;
    const $ = (selector) => this.#root.querySelector(selector);
    this.#zone = new DropZone(this.#root, (items) => this.#addFrom(items));
    this.#status = $(".status");
    this.#list = $(".list");
    this.#more = $(".more");
    this.#start = $(".start");
    this.#resumeInput = $(".resume-input");
    this.#resumeInput.addEventListener("change", () => {
      const [file] = this.#resumeInput.files;
      this.#resumeInput.value = "";
      if (file && this.#resuming) this.#resumeWith(this.#resuming, file);
    });
    this.#summary = new UploadSummary((action) => {
      this.#actOnAll(action);
      this.#drawNow();
    });
    this.#list.before(this.#summary.element);
    this.#useWords(this.#t);
    this.#wire();
    // Properties set before the element was upgraded (defined) shadow the accessors.
    for (const name of ["getToken", "uploaderOptions", "uploadOptions", "locale"]) {
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
    loadWasm().then(
      () => this.#offerSoon(),
      (e) => this.#announce(this.#t.text("announce.loadFailed", { message: e?.message ?? e })),
    );
    // The page's first number format loads its language's data (some 30 ms):
    // made while the page is idle, not in the draw of the first drop.
    (globalThis.requestIdleCallback ?? setTimeout)(() => this.#t.bytes(1500));
  }

  disconnectedCallback() {
    this.#listenToPage(false);
  }

  attributeChangedCallback(name) {
    this.#render();
    if (name === "endpoint" || name === "resume-rows") this.#offerSoon();
  }

  /** The name its stored files' keys are submitted under, in a form. */
  get name() { return this.getAttribute("name") ?? ""; }
  set name(value) { this.setAttribute("name", value); }

  /** Whether a form needs at least one stored file from it. */
  get required() { return this.hasAttribute("required"); }
  set required(value) { this.toggleAttribute("required", Boolean(value)); }

  /** The keys of its stored files, in order: its form value. */
  get keys() {
    return this.#records.filter((r) => r.state === "done" && r.result).map((r) => r.result.key);
  }

  get form() { return this.#form.internals?.form ?? null; }
  get validity() { return this.#form.internals?.validity; }
  get validationMessage() { return this.#form.internals?.validationMessage ?? ""; }
  get willValidate() { return this.#form.internals?.willValidate ?? false; }
  checkValidity() { return this.#form.internals?.checkValidity() ?? true; }
  reportValidity() { return this.#form.internals?.reportValidity() ?? true; }

  /** Its form was reset: uploads still running are cancelled and every file leaves the list. */
  formResetCallback() {
    for (const record of [...this.#records]) this.#forget(record);
    this.#thumbnails.clear();
    this.#announce("");
    this.#syncForm();
    this.#draw();
  }

  /** A disabled fieldset (or form control) around it: it takes no files and no focus. */
  formDisabledCallback(disabled) {
    this.#disabled = disabled;
    this.#root.querySelector(".root").inert = disabled;
  }

  /**
   * Tells its form what it holds now: its value and whether it is valid.
   * At once when files start (a form sent then must wait for them); when
   * they end, with the next frame.
   */
  #syncForm() {
    const counts = this.#counts();
    const state = { name: this.name, keys: this.keys, required: this.required, busy: counts.running + counts.waiting, ready: counts.ready };
    this.#form.update(state, this.#zone.element, this.#t);
  }

  /** Whether files upload as soon as they are added (the default); with
   * `auto-start="false"` they wait in the list for `start()` or the Start
   * button, and can be removed before. */
  get autoStart() { return this.getAttribute("auto-start") !== "false"; }
  set autoStart(value) { this.setAttribute("auto-start", String(Boolean(value))); }

  /** Uploads every file waiting for the Start button. */
  start() {
    const ready = this.#records.filter((r) => r.state === "ready");
    const started = ready.filter((record) => {
      if (this.#emit("upload-start", this.#about(record))) return true;
      this.#forget(record);
      return false;
    });
    for (const record of started) this.#changed(Object.assign(record, { state: "queued" }));
    if (started.length > 0) this.#enqueue(started);
    this.#drawNow();
  }

  /** Whether uploads a reload left unfinished come back as rows that ask
   * for their file (the default); `resume-rows="false"`: they resume only
   * when their file is added again. */
  get resumeRows() { return this.getAttribute("resume-rows") !== "false"; }
  set resumeRows(value) { this.setAttribute("resume-rows", String(Boolean(value))); }

  /** Where pastes are taken: `"focus"` (while the element holds the focus), `"page"` or `"none"`. */
  get paste() {
    const value = this.getAttribute("paste");
    return value === "page" || value === "none" ? value : "focus";
  }
  set paste(value) { this.setAttribute("paste", value); }

  #onPaste = (event) => {
    if (this.paste === "none" || this.#disabled) return;
    const files = filesToTake(event);
    if (files.length === 0) return;
    event.preventDefault();
    this.#announce(this.#t.text("announce.pasted", { count: files.length }));
    this.addFiles(files);
  };

  #listenToPage(on) {
    if (on === this.#pageListens) return;
    this.#pageListens = on;
    if (on) document.addEventListener("paste", this.#onPaste);
    else document.removeEventListener("paste", this.#onPaste);
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
  get maxSize() { return readLimits(this).maxSize; }
  set maxSize(value) { this.#setCount("max-size", value); }

  /** Smallest file in bytes; `null`: none. */
  get minSize() { return readLimits(this).minSize; }
  set minSize(value) { this.#setCount("min-size", value); }

  /** Most bytes of every file it holds together; `null`: no limit. */
  get maxTotalSize() { return readLimits(this).maxTotalSize; }
  set maxTotalSize(value) { this.#setCount("max-total-size", value); }

  /** Most files it holds; `null`: no limit. */
  get maxFiles() { return readLimits(this).maxFiles; }
  set maxFiles(value) { this.#setCount("max-files", value); }

  #setCount(attribute, value) {
    if (value == null) this.removeAttribute(attribute);
    else this.setAttribute(attribute, String(value));
  }

  /** The words it uses: `{ lang, messages }` (missing messages come from
   * the known locale of `lang`, then English); `null`: the locale of its
   * language, its own `lang` or the nearest ancestor's. */
  get locale() { return this.#locale; }
  set locale(locale) {
    if (locale != null && (typeof locale !== "object" || typeof locale.messages !== "object")) {
      throw new TypeError("locale must be { lang, messages } or null");
    }
    this.#locale = locale ?? null;
    this.#render();
  }

  /** The metadata name that carries a folder's files' relative paths (the
   * `path-metadata` attribute; `"relative-path"` when it has no value);
   * `null`: paths stay in the page. */
  get pathMetadata() {
    return this.hasAttribute("path-metadata") ? this.getAttribute("path-metadata") || "relative-path" : null;
  }
  set pathMetadata(value) {
    if (value == null || value === false) this.removeAttribute("path-metadata");
    else this.setAttribute("path-metadata", value === true ? "" : String(value));
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
    this.#offerSoon(); // a new resumeScope: another user's saved uploads
  }

  /** More options for every upload (`partSize`, `concurrency`, `wholeFileSha256`, …). */
  get uploadOptions() { return this.#uploadOptions; }
  set uploadOptions(options) {
    if (options != null && typeof options !== "object") throw new TypeError("uploadOptions must be an object");
    this.#uploadOptions = { ...options };
  }

  /** Uploads these files, as if they had been dropped. */
  addFiles(files) {
    this.#add([...files].map((file) => ({ file, relativePath: null })));
  }

  /** Opens the browser's folder chooser: every file in the folder, at every level. */
  chooseFolder() {
    this.#zone.chooseFolder();
  }

  /**
   * Takes `items` (`{ file, relativePath }`): checks each against the
   * limits, and uploads those it takes.
   */
  #add(items) {
    let list = items;
    if (!this.multiple && list.length > 1) {
      this.#announce(this.#t.text("announce.oneAtATime", { count: list.length - 1 }));
      list = list.slice(0, 1);
    }
    const limits = readLimits(this);
    const held = this.#held();
    const taken = list.map((item) => this.#take(item, limits, held)).filter(Boolean);
    if (this.autoStart && taken.length > 0) this.#enqueue(taken);
    this.#syncForm();
    this.#draw();
  }

  /**
   * Makes the record of one item: refused (and shown so), or taken (and
   * counted in `held`) and returned; `null` when `upload-start` said no.
   */
  #take({ file, relativePath }, limits, held) {
    const refused = refusal(file, limits, held);
    const now = this.autoStart;
    if (!refused && now && !this.#emit("upload-start", { file, relativePath })) return null;
    const record = fileRecord(file, relativePath, now ? "queued" : "ready", {
      retryable: !refused, refused: refused?.limit ?? null,
    });
    const resumed = this.#records.findIndex((r) => r.state === "resumable" && isSameFile(r.saved, file));
    if (resumed >= 0) {
      this.#dropRow(this.#records[resumed]);
      this.#records.splice(resumed, 1, record);
    } else {
      this.#records.push(record);
    }
    if (refused) {
      this.#refuse(record, refused);
      return null;
    }
    held.files += 1;
    held.bytes += file.size;
    return record;
  }

  /** Adds what a drop or a chooser gave, saying how many files its folders held. */
  #addFrom(items) {
    if (items.length === 0 || this.#disabled) return;
    if (items.some((item) => item.relativePath)) this.#announce(this.#t.text("announce.folder", { count: items.length }));
    this.#add(items);
  }

  /** Opens the browser's file chooser. */
  choose() {
    this.#zone.choose();
  }

  /**
   * Adds `records` to a batch of the current uploader: the shared one (a
   * new one for a new uploader or new options), or, for a file whose
   * relative path goes as metadata, one of its own (a batch's options are
   * every file's).
   */
  async #enqueue(records) {
    // The batch starts in a task of its own: the task of a drop of a
    // thousand files then only makes their records.
    await new Promise((resolve) => setTimeout(resolve, 0));
    let uploader;
    try {
      uploader = await this.#uploaderNow();
    } catch (error) {
      for (const record of records) if (!ENDED.has(record.state)) this.#failed(record, error);
      return;
    }
    records = records.filter((record) => !record.removed && !ENDED.has(record.state));
    const shared = records.filter((record) => !this.#metadataOf(record));
    if (shared.length > 0) this.#addToShared(uploader, shared);
    for (const record of records) {
      const metadata = this.#metadataOf(record);
      if (metadata) this.#startBatch(uploader, [record], metadata);
    }
  }

  #addToShared(uploader, records) {
    const made = this.#batch;
    const same = made && made.uploader === uploader && made.options === this.#uploadOptions && made.fileType === this.fileType;
    if (same) {
      this.#join(made.entry, records);
      return;
    }
    const entry = this.#startBatch(uploader, records, null);
    if (entry) this.#batch = { uploader, options: this.#uploadOptions, fileType: this.fileType, entry };
  }

  /** A new batch of `records`, with `metadata` besides uploadOptions'; `null` if it could not start. */
  #startBatch(uploader, records, metadata) {
    const options = { ...this.#uploadOptions, fileType: this.fileType };
    if (metadata) options.metadata = { ...options.metadata, ...metadata };
    const entry = { uploader, records: [], batch: null, progress: null };
    try {
      entry.batch = uploader.uploadAll(records.map((r) => r.file), this.#batchOptions(entry, options));
    } catch (error) {
      for (const record of records) this.#failed(record, error);
      return null;
    }
    this.#batches.add(entry);
    this.#place(entry, records, 0);
    return entry;
  }

  /** Adds `records` to the batch of `entry`. */
  #join(entry, records) {
    let first;
    try {
      first = entry.batch.add(records.map((r) => r.file));
    } catch (error) {
      for (const record of records) this.#failed(record, error);
      return;
    }
    this.#place(entry, records, first);
  }

  /** Notes where `records` sit in the batch of `entry`, from index `first`. */
  #place(entry, records, first) {
    records.forEach((record, k) => {
      record.entry = entry;
      record.index = first + k;
      entry.records[first + k] = record;
    });
  }

  /** The metadata that carries the record's relative path, or `null`. */
  #metadataOf(record) {
    const name = this.pathMetadata;
    // S3 metadata is printable ASCII: a path goes URI-encoded (decodeURI reads it).
    return name && record.relativePath ? { [name]: encodeURI(record.relativePath) } : null;
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
        // A file hashed ahead of its turn has not started: it sends nothing yet.
        record.started ||= state !== "queued" && state !== "hashing";
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
        this.#emit("upload-progress", this.#about(record, { progress }));
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
    if (this.#short()) this.#announce(this.#t.text("announce.uploaded", { name: labelOf(record) }));
    else this.#announceEnd();
    this.#emit("upload-complete", this.#about(record, { result, downloadUrl }));
    this.#release();
  }

  /** A file failed, was refused or was cancelled. */
  #failed(record, error) {
    const aborted = error?.code === "aborted";
    Object.assign(record, { state: aborted ? "aborted" : "failed", error });
    this.#changed(record);
    if (this.#short()) {
      const name = labelOf(record);
      const message = error?.message || error;
      const key = record.refused ? "announce.refused" : aborted ? "announce.cancelled" : "announce.failed";
      this.#announce(this.#t.text(key, { name, message }));
    } else {
      this.#announceEnd();
    }
    this.#emit("upload-error", this.#about(record, { error }));
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
      case "choose":
        this.#resuming = record;
        this.#resumeInput.click();
        return undefined;
      case "discard": return this.#discard(record);
      default: return undefined;
    }
  }

  /** What the summary's buttons do. */
  #actOnAll(action) {
    const live = this.#records.filter((r) => !r.removed);
    if (action === "retry-failed") {
      for (const record of live) if (record.state === "failed" && record.retryable) this.#retry(record);
    } else if (action === "cancel-all") {
      for (const record of live) if (!ENDED.has(record.state) && !HELD.has(record.state)) this.#act("cancel", record);
    }
  }

  /** Starts a failed or cancelled file again: in its batch while its uploader is current. */
  #retry(record) {
    if (!ENDED.has(record.state) || record.state === "done") return;
    if (!this.#emit("upload-start", this.#about(record))) return;
    const { entry } = record;
    Object.assign(record, { state: "queued", error: null, fraction: 0, sent: 0, progress: null, started: false, result: null });
    this.#syncForm(); // busy again: a form is not sent without it
    this.#changed(record);
    if (entry && this.#batches.has(entry) && entry.uploader === this.#uploader && entry.batch.retry(record.index)) return;
    if (entry) entry.records[record.index] = undefined;
    record.entry = null;
    this.#enqueue([record]);
  }

  /** Offers the saved uploads again, once the current task is over (properties set together count once). */
  #offerSoon() {
    if (this.#offerQueued) return;
    this.#offerQueued = true;
    setTimeout(() => {
      this.#offerQueued = false;
      this.#offerResumable();
    }, 0);
  }

  /**
   * Rows for the uploads the current uploader saved to resume (its signer,
   * its resumeScope); rows of other saved uploads (another user's) go.
   */
  async #offerResumable() {
    const offering = ++this.#offering;
    let saved = [];
    if (this.isConnected && this.resumeRows) {
      try {
        saved = await (await this.#uploaderNow()).listResumable();
      } catch {
        return; // no uploader (a bad endpoint says so when a file is added)
      }
    }
    if (offering !== this.#offering) return;
    const ids = new Set(saved.map((s) => s.id));
    for (const record of this.#records.filter((r) => r.state === "resumable" && !ids.has(r.saved.id))) this.#forget(record);
    const added = unshown(saved, this.#records).map(resumableRecord);
    if (added.length === 0) return this.#draw();
    this.#records.push(...added);
    this.#announce(this.#t.text("announce.resumable", { count: added.length }));
    this.#draw();
  }

  /** A file chosen for the row of a resumable upload: resumed if it is that file. */
  #resumeWith(record, file) {
    this.#resuming = null;
    if (record.removed || record.state !== "resumable") return;
    if (!isSameFile(record.saved, file)) {
      const { name, size } = record.saved;
      this.#announce(this.#t.text("announce.notSameFile", { chosen: file.name, name, size: this.#t.bytes(size) }));
      return;
    }
    this.#add([{ file, relativePath: null }]); // takes the row's place
    this.#drawNow();
    const row = this.#records.find((r) => r.file === file)?.row;
    row?.element.querySelector("button:not([hidden])")?.focus();
  }

  /** The Discard button: the saved upload is aborted at the signer and its row goes. */
  async #discard(record) {
    if (record.discarding) return;
    record.discarding = true;
    const name = labelOf(record);
    try {
      await (await this.#uploaderNow()).discardResumable(record.saved.id);
    } catch (error) {
      record.discarding = false;
      this.#announce(this.#t.text("announce.discardFailed", { name, message: error?.message ?? error }));
      return;
    }
    if (record.removed) return;
    this.#remove(record);
    this.#announce(this.#t.text("announce.discarded", { name }));
  }

  /** The Remove button: the file leaves the list, and the focus stays in the widget. */
  #remove(record) {
    const hadFocus = record.row && this.#root.activeElement && record.row.element.contains(this.#root.activeElement);
    this.#forget(record);
    this.#syncForm();
    if (hadFocus || !this.#root.activeElement) this.#zone.element.focus();
    this.#draw();
  }

  /** The file of `record` leaves the list (its upload, if running, is aborted). */
  #forget(record) {
    record.removed = true;
    if (!ENDED.has(record.state)) record.entry?.batch.upload(record.index)?.abort();
    this.#dropRow(record);
    this.#records = this.#records.filter((r) => r !== record);
  }

  #cancelled() {
    return new UploadError("aborted", "the upload was cancelled before it started");
  }

  /** An event's detail about the file of `record`. */
  #about(record, more = {}) {
    return { file: record.file, relativePath: record.relativePath, ...more };
  }

  #emit(type, detail) {
    return this.dispatchEvent(new CustomEvent(type, {
      detail, bubbles: true, composed: true, cancelable: type === "upload-start",
    }));
  }

  /**
   * Batches whose every file ended are freed, but for the one new files
   * join; so is an uploader no longer current once none of its batches is
   * left (its hash workers stop).
   */
  #release() {
    for (const entry of this.#batches) {
      if (entry === this.#batch?.entry && entry.uploader === this.#uploader) continue;
      if (entry.records.some((r) => r?.entry === entry && !r.removed && !ENDED.has(r.state))) continue;
      this.#batches.delete(entry);
      if (this.#batch?.entry === entry) this.#batch = null;
      queueMicrotask(() => {
        entry.batch.free();
        const idle = entry.uploader !== this.#uploader && ![...this.#batches].some((e) => e.uploader === entry.uploader);
        if (idle) entry.uploader.free();
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
    const counts = this.#counts();
    if (counts.done + counts.failed + counts.aborted < counts.total) return;
    const key = counts.failed ? "announce.endedFailed" : "announce.ended";
    this.#announce(this.#t.text(key, counts));
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
      // Sent in full, it only waits for the signer's word: counted, not drawn.
      if (r.state === "done" || r.state === "completing") return false;
      if (r.state === "failed" || r.state === "aborted") return failed++ < FAILED_ROWS;
      if (waitingTurn(r) || r.state === "ready") return waiting++ < WAITING_ROWS;
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
      if (record.row && !shown.has(record)) this.#dropRow(record);
    }
    // Rows keep their place: only new ones are inserted, before the next drawn row.
    let next = this.#list.firstElementChild;
    for (const record of visible) {
      if (!record.row) {
        record.row = new FileRow(record, (action, r) => {
          this.#act(action, r);
          this.#drawNow(); // what a click changed shows at once
        }, this.#t);
        this.#rowOf.set(record.row.element, record);
        record.dirty = false;
        this.#list.insertBefore(record.row.element, next);
        this.#preview(record);
        continue;
      }
      if (record.dirty) {
        record.dirty = false;
        record.row.update();
      }
      next = record.row.element.nextElementSibling;
    }
    this.#askLinks(visible);
    this.#drawSummary();
    this.#syncForm();
  }

  /** Links for stored files drawn later (a collapsed row that came back), while their uploader lives. */
  #askLinks(visible) {
    for (const record of visible) {
      const uploader = record.entry?.uploader;
      if (record.state !== "done" || record.askedLink || !this.#lives(uploader)) continue;
      record.askedLink = true;
      uploader.downloadUrl(record.result.key).then(({ url }) => {
        record.downloadUrl = url;
        this.#changed(record);
      }, () => {});
    }
  }

  /** Whether `uploader` is not freed: the current one, or one a batch still uses. */
  #lives(uploader) {
    return Boolean(uploader) && (uploader === this.#uploader || [...this.#batches].some((e) => e.uploader === uploader));
  }

  /** Asks for the preview of an image's row, shown once made (if the row is still there). */
  #preview(record) {
    const row = record.row;
    this.#thumbnails.request(record, record.file).then((url) => {
      if (url && record.row === row) row.showThumbnail(url);
    });
  }

  /** Takes a record's row out of the list, if drawn, and lets its preview go. */
  #dropRow(record) {
    record.row?.element.remove();
    record.row = null;
    this.#thumbnails.release(record);
  }

  #drawSummary() {
    const counts = this.#counts();
    const ended = counts.done + counts.failed + counts.aborted;
    counts.fraction = counts.size > 0 ? counts.settled / counts.size : counts.total > 0 && ended === counts.total ? 1 : 0;
    Object.assign(counts, this.#pace(counts));
    this.#summary.update(counts);
    const hidden = (waits) => this.#records.filter((r) => waits(r) && !r.row).length;
    const more = (key, count) => (count > 0 ? this.#t.text(key, { count }) : "");
    this.#more.textContent = more("more.waiting", hidden(waitingTurn)) || more("more.ready", hidden((r) => r.state === "ready"));
    this.#drawReview(counts.ready);
  }

  /** The Start button, while files wait for it: "Upload 3 files". */
  #drawReview(ready) {
    const review = this.#start.parentElement;
    const focused = this.#root.activeElement === this.#start;
    review.hidden = ready === 0;
    this.#start.textContent = this.#t.text("review.start", { count: ready });
    // Started, the button goes: its files' first row takes the focus.
    if (focused && review.hidden) (this.#records.find((r) => r.row && !ENDED.has(r.state))?.row.element ?? this.#zone.element).focus();
  }

  /** The rate and time left of the running batches: one's own, or their sum's. */
  #pace({ size, settled }) {
    const running = [...this.#batches].filter((e) => e.progress && e.records.some((r) => r && !ENDED.has(r.state)));
    if (running.length === 1) return { bytesPerSecond: running[0].progress.bytesPerSecond, etaSeconds: running[0].progress.etaSeconds };
    const bytesPerSecond = running.reduce((sum, e) => sum + (e.progress.bytesPerSecond || 0), 0);
    return { bytesPerSecond, etaSeconds: bytesPerSecond > 0 ? (size - settled) / bytesPerSecond : null };
  }

  /**
   * How many files are in each state, their bytes (`size`) and the bytes
   * settled; refused files are no uploads and are only counted (`refused`).
   */
  #counts() {
    const counts = {
      rows: 0, total: 0, done: 0, failed: 0, aborted: 0, ready: 0, resumable: 0, waiting: 0, running: 0, retryable: 0,
      refused: 0, size: 0, settled: 0,
    };
    for (const r of this.#records) {
      if (r.state === "resumable") {
        counts.resumable++;
        continue;
      }
      counts.rows++;
      if (r.refused) {
        counts.refused++;
        continue;
      }
      counts.total++;
      if (ENDED.has(r.state) || HELD.has(r.state)) counts[r.state]++;
      else if (r.state === "queued") counts.waiting++;
      else counts.running++;
      if (r.state === "failed" && r.retryable) counts.retryable++;
      counts.size += r.file.size;
      counts.settled += ENDED.has(r.state) ? r.file.size : Math.min(r.sent, r.file.size);
    }
    return counts;
  }

  /** What the limits count: the files it holds (refused ones aside) and their bytes. */
  #held() {
    const kept = this.#records.filter((r) => !r.refused && r.state !== "resumable");
    return { files: kept.length, bytes: kept.reduce((sum, r) => sum + r.file.size, 0) };
  }

  /** A file the limits refuse: its row says why, and nothing is sent for it. */
  #refuse(record, { limit, code, values }) {
    const t = this.#t;
    const words = { ...values, name: labelOf(record) };
    for (const size of ["size", "min", "max", "total"]) if (size in words) words[size] = t.bytes(words[size]);
    const error = new UploadError(code, t.text(`refuse.${limit}`, words));
    this.#emit("upload-refused", this.#about(record, { limit, error }));
    this.#failed(record, error);
  }

  #announce(text) {
    this.#status.textContent = text;
  }

  #render() {
    this.#translate();
    this.#listenToPage(this.isConnected && this.paste === "page");
    this.#zone.input.multiple = this.multiple;
    this.#zone.input.accept = this.accept;
    this.#root.querySelector(".sources").hidden = !this.multiple;
    const t = this.#t;
    const words = this.#limitWords();
    this.#root.querySelector('slot[name="title"]').textContent = t.text(this.multiple ? "zone.title.many" : "zone.title.one");
    this.#root.querySelector('slot[name="hint"]').textContent = words
      ? t.text("zone.hint.limits", { limits: words })
      : t.text("zone.hint");
    this.#syncForm(); // `name` or `required` may have changed, or the message's words
  }

  /** The limits in words, for the drop zone's hint ("up to 10 MB · image/*"). */
  #limitWords() {
    const t = this.#t;
    const limits = readLimits(this);
    const size = (key, n) => (n !== null ? t.text(key, { size: t.bytes(n) }) : "");
    return [
      size("limit.min-size", limits.minSize),
      size("limit.max-size", limits.maxSize),
      size("limit.max-total-size", limits.maxTotalSize),
      limits.maxFiles !== null ? t.text("limit.max-files", { count: limits.maxFiles }) : "",
      limits.accept ? limits.accept.split(",").map((a) => a.trim()).join(", ") : "",
    ].filter(Boolean).join(" · ");
  }

  /** Takes the locale now in force, and redraws every word in it when it changed. */
  #translate() {
    const locale = this.#locale ?? localeFor(this.closest("[lang]")?.getAttribute("lang"));
    if (this.#t.locale !== locale) this.#useWords(new Translator(locale));
  }

  #useWords(t) {
    this.#t = t;
    this.#root.querySelector(".root").lang = t.lang;
    this.#root.querySelector(".choose-folder").textContent = t.text("zone.folder");
    this.#list.setAttribute("aria-label", this.#t.text("list.label"));
    this.#summary.translate(this.#t);
    for (const record of this.#records) record.row?.translate(this.#t);
    this.#drawSummary();
  }

  #wire() {
    this.#start.addEventListener("click", () => this.start());
    this.addEventListener("paste", this.#onPaste);
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
