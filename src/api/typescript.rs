//! TypeScript declarations for the plain objects the API takes and returns
//! (wasm-bindgen types the class; these interfaces type its options, results,
//! progress reports and errors). Every item has an `@example`; the packaged
//! .d.ts is compiled with `tsc --strict` by tests/package/.

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/**
 * Options of `new Uploader(options)`.
 *
 * @example
 * ```ts
 * const options: UploaderOptions = {
 *   endpoint: "https://signer.example.com",
 *   getToken: async () => (await fetch("/session/token")).text(),
 *   workers: 2, // hash workers; 0 hashes on the main thread
 * };
 * const uploader = new Uploader(options);
 * ```
 */
export interface UploaderOptions {
  /** Base URL of the signer; `""` (the default) means the page's origin. */
  endpoint?: string;
  /** Extra headers on every signer request. */
  headers?: Record<string, string> | Headers | Iterable<[string, string]>;
  /** A bearer token (a JWT) sent as `Authorization: Bearer …` to the signer. */
  token?: string;
  /**
   * Returns the bearer token (or a promise of it). Called before the first
   * signer request, and again once when the signer answers 401 (an expired
   * token), before that request is sent again. Give `token` or `getToken`.
   */
  getToken?: () => string | Promise<string>;
  /**
   * The page's own signer: an object of (async) functions, one per call of
   * the protocol, that ask the app's backend however it likes. Instead of
   * `endpoint`, `headers`, `token` and `getToken` (giving both is an
   * error). Default: `presign-server`'s HTTP protocol at `endpoint`.
   */
  signer?: Signer;
  /**
   * Hash workers (dedicated Web Workers running this package) that read and
   * hash parts off the main thread, several parts at once: 0 to 16; 0 hashes
   * on the main thread, as does an environment without `Worker`. Default:
   * `navigator.hardwareConcurrency - 1` for uploads (a core stays the
   * page's) and `navigator.hardwareConcurrency` for `checksums()`, which
   * only hashes (the pool grows to that on its first call), each at least
   * 1 and at most 4. A number given here is used for both.
   */
  workers?: number;
  /**
   * URL of a `--target web` build of this package (its `presigned_upload.js`;
   * the `.wasm` beside it, `presigned_upload_bg.wasm`) for the workers to
   * import, when it is not where the worker script finds it (a renamed or
   * relocated build). Default: the package the worker script came with.
   */
  workerModuleUrl?: string;
  /**
   * Whose unfinished uploads this uploader resumes: the app's user id, say.
   * Saved uploads (in IndexedDB: the object key, the upload id, sizes and
   * part digests, under a hash of the file's name, size, date and first
   * part) belong to the signer's endpoint and this scope (kept hashed), so
   * another user of the same browser never resumes, or sees, them.
   * `uploader.forgetResumable()` clears them.
   */
  resumeScope?: string;
  /**
   * Files uploading at once, 1 to 16 (default 6). The others wait their
   * turn (`queued`); up to 16 files of one request each are hashed and
   * signed ahead of theirs, so that their turn is the PUT alone, and give
   * it to the next file once sent (while the signer confirms them). A
   * paused upload gives its turn to the next file.
   */
  maxConcurrentFiles?: number;
  /**
   * Requests to the store in flight at once over every running file's parts
   * and PUTs, 1 to 32 (default 6: a browser's HTTP/1.1 connections per
   * host). A free slot goes to the running file holding the fewest, so a
   * small file is not stuck behind a large one's parts.
   */
  maxConcurrentRequests?: number;
}

/**
 * What a signer function gets besides the request: the upload's
 * `AbortSignal` (hand it to `fetch`; the uploader stops waiting when it
 * fires either way).
 *
 * @example
 * ```ts
 * const sign = (body: GetUploadUrlRequest, { signal }: SignerContext) =>
 *   fetch("/sign", { method: "POST", body: JSON.stringify(body), signal });
 * ```
 */
export interface SignerContext {
  signal?: AbortSignal;
}

