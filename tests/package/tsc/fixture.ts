// Compiled with `tsc --strict` against the packed package (tests/package/):
// the public API as an app would use it, and misuses that must not compile
// (each `@ts-expect-error` fails the build if its line compiles).
import init, {
  Batch,
  Uploader,
  Upload,
  UploadError,
  type BatchFileEnd,
  type BatchOptions,
  type BatchProgress,
  type BatchResult,
  type ChecksumOptions,
  type DownloadLink,
  type FileChecksums,
  type UploadErrorCode,
  type UploadOptions,
  type UploadProgress,
  type UploadResult,
  type UploadState,
  type WaitReason,
} from "presigned-upload";
import * as bundler from "presigned-upload/bundler";
import {
  addLocale,
  define,
  DEFAULT_NAME,
  PresignedUploadElement,
  type RefusalLimit,
  type UploadCompleteDetail,
  type WidgetLocale,
  type WidgetUploaderOptions,
  type WidgetUploadOptions,
} from "presigned-upload/widget";

export async function uploadOne(file: File): Promise<string> {
  await init();
  const uploader = new Uploader({ endpoint: "https://signer.example.com", getToken: async () => "jwt" });
  const options: UploadOptions = {
    fileType: "images",
    partSize: 8 * 1024 * 1024,
    onProgress: (p: UploadProgress) => console.log(p.phase, p.fraction, p.etaSeconds ?? "?"),
    onStateChange: (s: UploadState) => console.log(s),
  };
  const upload: Upload = uploader.start(file, options);
  upload.pause();
  upload.resume();
  try {
    const result: UploadResult = await upload.result;
    const size: number = result.size;
    const parts = "parts" in result ? result.parts : 1;
    const link: DownloadLink = await uploader.downloadUrl(result.key);
    return `${link.url} ${size} ${parts}`;
  } catch (err) {
    if (err instanceof UploadError) {
      const code: UploadErrorCode = err.code;
      const status: number | undefined = err.status;
      const base: Error = err;
      return `${code} ${status ?? ""} ${base.message}`;
    }
    throw err;
  }
}

// Many files through the queue, with the batch's progress and controls.
export async function uploadMany(files: FileList): Promise<string[]> {
  await init();
  const uploader = new Uploader({ maxConcurrentFiles: 4, maxConcurrentRequests: 6 });
  const options: BatchOptions = {
    fileType: "photos",
    maxWaitMs: 60_000,
    onProgress: (p: BatchProgress) => console.log(p.files.done, p.files.total, p.fraction, p.etaSeconds ?? "?"),
    onFileProgress: (p: UploadProgress, index: number) => {
      const reason: WaitReason | undefined = p.waiting?.reason;
      console.log(index, reason ?? p.phase, p.waiting?.retryInMs ?? 0);
    },
    onFileStateChange: (state: UploadState, index: number) => console.log(index, state),
    onFileComplete: (result: UploadResult, index: number) => console.log(index, result.key),
    onFileError: (error: UploadError, index: number) => console.log(index, error.code),
  };
  const batch: Batch = uploader.uploadAll(files, options);
  const first: number = batch.add([new Blob(["more"])]);
  batch.upload(first)?.pause();
  batch.pause();
  batch.resume();
  const retried: number = batch.retryFailed();
  const again: boolean = batch.retry(0);
  const now: BatchProgress = batch.progress;
  console.log(batch.length, retried, again, now.loaded);
  const done: BatchResult = await batch.result;
  batch.cancel();
  return done.files.flatMap((f: BatchFileEnd) => (f.state === "done" ? [f.result.key] : [f.error.code]));
}

// Hash workers and checksums() without uploading.
export async function checksumsOf(file: File): Promise<string> {
  await init();
  const uploader = new Uploader({ workers: 2, workerModuleUrl: "/assets/presigned_upload.js" });
  const options: ChecksumOptions = { partSize: 8 * 1024 * 1024, wholeFileSha256: true, partDigest: "webcrypto" };
  const sums: FileChecksums = await uploader.checksums(file, options);
  const workers: number = uploader.hashWorkers;
  const parts: string[] = sums.parts;
  const whole: string = sums.sha256 ?? "not asked for";
  const onMain = await new Uploader({ workers: 0 }).checksums(file);
  return `${workers} ${sums.size} ${sums.partSize} ${parts.length} ${sums.checksumSha256} ${whole} ${onMain.checksumSha256}`;
}

