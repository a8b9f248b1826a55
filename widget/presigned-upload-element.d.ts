// Types of the <presigned-upload> element (presigned-upload-element.js).
import type { UploadError, UploadOptions, UploaderOptions, UploadProgress, UploadResult } from "../presigned_upload.js";

/**
 * Options of the element's `Uploader` besides its own `endpoint` and
 * `getToken` (which come from the element).
 *
 * @example
 * ```ts
 * document.querySelector("presigned-upload")!.uploaderOptions = { workers: 2, headers: { "X-Tenant": "acme" } };
 * ```
 */
export type WidgetUploaderOptions = Omit<UploaderOptions, "endpoint" | "getToken">;

/**
 * Options the element passes to every upload besides its own (`fileType`
 * comes from the `file-type` attribute; progress and state it handles).
 *
 * @example
 * ```ts
 * const options: WidgetUploadOptions = { partSize: 16 * 1024 * 1024, wholeFileSha256: true };
 * document.querySelector("presigned-upload")!.uploadOptions = options;
 * ```
 */
export type WidgetUploadOptions = Omit<UploadOptions, "fileType" | "onProgress" | "onStateChange" | "signal">;

/**
 * A message of a locale: a text with `{placeholders}`, or one text per
 * plural category (`Intl.PluralRules`) of its `count`.
 *
 * @example
 * ```ts
 * const waiting: LocaleMessage = { one: "{count} file waits", other: "{count} files wait" };
 * ```
 */
export type LocaleMessage = string | Partial<Record<Intl.LDMLPluralRule, string>> & { other: string };

/**
 * The words of one language: its BCP 47 tag (for plurals and number
 * formats) and its messages by key (the keys of `widget/locales/en.js`);
 * a key it leaves out comes from the known locale of its language, then
 * from English.
 *
 * @example
 * ```ts
 * const de: WidgetLocale = { lang: "de", messages: { "zone.title.many": "Dateien hier ablegen" } };
 * ```
 */
export interface WidgetLocale {
  lang: string;
  messages: Record<string, LocaleMessage>;
}

/**
 * `detail` of `upload-start`: a file is about to upload (also on a retry).
 * The event is cancelable: `preventDefault()` keeps that file from uploading.
 *
 * @example
 * ```ts
 * widget.addEventListener("upload-start", (e) => {
 *   if (e.detail.file.name.endsWith(".exe")) e.preventDefault();
 * });
 * ```
 */
export interface UploadStartDetail {
  file: File;
  /** The file's path under the folder it was dropped or chosen in (`"photos/2024/a.jpg"`); `null` for a file on its own. */
  relativePath: string | null;
}

/**
 * `detail` of `upload-progress`, about 20 times a second at most per file.
 *
 * @example
 * ```ts
 * widget.addEventListener("upload-progress", (e) => console.log(e.detail.file.name, e.detail.progress.fraction));
 * ```
 */
export interface UploadProgressDetail {
  file: File;
  /** As in `UploadStartDetail`. */
  relativePath: string | null;
  progress: UploadProgress;
}

/**
 * `detail` of `upload-complete`: the stored object, checked, and a presigned
 * download link (`null` if the signer gave none).
 *
 * @example
 * ```ts
 * widget.addEventListener("upload-complete", (e) => save(e.detail.result.key));
 * ```
 */
export interface UploadCompleteDetail {
  file: File;
  /** As in `UploadStartDetail`. */
  relativePath: string | null;
  result: UploadResult;
  downloadUrl: string | null;
}

/**
 * `detail` of `upload-error`: the file's upload failed, was refused by the
 * element's limits (`max-size`, `max-total-size`: `too_large`; `accept`:
 * `unsupported_type`; `min-size`, `max-files`: `bad_request`) or was
 * cancelled (`aborted`).
 *
 * @example
 * ```ts
 * widget.addEventListener("upload-error", (e) => {
 *   if (e.detail.error.code !== "aborted") report(e.detail.error.code, e.detail.error.message);
 * });
 * ```
 */
export interface UploadErrorDetail {
  file: File;
  /** As in `UploadStartDetail`. */
  relativePath: string | null;
  error: UploadError;
}