/**
 * A signer written by the page (`new Uploader({ signer })`): one function
 * per call of the protocol, taking and answering the JSON bodies of
 * `presign-server`'s endpoints (see docs/protocol.md), so forwarding them
 * to a backend that speaks the protocol is one `fetch`. A function answers
 * the object, or a `fetch` `Response` (read as JSON when `ok`, else as an
 * error answer). It fails by throwing a `Response`, or an error with
 * `status` (the HTTP status: 429 and 503 wait, 5xx retry, 4xx fail),
 * `code` (an {@link UploadErrorCode}) and `retryAfter` (seconds, or an HTTP
 * date); anything else thrown is retried as a network failure.
 *
 * Only `getUploadUrl` is required. Without the multipart functions (all
 * four or none) every file goes in one PUT (at most 5 GiB); without
 * `listParts` an upload is not resumed after a reload; without the batch
 * functions each file is signed (and confirmed) on its own; without
 * `fileUploaded` an upload is not confirmed, its result is what the store
 * answered.
 *
 * @example
 * ```ts
 * const post = (path: string) => async (body: unknown, { signal }: SignerContext) =>
 *   fetch(path, { method: "POST", body: JSON.stringify(body), signal,
 *                 headers: { "Content-Type": "application/json" } });
 * const uploader = new Uploader({
 *   signer: {
 *     getUploadUrl: post("/uploads/sign"),
 *     fileUploaded: post("/uploads/done"),
 *   },
 * });
 * ```
 */
export interface Signer {
  /** `POST /api/get-upload-url`: a presigned PUT for one file. */
  getUploadUrl(request: GetUploadUrlRequest, context: SignerContext): SignerAnswer<GetUploadUrlResponse>;
  /** `POST /api/get-upload-urls`: several files at once, one outcome each, in order. */
  getUploadUrls?(request: { files: GetUploadUrlRequest[] }, context: SignerContext): SignerAnswer<{ uploads: BatchOutcome<GetUploadUrlResponse>[] }>;
  /** `POST /api/file-uploaded`: the stored object, as the store describes it. */
  fileUploaded?(request: FileUploadedRequest, context: SignerContext): SignerAnswer<FileUploadedResponse | null | undefined>;
  /** `POST /api/files-uploaded`: several confirmations at once. */
  filesUploaded?(request: { files: FileUploadedRequest[] }, context: SignerContext): SignerAnswer<{ uploads: BatchOutcome<FileUploadedResponse>[] }>;
  /** `POST /api/get-upload-form`: a presigned POST form (`method: "post"` uploads). */
  getUploadForm?(request: GetUploadFormRequest, context: SignerContext): SignerAnswer<GetUploadFormResponse>;
  /** `GET /api/download-url?key=`: a link to a stored object (`uploader.downloadUrl`). */
  downloadUrl?(key: string, context: SignerContext): SignerAnswer<{ url: string; key: string; expires_in: number }>;
  /** `POST /api/multipart`. */
  createMultipart?(request: CreateMultipartRequest, context: SignerContext): SignerAnswer<CreateMultipartResponse>;
  /** `POST /api/multipart/{uploadId}/part-urls`. */
  partUrls?(uploadId: string, request: { parts: { number: number; size: number; sha256?: string }[] }, context: SignerContext): SignerAnswer<{ urls: { number: number; url: string; headers: Record<string, string>; expires_in: number }[] }>;
  /** `GET /api/multipart/{uploadId}/parts`: the parts the store holds. */
  listParts?(uploadId: string, context: SignerContext): SignerAnswer<{ upload_id: string; key: string; parts: { number: number; size: number; etag: string; sha256?: string | null }[] }>;
  /** `POST /api/multipart/{uploadId}/complete`. */
  completeMultipart?(uploadId: string, request: { parts: { number: number; etag: string; sha256?: string }[] }, context: SignerContext): SignerAnswer<{ key: string; size: number; etag: string; checksum_sha256?: string | null }>;
  /** `DELETE /api/multipart/{uploadId}`. */
  abortMultipart?(uploadId: string, context: SignerContext): SignerAnswer<unknown>;
}

/**
 * A signer function's answer: the object, a `Response`, or a promise of either.
 *
 * @example
 * ```ts
 * const answer: SignerAnswer<GetUploadUrlResponse> = fetch("/sign", { method: "POST" });
 * ```
 */
export type SignerAnswer<T> = T | Response | Promise<T | Response>;

/**
 * One file's outcome in a batch: its answer, or its status and error.
 *
 * @example
 * ```ts
 * const refused: BatchOutcome<GetUploadUrlResponse> = {
 *   status: 413, error: { code: "too_large", message: "at most 5 GiB" },
 * };
 * ```
 */
