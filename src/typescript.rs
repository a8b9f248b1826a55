//! TypeScript declarations for the plain objects the API takes and returns
//! (wasm-bindgen types the class; these interfaces type its options, results,
//! progress reports and errors).

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** Options of `new Uploader(options)`. */
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
}

/** Where an upload is (`Upload.state`, `onStateChange`). */
export type UploadState =
  | "queued"
  | "hashing"
  | "uploading"
  | "paused"
  | "completing"
  | "done"
  | "failed"
  | "aborted";

/** What the uploader is doing. */
export type UploadPhase = "hashing" | "signing" | "uploading" | "verifying" | "done";

/**
 * One progress report; byte counts are the current phase's. A multipart
 * upload runs `signing` → `uploading` (hashing and sending overlap; bytes
 * are those the store acknowledged) → `verifying` → `done`. `loaded` and
 * `partsDone` never go back within a phase, retries included.
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
}

/** Options of `uploader.upload(file, options)`. */
export interface UploadOptions {
  /** The signer's `file_type`: a short label, e.g. `"images"`. */
  fileType: string;
  /** Defaults to `file.type`, else `application/octet-stream`. */
  contentType?: string;
  onProgress?: (progress: UploadProgress) => void;
  signal?: AbortSignal;
  /** Files larger than this many bytes go multipart (default 16 MiB). */
  multipartThreshold?: number;
  /** Part size asked for (default 8 MiB; grown to fit 10,000 parts, at least 5 MiB). */
  partSize?: number;
  /** Parts in flight at once, 1 to 16 (default 4). */
  concurrency?: number;
  /** Attempts per request to the store or the signer, the first included (default 5). */
  maxAttempts?: number;
  /** Also return the whole file's SHA-256 of a multipart upload (default false). */
  wholeFileSha256?: boolean;
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

/** What `uploader.upload()` resolves with for a single PUT. */
export interface SingleUploadResult {
  key: string;
  size: number;
  /** The store's ETag, quotes included; `null` if it could not be read. */
  etag: string | null;
  /** Base64 SHA-256 of the file. */
  sha256: string;
}

/** What `uploader.upload()` resolves with for a multipart upload. */
export interface MultipartUploadResult {
  key: string;
  size: number;
  /** The store's ETag of the object. */
  etag: string;
  /** Base64 SHA-256 of the whole file; only with `wholeFileSha256: true`. */
  sha256?: string;
  /** Composite checksum `base64(sha256(part digests))-N`, checked against the store's. */
  checksumSha256: string;
  /** Number of parts. */
  parts: number;
  /** Bytes per part (the last may be smaller). */
  partSize: number;
}

/** What `uploader.upload()` resolves with. */
export type UploadResult = SingleUploadResult | MultipartUploadResult;

/** What `uploader.downloadUrl()` resolves with. */
export interface DownloadLink {
  url: string;
  key: string;
  expiresIn: number;
}

/** Stable error codes (`err.code`). */
export type UploadErrorCode =
  | "bad_request" | "network" | "expired" | "forbidden" | "not_found"
  | "too_large" | "unsupported_type" | "checksum_mismatch" | "aborted"
  | "server" | "rate_limited" | "storage_full";

/** Every rejection is an `Error` with these extra fields. */
export interface UploadError extends Error {
  name: "UploadError";
  code: UploadErrorCode;
  /** The HTTP status involved, if any. */
  status?: number;
}
"#;
