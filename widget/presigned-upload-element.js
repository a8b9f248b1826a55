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
import init, { Uploader, UploadError } from "../presigned_upload.js";
import { FileRow } from "./file-row.js";
import { accepts, formatBytes } from "./format.js";
import { STYLES } from "./styles.js";

export const DEFAULT_NAME = "presigned-upload";

// One wasm instance per page, loaded when the first element connects.
let wasm = null;
const loadWasm = () => (wasm ??= init());

const ICON = `<svg aria-hidden="true" viewBox="0 0 24 24" width="36" height="36"><path d="M12 16V4m0 0-4.5 4.5M12 4l4.5 4.5M4 15v3a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-3" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round"/></svg>`;

const SHADOW = `<style>${STYLES}</style>
<div class="dropzone" part="dropzone" role="button" tabindex="0">
  ${ICON}
  <span class="title" part="title"><slot name="title"></slot></span>
  <span class="hint" part="hint"><slot name="hint"></slot></span>
  <input class="input" type="file" hidden>
</div>
<p class="status" part="status" role="status" aria-live="polite"></p>
<ul class="list" part="list" aria-label="Uploads"></ul>`;

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
  #users = new Map(); // uploader -> rows using it now
  #rows = new Set();
  #root;
  #zone;
  #input;
  #status;
  #list;

  constructor() {
    super();
    this.#root = this.attachShadow({ mode: "open" });
    this.#root.innerHTML = SHADOW;
    const $ = (selector) => this.#root.querySelector(selector);
    this.#zone = $(".dropzone");
    this.#input = $(".input");
    this.#status = $(".status");
    this.#list = $(".list");
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
   * `workerModuleUrl`); `endpoint` and `getToken` are the element's own.
   * Setting them makes a new Uploader for the next upload. */
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
    for (const file of list) {
      const row = new FileRow(file, this.#host);
      this.#rows.add(row);
      this.#list.append(row.element);
      const refusal = this.#refusal(file);
      if (refusal) row.refuse(refusal);
      else row.start();
    }
  }

  /** Opens the browser's file chooser. */
  choose() {
    this.#input.value = "";
    this.#input.click();
  }

  // What the rows borrow from their element.
  #host = {
    uploader: async () => {
      const uploader = await this.#uploaderNow();
      this.#users.set(uploader, (this.#users.get(uploader) ?? 0) + 1);
      return uploader;
    },
    // An uploader replaced (a new endpoint, getToken or uploaderOptions) is freed, and its hash
    // workers stopped, once no row uses it.
    release: (uploader) => {
      const left = (this.#users.get(uploader) ?? 1) - 1;
      if (left > 0) return void this.#users.set(uploader, left);
      this.#users.delete(uploader);
      if (uploader !== this.#uploader) uploader.free();
    },
    options: () => ({ ...this.#uploadOptions, fileType: this.fileType }),
    emit: (type, detail) => this.dispatchEvent(new CustomEvent(type, {
      detail, bubbles: true, composed: true, cancelable: type === "upload-start",
    })),
    announce: (text) => this.#announce(text),
    aborted: () => new UploadError("aborted", "the upload was cancelled before it started"),
    removed: (row) => {
      this.#rows.delete(row);
      if (!this.#root.activeElement || this.#root.activeElement === document.body) this.#zone.focus();
    },
  };

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
      if (old && !this.#users.has(old)) old.free();
    }
    return this.#uploader;
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