export interface BatchOutcome<T> {
  ok?: T;
  status?: number;
  error?: { code: string; message: string };
}

/**
 * The body of `POST /api/get-upload-url`.
 *
 * @example
 * ```ts
 * const request: GetUploadUrlRequest = { filename: "a.bin", file_type: "ecu", size: 3 };
 * ```
 */
export interface GetUploadUrlRequest {
  filename: string;
  file_type: string;
  content_type?: string;
  size?: number;
  /** Base64 SHA-256 of the file: sign it as `x-amz-checksum-sha256`. */
  sha256?: string;
  /** Sign each as `x-amz-meta-{name}`. */
  metadata?: Record<string, string>;
}

/**
 * The answer to `getUploadUrl`: the PUT to make, exactly.
 *
 * @example
 * ```ts
 * const signed: GetUploadUrlResponse = {
 *   upload_url: "https://bucket.s3.amazonaws.com/users/1/a.bin?X-Amz-Signature=...",
 *   key: "users/1/a.bin", expires_in: 900, headers: { "content-type": "application/octet-stream" },
 * };
 * ```
 */
export interface GetUploadUrlResponse {
  upload_url: string;
  key: string;
  expires_in: number;
  /** `"PUT"` (the default). */
  method?: string;
  /** Exactly the headers the PUT must carry (signed ones included). */
  headers?: Record<string, string> | null;
}

/**
 * The body of `POST /api/file-uploaded`.
 *
 * @example
 * ```ts
 * const confirm: FileUploadedRequest = { key: "users/1/a.bin", file_type: "ecu", size: 3 };
 * ```
 */
export interface FileUploadedRequest {
  key: string;
  file_type: string;
  size?: number;
  sha256?: string;
}

/**
 * The stored object, as the store describes it.
 *
 * @example
 * ```ts
 * const stored: FileUploadedResponse = { key: "users/1/a.bin", size: 3, etag: '"900150983cd24fb0"' };
 * ```
 */
export interface FileUploadedResponse {
  key: string;
  size: number;
  etag: string;
  sha256?: string | null;
  content_type?: string | null;
}

/**
 * The body of `POST /api/get-upload-form`.
 *
 * @example
 * ```ts
 * const request: GetUploadFormRequest = { filename: "a.png", file_type: "images", size: 1024 };
 * ```
 */
export interface GetUploadFormRequest {
  filename: string;
  file_type: string;
  content_type?: string;
  size?: number;
  sha256?: string;
  /** Pin each as the form field `x-amz-meta-{name}`. */
  metadata?: Record<string, string>;
}

/**
 * A presigned POST form: where to post, and the fields before the file.
 *
 * @example
 * ```ts
 * const form: GetUploadFormResponse = {
 *   url: "https://bucket.s3.amazonaws.com/", key: "users/1/a.png", expires_in: 900,
 *   fields: { key: "users/1/a.png", policy: "...", "x-amz-signature": "..." },
 * };
 * ```
 */
export interface GetUploadFormResponse {
  url: string;
  fields: Record<string, string>;
  key: string;
  expires_in: number;
}

/**
 * The body of `POST /api/multipart`.
 *
 * @example
 * ```ts
 * const create: CreateMultipartRequest = {
 *   filename: "big.mp4", file_type: "videos", size: 200 * 2 ** 20, part_size: 8 * 2 ** 20,
 * };
 * ```
 */
export interface CreateMultipartRequest {
  filename: string;
  file_type: string;
  content_type?: string;
  size: number;
  part_size?: number;
  /** `false`: parts without checksums; absent means on. */
  checksum?: boolean;
  /** The same in every attempt: a repeat answers the same upload. */
  client_token?: string;
  /** Create the upload with each as `x-amz-meta-{name}`. */
  metadata?: Record<string, string>;
}

/**
 * The answer to `createMultipart`.
 *
 * @example
 * ```ts
 * const created: CreateMultipartResponse = {
 *   upload_id: "u_1", key: "users/1/big.mp4", part_size: 8 * 2 ** 20, part_count: 25, expires_in: 900,
 * };
 * ```
 */
export interface CreateMultipartResponse {
  upload_id: string;
  key: string;
  part_size: number;
  part_count: number;
  expires_in: number;
}