/**
 * Which limit refused a file: the attribute's name, or `"attribute"` when a
 * limit attribute is not a number (every file is then refused).
 *
 * @example
 * ```ts
 * const limit: RefusalLimit = "max-total-size";
 * ```
 */
export type RefusalLimit = "accept" | "min-size" | "max-size" | "max-total-size" | "max-files" | "attribute";

/**
 * `detail` of `upload-refused`: a limit refused the file before anything
 * was sent; its row says why (`error.message`, in the element's language),
 * and `upload-error` follows with the same error.
 *
 * @example
 * ```ts
 * widget.addEventListener("upload-refused", (e) => console.warn(e.detail.limit, e.detail.error.message));
 * ```
 */
export interface UploadRefusedDetail {
  file: File;
  /** As in `UploadStartDetail`. */
  relativePath: string | null;
  limit: RefusalLimit;
  error: UploadError;
}

/**
 * The element's events, for typed `addEventListener`.
 *
 * @example
 * ```ts
 * type Complete = PresignedUploadEventMap["upload-complete"]; // CustomEvent<UploadCompleteDetail>
 * ```
 */
export interface PresignedUploadEventMap extends HTMLElementEventMap {
  "upload-start": CustomEvent<UploadStartDetail>;
  "upload-progress": CustomEvent<UploadProgressDetail>;
  "upload-complete": CustomEvent<UploadCompleteDetail>;
  "upload-error": CustomEvent<UploadErrorDetail>;
  "upload-refused": CustomEvent<UploadRefusedDetail>;
}

/**
 * `<presigned-upload>`: drop, choose or paste files, or folders (click, or
 * Enter/Space on the drop zone; "Choose a folder"; Ctrl/Cmd+V). Its limits
 * refuse files before anything is sent; the others upload through the
 * uploader's queue (or wait for Start, with `auto-start="false"`), each
 * with a row (a preview of an image, its folder, a progressbar, speed,
 * time left, pause, resume, cancel and retry, the error message, and the
 * final link; "Waiting" until its turn), under a summary of them all ("12
 * of 250 uploaded", Retry failed, Cancel all). A list of more than 50
 * files shows the running, failed and next waiting files and counts the
 * rest in the summary. In a form it submits its stored files' keys under
 * its `name`. Every word comes from its locale (English, Spanish, or
 * `addLocale`).
 *
 * @example
 * ```html
 * <script type="module" src="/pkg/widget/presigned-upload-element.js"></script>
 * <presigned-upload endpoint="https://signer.example.com" file-type="images"
 *                   accept="image/*" max-size="10000000" multiple></presigned-upload>
 * ```
 */