// The bundler build has the same classes, without init().
export const fromBundler: typeof bundler.Uploader = bundler.Uploader;
const made = new UploadError("too_large", "over the limit", 413);
export const isError: Error = made;

// The widget: typed attributes, properties and events.
export function widget(): PresignedUploadElement {
  define("acme-upload");
  const el = document.createElement(DEFAULT_NAME);
  const typed: PresignedUploadElement = el; // HTMLElementTagNameMap knows the tag
  typed.multiple = true;
  typed.maxSize = 10_000_000;
  typed.getToken = () => Promise.resolve("jwt");
  const extra: WidgetUploadOptions = { concurrency: 2, wholeFileSha256: true };
  typed.uploadOptions = extra;
  const own: WidgetUploaderOptions = { workers: 2, headers: { "X-Tenant": "acme" } };
  typed.uploaderOptions = own;
  typed.addEventListener("upload-complete", (e) => {
    const detail: UploadCompleteDetail = e.detail;
    console.log(detail.result.key, detail.downloadUrl ?? "no link", detail.file.name);
  });
  typed.addEventListener("upload-error", (e) => console.log(e.detail.error.code));
  typed.addEventListener("upload-start", (e) => e.detail.file.size > 1 && e.preventDefault());
  typed.addEventListener("upload-progress", (e) => console.log(e.detail.progress.bytesPerSecond));
  return typed;
}

// The widget's input, limits, review step, form use and words.
export function widgetInForm(form: HTMLFormElement): string[] {
  const el = document.createElement("presigned-upload");
  el.minSize = 1;
  el.maxTotalSize = 50_000_000;
  el.maxFiles = 20;
  el.pathMetadata = "relative-path";
  el.paste = "page";
  el.autoStart = false;
  el.name = "attachment";
  el.required = true;
  form.append(el);
  el.addEventListener("upload-refused", (e) => {
    const limit: RefusalLimit = e.detail.limit;
    console.log(limit, e.detail.error.message, e.detail.relativePath ?? e.detail.file.name);
  });
  el.addEventListener("upload-complete", (e) => console.log(e.detail.relativePath));
  const fr: WidgetLocale = { lang: "fr", messages: { "zone.title.many": "Déposez des fichiers ici", "summary.waiting": { one: "{count} attend", other: "{count} attendent" } } };
  addLocale(fr);
  el.locale = fr;
  el.locale = null;
  el.chooseFolder();
  el.start();
  const valid: boolean = el.checkValidity() && el.reportValidity() && el.willValidate && !el.validity.valueMissing;
  console.log(valid, el.validationMessage, el.form?.id);
  return el.keys;
}

// Misuse that must not compile.
// @ts-expect-error: not an error code
export const badCode: UploadErrorCode = "oops";
// @ts-expect-error: fileType is required
export const noFileType: UploadOptions = { partSize: 5 };
// @ts-expect-error: the result's key is a string
export const badKey = async (u: Uploader, f: File): Promise<number> => (await u.upload(f, "docs")).key;
// @ts-expect-error: code is read-only
made.code = "network";
// @ts-expect-error: an option of the wrong type
export const badEndpoint = new Uploader({ endpoint: 42 });
// @ts-expect-error: workers is a number
export const badWorkers = new Uploader({ workers: "2" });
// @ts-expect-error: the batch reports progress for the batch, not per file
export const badBatchProgress: BatchOptions = { fileType: "x", onProgress: (p: UploadProgress) => p.phase };
// @ts-expect-error: not a wait reason
export const badReason: WaitReason = "sleepy";
// @ts-expect-error: maxConcurrentFiles is a number
export const badQueue = new Uploader({ maxConcurrentFiles: "4" });
// @ts-expect-error: not a digest method
export const badDigest = (u: Uploader, f: File) => u.checksums(f, { partDigest: "md5" });
// @ts-expect-error: hashWorkers is read-only
export const setWorkers = (u: Uploader) => (u.hashWorkers = 3);
// @ts-expect-error: widget options take no fileType (the attribute sets it)
export const widgetFileType: WidgetUploadOptions = { fileType: "x" };
// @ts-expect-error: event details are typed
document.createElement("presigned-upload").addEventListener("upload-complete", (e) => e.detail.nope);
// @ts-expect-error: not a paste mode
document.createElement("presigned-upload").paste = "always";
// @ts-expect-error: a plural message needs its "other" form
export const badLocale: WidgetLocale = { lang: "fr", messages: { "summary.waiting": { one: "{count} attend" } } };
// @ts-expect-error: the keys are read-only
document.createElement("presigned-upload").keys = [];