/**
 * Options of `uploader.checksums(file, options)`.
 *
 * @example
 * ```ts
 * const options: ChecksumOptions = { partSize: 16 * 1024 * 1024, wholeFileSha256: true };
 * const { checksumSha256 } = await uploader.checksums(file, options);
 * ```
 */
export interface ChecksumOptions {
  /** Part size asked for, as for an upload (default 8 MiB; grown to fit 10,000 parts, at least 5 MiB). */
  partSize?: number;
  /** Also compute the whole file's SHA-256 (default false). */
  wholeFileSha256?: boolean;
  /** Aborting it stops the hashing and rejects with `code: "aborted"`. */
  signal?: AbortSignal;
  /** Force one digest method, to measure it (default `"auto"`: WebCrypto for parts in memory). */
  partDigest?: "auto" | "webcrypto" | "sha2";
}

/**
 * What `uploader.checksums()` resolves with: the checksums a multipart
 * upload of the file would send.
 *
 * @example
 * ```ts
 * const sums: FileChecksums = await uploader.checksums(file, { wholeFileSha256: true });
 * if (sums.checksumSha256 !== stored.checksumSha256) console.warn("another file");
 * ```
 */
export interface FileChecksums {
  /** The file's size in bytes. */
  size: number;
  /** Bytes per part (the last may be smaller). */
  partSize: number;
  /** Base64 SHA-256 of every part, in part order. */
  parts: string[];
  /** S3's composite checksum `base64(sha256(part digests))-N`. */
  checksumSha256: string;
  /** Base64 SHA-256 of the whole file; only with `wholeFileSha256: true`. */
  sha256?: string;
}

/**
 * Where an upload is (`Upload.state`, `onStateChange`).
 *
 * @example
 * ```ts
 * const ended = (state: UploadState) => ["done", "failed", "aborted"].includes(state);
 * ```
 */
export type UploadState =
  | "queued"
  | "hashing"
  | "uploading"
  | "paused"
  | "completing"
  | "done"
  | "failed"
  | "aborted";

/**
 * What the uploader is doing (`UploadProgress.phase`).
 *
 * @example
 * ```ts
 * const labels: Record<UploadPhase, string> = {
 *   hashing: "Checksumming", signing: "Signing", uploading: "Uploading",
 *   verifying: "Verifying", done: "Done",
 * };
 * ```
 */
export type UploadPhase = "hashing" | "signing" | "uploading" | "verifying" | "done";

/**
 * Why an upload that started waits (`UploadProgress.waiting.reason`):
 * - `rate_limited`: the signer's request rate limit (429)
 * - `open_uploads`: the signer's cap on open multipart uploads per user
 *   (429 to a create); it waits until one of the user's uploads ends
 * - `busy`: the store or the signer is busy (503, S3's `SlowDown`, a
 *   store's 429)
 *
 * @example
 * ```ts
 * const labels: Record<WaitReason, string> = {
 *   rate_limited: "Too many requests, waiting",
 *   open_uploads: "Waiting for other uploads to finish",
 *   busy: "Storage busy, waiting",
 * };
 * ```
 */
export type WaitReason = "rate_limited" | "open_uploads" | "busy";

/**
 * One progress report; byte counts are the current phase's. A multipart
 * upload runs `signing` → `uploading` (hashing and sending overlap; bytes
 * are those the store acknowledged) → `verifying` → `done`. `loaded` and
 * `partsDone` never go back within a phase, retries included.
 *
 * @example
 * ```ts
 * const onProgress = (p: UploadProgress) => {
 *   bar.value = p.fraction;
 *   label.textContent = `${p.phase} ${(p.bytesPerSecond / 1e6).toFixed(1)} MB/s`;
 * };
 * ```
 */
export interface UploadProgress {
  phase: UploadPhase;
  loaded: number;
  total: number;
  /** `loaded / total` (1 for an empty file). */
  fraction: number;
  /** Parts stored so far (a single PUT counts as 1 part). */
  partsDone: number;
  partsTotal: number;
  /** Recent rate over the last few seconds; 0 until known. */
  bytesPerSecond: number;
  /** Seconds left at the recent rate; `null` until known. */
  etaSeconds: number | null;
  /** The signer's id of a multipart upload, once created (for diagnostics). */
  uploadId?: string;
  /**
   * While the upload waits on a busy signer or store (its state is
   * `queued`): why, how long this wait lasts from when it began, and what
   * the server said. Absent otherwise.
   */
  waiting?: { reason: WaitReason; retryInMs: number; message: string };
}