export class PresignedUploadElement extends HTMLElement {
  /** The `endpoint` attribute: the signer's base URL (`""`: same origin). */
  endpoint: string;
  /** The `file-type` attribute (default `"uploads"`). */
  fileType: string;
  /** The `multiple` attribute: several files at once. */
  multiple: boolean;
  /** The `accept` attribute, as on `<input type=file>`; checked on drop too. */
  accept: string;
  /** The `max-size` attribute in bytes, checked before any request; `null`: none. */
  maxSize: number | null;
  /** The `min-size` attribute in bytes; `null`: none. */
  minSize: number | null;
  /** The `max-total-size` attribute: most bytes of all the files it holds; `null`: none. */
  maxTotalSize: number | null;
  /** The `max-files` attribute: most files it holds; `null`: none. */
  maxFiles: number | null;
  /** Returns the signer's bearer token (or a promise of it); `null`: none. */
  getToken: (() => string | Promise<string>) | null;
  /** More options of its Uploader (`headers`, `workers`,
   * `maxConcurrentFiles`, …); a new value gives the next upload a new
   * Uploader. */
  uploaderOptions: WidgetUploaderOptions;
  /** More options for every upload. */
  uploadOptions: WidgetUploadOptions;
  /** The `auto-start` attribute: `false` (`auto-start="false"`) holds added
   * files in the list ("Ready to upload", removable) until `start()` or
   * the Start button. */
  autoStart: boolean;
  /** The `resume-rows` attribute: `true` (the default) shows a row for each
   * upload a reload left unfinished (`uploader.listResumable()`), with
   * "Choose file" (the same file resumes it, in place) and "Discard"
   * (aborts it at the signer); `false` (`resume-rows="false"`): such an
   * upload resumes only when its file is added again. */
  resumeRows: boolean;
  /** The `paste` attribute: where Ctrl/Cmd+V adds files: `"focus"` (the
   * default: while the element holds the focus), `"page"` (anywhere on
   * the page but in a text field) or `"none"`. */
  paste: "focus" | "page" | "none";
  /** The `path-metadata` attribute: the metadata name that stores each
   * folder file's relative path (URI-encoded) with its object
   * (`"relative-path"` for the attribute without a value); `null`: the
   * paths stay in the page (rows and events). The signer must take that
   * name. */
  pathMetadata: string | null;
  /** The `name` attribute: in a form, each stored file's key is submitted under it. */
  name: string;
  /** The `required` attribute: a form needs at least one stored file from it. */
  required: boolean;
  /** The keys of its stored files, in order: what its form submits. */
  readonly keys: string[];
  /** Its form, if any. */
  readonly form: HTMLFormElement | null;
  /** Its validity: `valueMissing` when required and empty, `customError`
   * while files upload, wait, or are held for Start. */
  readonly validity: ValidityState;
  /** Why it is invalid, in its language; `""` when valid. */
  readonly validationMessage: string;
  /** Whether its form checks it (not when disabled). */
  readonly willValidate: boolean;
  /** Whether it is valid (fires `invalid` when not). */
  checkValidity(): boolean;
  /** Whether it is valid; when not, the browser shows why at its drop zone. */
  reportValidity(): boolean;
  /** Its words: a locale object; `null` (the default) takes the known
   * locale of its language (its own `lang`, else the nearest ancestor's). */
  locale: WidgetLocale | null;
  /** Uploads these files as if they had been dropped. */
  addFiles(files: Iterable<File> | ArrayLike<File>): void;
  /** Opens the file chooser (needs a user gesture, like any `input.click()`). */
  choose(): void;
  /** Uploads every file held for review (`auto-start="false"`);
   * `upload-start` fires for each then. */
  start(): void;
  /** Opens the folder chooser (`webkitdirectory`): every file of the folder, at every level. */
  chooseFolder(): void;
  /** Listens to the element's events with their typed `detail` (and to any other). */
  addEventListener<K extends keyof PresignedUploadEventMap>(
    type: K,
    listener: (this: PresignedUploadElement, event: PresignedUploadEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): void;
  /** Listens to any other event. */
  addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject,
    options?: boolean | AddEventListenerOptions,
  ): void;
  /** Removes a listener added with `addEventListener`. */
  removeEventListener<K extends keyof PresignedUploadEventMap>(
    type: K,
    listener: (this: PresignedUploadElement, event: PresignedUploadEventMap[K]) => unknown,
    options?: boolean | EventListenerOptions,
  ): void;
  /** Removes a listener of any other event. */
  removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject,
    options?: boolean | EventListenerOptions,
  ): void;
}

/**
 * The name the module defines when imported.
 *
 * @example
 * ```ts
 * const el = document.createElement(DEFAULT_NAME) as PresignedUploadElement;
 * ```
 */
export const DEFAULT_NAME: "presigned-upload";

/**
 * Defines the element under another name too (a name already defined is left
 * alone, so calling it twice is harmless). Returns the element's class;
 * `undefined` outside a browser.
 *
 * @example
 * ```ts
 * define("acme-upload");
 * document.body.append(document.createElement("acme-upload"));
 * ```
 */
export function define(name?: string): CustomElementConstructor | undefined;

/**
 * Makes `locale` the one every element uses for its language (`lang="fr"`,
 * and `fr-CA` without a locale of its own); English and Spanish are known.
 *
 * @example
 * ```ts
 * addLocale({ lang: "fr", messages: { "zone.title.many": "Déposez des fichiers ici" } });
 * ```
 */
export function addLocale(locale: WidgetLocale): void;

declare global {
  interface HTMLElementTagNameMap {
    "presigned-upload": PresignedUploadElement;
  }
}