/**
 * Options of `uploader.upload(file, options)` and `uploader.start()`.
 *
 * @example
 * ```ts
 * const options: UploadOptions = {
 *   fileType: "videos",
 *   partSize: 16 * 1024 * 1024,
 *   onProgress: (p) => console.log(p.phase, p.fraction),
 * };
 * await uploader.upload(file, options);
 * ```
 */
export interface UploadOptions {
  /** The signer's `file_type`: a short label, e.g. `"images"`. */
  fileType: string;
  /** Defaults to `file.type`, else `application/octet-stream`. */
  contentType?: string;
  /**
   * Stored with the object as S3 user metadata (`x-amz-meta-{name}`),
   * signed so the browser cannot change it: names of `a-z 0-9 -`, values
   * printable ASCII, 2 KB in all; the signer's policy says which names
   * each file type takes. Bad metadata rejects with `bad_request` before
   * anything is sent.
   */
  metadata?: Record<string, string | number | boolean>;
  onProgress?: (progress: UploadProgress) => void;
  signal?: AbortSignal;
  /** Files larger than this many bytes go multipart (default 16 MiB). */
  multipartThreshold?: number;
  /** Part size asked for (default 8 MiB; grown to fit 10,000 parts, at least 5 MiB). */
  partSize?: number;
  /** Parts in flight at once, 1 to 16 (default 4). */
  concurrency?: number;
  /**
   * Attempts per request to the store or the signer, the first included
   * (default 5). Network errors and 5xx use them up; waits on backpressure
   * (a 429, S3's `SlowDown`, a 503 with `Retry-After`) do not.
   */
  maxAttempts?: number;
  /**
   * Longest the upload may wait on backpressure in all, in ms (default
   * 600000, ten minutes; 0 to 86400000). A 429, `SlowDown` or 503 with
   * `Retry-After` waits as long as that asks (at most 60 s a time), else the
   * backoff; once this is spent the upload fails with `rate_limited`.
   */
  maxWaitMs?: number;
  /** Also return the whole file's SHA-256 of a multipart upload (default false). */
  wholeFileSha256?: boolean;
  /**
   * Hash the file and have the store check its SHA-256 (default true).
   * `false` sends it unhashed: no checksum is signed or sent, the store's
   * answer is checked by size only, the result has no `sha256` or
   * `checksumSha256`, and multipart uploads do not resume (resuming matches
   * parts by their SHA-256). Not with `wholeFileSha256`.
   */
  checksum?: boolean;
  /**
   * A PUT (a part, or a whole small file) that shows no upload progress for
   * this many milliseconds is aborted and retried like a network error
   * (default 30000; 0 waits forever).
   */
  stallTimeoutMs?: number;
  /**
   * How a file below `multipartThreshold` is sent: `"put"` (default, a
   * presigned PUT) or `"post"` (a presigned POST form, the signer's
   * `/api/get-upload-form`; its size limit is the signer's form limit).
   */
  method?: "put" | "post";
  /** Called with the new state on every change (see `uploader.start()`). */
  onStateChange?: (state: UploadState) => void;
  /**
   * Whether `pause()` aborts the PUTs in flight (sent again on `resume()`)
   * instead of letting them finish (default false).
   */
  abortInFlightOnPause?: boolean;
  /**
   * Save an unfinished multipart upload (IndexedDB) so that uploading the
   * same file again resumes it (default true).
   */
  resume?: boolean;
  /** How long a saved upload may be resumed, in ms (default one day). */
  resumeMaxAgeMs?: number;
}

/**
 * What `uploader.upload()` resolves with for a single PUT.
 *
 * @example
 * ```ts
 * const { key, sha256 } = (await uploader.upload(small, "docs")) as SingleUploadResult;
 * ```
 */
export interface SingleUploadResult {
  key: string;
  size: number;
  /** The store's ETag, quotes included; `null` if it could not be read. */
  etag: string | null;
  /** Base64 SHA-256 of the file; absent with `checksum: false`. */
  sha256?: string;
}

/**
 * What `uploader.upload()` resolves with for a multipart upload.
 *
 * @example
 * ```ts
 * const result = await uploader.upload(big, "videos");
 * if ("parts" in result) console.log(result.parts, result.checksumSha256);
 * ```
 */
export interface MultipartUploadResult {
  key: string;
  size: number;
  /** The store's ETag of the object. */
  etag: string;
  /** Base64 SHA-256 of the whole file; only with `wholeFileSha256: true`. */
  sha256?: string;
  /** Composite checksum `base64(sha256(part digests))-N`, checked against the store's; absent with `checksum: false`. */
  checksumSha256?: string;
  /** Number of parts. */
  parts: number;
  /** Bytes per part (the last may be smaller). */
  partSize: number;
}

/**
 * What `uploader.upload()` resolves with: `parts` tells the two apart.
 *
 * @example
 * ```ts
 * const result: UploadResult = await uploader.upload(file, "docs");
 * console.log(result.key, result.size, "parts" in result ? result.parts : 1);
 * ```
 */
export type UploadResult = SingleUploadResult | MultipartUploadResult;

/**
 * Options of `uploader.uploadAll(files, options)`: every file is uploaded
 * with the `UploadOptions` given here (`signal` cancels them all), and
 * `onProgress` reports the whole batch.
 *
 * @example
 * ```ts
 * const options: BatchOptions = {
 *   fileType: "photos",
 *   onProgress: (p) => (bar.value = p.fraction),
 *   onFileComplete: (result, index) => console.log(index, result.key),
 *   onFileError: (error, index) => console.warn(index, error.code),
 * };
 * const batch = uploader.uploadAll(input.files!, options);
 * ```
 */
export interface BatchOptions extends Omit<UploadOptions, "onProgress" | "onStateChange"> {
  /** The batch's progress, about 20 times a second at most, and on every file's change of state. */
  onProgress?: (progress: BatchProgress) => void;
  /** Each file's own progress, with its index in the batch. */
  onFileProgress?: (progress: UploadProgress, index: number) => void;
  /** Each file's change of state, with its index. */
  onFileStateChange?: (state: UploadState, index: number) => void;
  /** A file stored, with its index. */
  onFileComplete?: (result: UploadResult, index: number) => void;
  /** A file failed or was cancelled, with its index. */
  onFileError?: (error: UploadError, index: number) => void;
}

/**
 * A batch's progress. `loaded` (bytes the store acknowledged) never goes
 * back; `fraction` is the work settled (a file that ended counts whole) and
 * goes back only when files are added or failed ones retried.
 *
 * @example
 * ```ts
 * const show = ({ files, fraction, etaSeconds }: BatchProgress) =>
 *   `${files.done} of ${files.total} uploaded, ${Math.round(fraction * 100)}%` +
 *   (etaSeconds == null ? "" : `, ${Math.ceil(etaSeconds)} s left`);
 * ```
 */
export interface BatchProgress {
  /** Bytes the store acknowledged, over every file. */
  loaded: number;
  /** Bytes of every file. */
  total: number;
  /** Work settled, 0 to 1; 1 once every file has ended. */
  fraction: number;
  /** Recent upload rate of the batch; 0 until known. */
  bytesPerSecond: number;
  /** Seconds until every running and waiting file is sent, at that rate; `null` until known. */
  etaSeconds: number | null;
  files: {
    total: number;
    /** Waiting their turn, or for a busy signer or store. */
    waiting: number;
    /** Hashing, uploading or completing. */
    running: number;
    paused: number;
    done: number;
    failed: number;
    /** Cancelled. */
    aborted: number;
  };
}

/**
 * How one file of a batch ended (`BatchResult.files`, in the batch's order).
 *
 * @example
 * ```ts
 * const keys = (await batch.result).files.flatMap((f: BatchFileEnd) => (f.state === "done" ? [f.result.key] : []));
 * ```
 */
export type BatchFileEnd =
  | { state: "done"; result: UploadResult }
  | { state: "failed" | "aborted"; error: UploadError };

/**
 * What `batch.result` resolves with once every file has ended.
 *
 * @example
 * ```ts
 * const { files, progress }: BatchResult = await batch.result;
 * console.log(`${progress.files.done} stored, ${progress.files.failed} failed`);
 * ```
 */
export interface BatchResult {
  progress: BatchProgress;
  files: BatchFileEnd[];
}

/**
 * What `uploader.downloadUrl()` resolves with.
 *
 * @example
 * ```ts
 * const link: DownloadLink = await uploader.downloadUrl(result.key);
 * anchor.href = link.url;
 * ```
 */
export interface DownloadLink {
  url: string;
  key: string;
  expiresIn: number;
}

/**
 * An unfinished multipart upload saved to resume, as
 * `uploader.listResumable()` lists it: choosing the same file again (its
 * `name`, `size` and `lastModified`) resumes it.
 *
 * @example
 * ```ts
 * const saved: ResumableUpload[] = await uploader.listResumable();
 * const stored = saved.map((s) => `${s.name}: ${s.bytesStored} of ${s.size} bytes`);
 * ```
 */
export interface ResumableUpload {
  /** Its id, for `uploader.discardResumable(id)`. */
  id: string;
  name: string;
  size: number;
  /** The file's `lastModified` (ms since the epoch). */
  lastModified: number;
  fileType: string;
  key: string;
  metadata?: Record<string, string>;
  partCount: number;
  partsStored: number;
  bytesStored: number;
  /** When a part was last stored (ms since the epoch). */
  savedAt: number;
}

/**
 * Stable error codes (`err.code`); existing ones never change meaning.
 * - `network`: no HTTP answer (refused, reset, offline, blocked by CORS)
 * - `expired`: a presigned URL expired before use
 * - `forbidden`: the signer or the store refused the caller (403)
 * - `unauthorized`: the signer wants a valid bearer token (401)
 * - `not_found`: no such object or upload for this caller (404)
 * - `too_large`: the file is larger than the signer's policy allows (413)
 * - `unsupported_type`: the content type or extension is not allowed (415)
 * - `checksum_mismatch`: the store holds other bytes than those hashed
 * - `aborted`: the caller aborted (`signal`, `upload.abort()`)
 * - `server`: the signer or the store failed (5xx)
 * - `rate_limited`: the signer or the store still refused with 429 or 503
 *   after `maxWaitMs` of waiting
 * - `storage_full`: the store (or the signer's database) is out of space (507)
 * - `quota_exceeded`: the upload would pass the caller's byte quota on the
 *   signer (413); the message says how many bytes are left. Not retried
 * - `bad_request`: a malformed argument or option, or a 4xx the signer
 *   gave no more precise code for
 *
 * @example
 * ```ts
 * const retryable = (code: UploadErrorCode) =>
 *   code === "network" || code === "server" || code === "rate_limited";
 * ```
 */
export type UploadErrorCode =
  | "network" | "expired" | "forbidden" | "unauthorized" | "not_found"
  | "too_large" | "unsupported_type" | "checksum_mismatch" | "aborted"
  | "server" | "rate_limited" | "storage_full" | "quota_exceeded"
  | "bad_request";

/**
 * Every rejection and every throw of this package is an `UploadError`: an
 * `Error` (with a stack) whose `code` is stable and whose `message` says
 * what went wrong (the signer's own message when it refused, e.g. the
 * policy's size limit on a 413).
 *
 * @example
 * ```ts
 * try {
 *   await uploader.upload(file, "images");
 * } catch (err) {
 *   if (err instanceof UploadError && err.code === "too_large") alert(err.message);
 *   else throw err;
 * }
 * ```
 */
export class UploadError extends Error {
  /** Always `"UploadError"`. */
  readonly name: "UploadError";
  /** What went wrong, as a stable code. */
  readonly code: UploadErrorCode;
  /** The HTTP status involved, if any. */
  readonly status?: number;
  constructor(code: UploadErrorCode, message: string, status?: number);
}
"#;

#[cfg(test)]
mod tests {
    use presign_core::ErrorCode;

    /// This file (the macro keeps the constant from Rust code).
    const TS_TYPES: &str = include_str!("typescript.rs");

    /// The members of `export type NAME = "a" | "b" …;`.
    fn union_members(name: &str) -> Vec<&'static str> {
        let start = TS_TYPES
            .find(&format!("export type {name} ="))
            .unwrap_or_else(|| panic!("no type {name}"));
        let body = &TS_TYPES[start..];
        let body = &body[..body.find(';').unwrap_or(body.len())];
        body.split('"').skip(1).step_by(2).collect()
    }

    #[test]
    fn error_code_union_is_every_code() {
        let mut declared = union_members("UploadErrorCode");
        declared.sort_unstable();
        let mut codes: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        codes.sort_unstable();
        assert_eq!(declared, codes);
    }
}
