// Types of presigned-upload/react (index.js).
import type { CSSProperties, ForwardRefExoticComponent, ReactNode, RefAttributes, AriaAttributes } from "react";
import type {
  BatchOptions,
  BatchResult,
  Uploader,
  UploaderOptions,
  UploadError,
  UploadOptions,
  UploadProgress,
  UploadResult,
  UploadState,
} from "../presigned_upload.js";
import type {
  PresignedUploadElement,
  UploadCompleteDetail,
  UploadErrorDetail,
  UploadProgressDetail,
  UploadStartDetail,
  WidgetUploaderOptions,
  WidgetUploadOptions,
} from "../widget/presigned-upload-element.js";

/**
 * Props of `<PresignedUpload>`: the element's attributes and properties,
 * its events as callbacks (each gets the element's `CustomEvent`), and what
 * React passes to any element.
 *
 * @example
 * ```tsx
 * const props: PresignedUploadProps = { fileType: "images", accept: "image/*", multiple: true };
 * ```
 */
export interface PresignedUploadProps extends AriaAttributes {
  /** The signer's base URL (default: the page's origin). */
  endpoint?: string;
  /** The signer's `file_type` of these uploads (default `"uploads"`). */
  fileType?: string;
  /** Several files at once. */
  multiple?: boolean;
  /** As on `<input type=file>`; checked on drop too. */
  accept?: string;
  /** Largest file in bytes, checked before any request. */
  maxSize?: number | null;
  /** Returns the signer's bearer token (or a promise of it). */
  getToken?: (() => string | Promise<string>) | null;
  /** More options of the element's Uploader; a new Uploader only when one of them changes. */
  uploaderOptions?: WidgetUploaderOptions;
  /** More options for every upload. */
  uploadOptions?: WidgetUploadOptions;
  /** A file is about to upload; `event.preventDefault()` refuses it. */
  onUploadStart?: (event: CustomEvent<UploadStartDetail>) => void;
  /** A file's progress. */
  onUploadProgress?: (event: CustomEvent<UploadProgressDetail>) => void;
  /** A file is stored. */
  onUploadComplete?: (event: CustomEvent<UploadCompleteDetail>) => void;
  /** A file failed. */
  onUploadError?: (event: CustomEvent<UploadErrorDetail>) => void;
  /** The element's id. */
  id?: string;
  /** The element's class. */
  className?: string;
  /** The element's inline style (a strict CSP allows it: React sets it through the CSSOM). */
  style?: CSSProperties;
  /** The element's title (tooltip). */
  title?: string;
  /** The element's hidden attribute. */
  hidden?: boolean;
  /** Light-DOM children: an element with `slot="title"` or `slot="hint"` replaces the drop zone's text. */
  children?: ReactNode;
}

/**
 * The `<presigned-upload>` element as a React component. Its ref is the
 * element (`addFiles()`, `choose()`).
 *
 * @example
 * ```tsx
 * import { PresignedUpload } from "presigned-upload/react";
 *
 * function Photos() {
 *   const widget = useRef<PresignedUploadElement>(null);
 *   return (
 *     <PresignedUpload ref={widget} fileType="photos" accept="image/*" multiple
 *       getToken={() => fetch("/session/upload-token").then((r) => r.text())}
 *       onUploadComplete={(e) => console.log(e.detail.result.key)} />
 *   );
 * }
 * ```
 */
export declare const PresignedUpload: ForwardRefExoticComponent<PresignedUploadProps & RefAttributes<PresignedUploadElement>>;

/**
 * Options of `useUploader()`: those of `new Uploader()`. They are read once,
 * when the component mounts, except `getToken`: the latest one is called.
 *
 * @example
 * ```ts
 * const options: UseUploaderOptions = { endpoint: "https://signer.example.com", maxConcurrentFiles: 2 };
 * ```
 */
export type UseUploaderOptions = UploaderOptions;

/**
 * One file the hook uploads or uploaded.
 *
 * @example
 * ```tsx
 * const row = (f: UploaderFile) => <li key={f.id}>{f.state} {Math.round((f.progress?.fraction ?? 0) * 100)}%</li>;
 * ```
 */
export interface UploaderFile {
  /** Unique among the hook's files (a React key). */
  id: number;
  /** The file (or blob) as given. */
  file: Blob;
  /** Where its upload is. */
  state: UploadState;
  /** Its latest progress; `null` until the first report. */
  progress: UploadProgress | null;
  /** Once stored. */
  result: UploadResult | null;
  /** Why it failed (or was cancelled). */
  error: UploadError | null;
}

/**
 * What `useUploader()` returns.
 *
 * @example
 * ```ts
 * const percent = (u: UseUploaderResult) => Math.round(u.progress.fraction * 100);
 * ```
 */
export interface UseUploaderResult {
  /** The Uploader, once the wasm has loaded (`null` before, and on the server). */
  uploader: Uploader | null;
  /** `uploader !== null`: `upload` and `uploadAll` may be called. */
  ready: boolean;
  /** Why the wasm could not load, if it could not. */
  loadError: unknown;
  /** Every file uploaded through the hook, in order (until `clear()`). */
  files: UploaderFile[];
  /** Bytes stored over bytes of every file, and their ratio (0 to 1). */
  progress: { loaded: number; total: number; fraction: number };
  /** Some file has not ended yet. */
  busy: boolean;
  /** The errors of the files that failed or were cancelled. */
  errors: UploadError[];
  /** Uploads one file (`uploader.start`); rejects with an `UploadError`. Throws if not `ready`. */
  upload(file: Blob, options: UploadOptions | string): Promise<UploadResult>;
  /** Uploads many files through the queue (`uploader.uploadAll`). Throws if not `ready`. */
  uploadAll(files: Iterable<Blob> | ArrayLike<Blob>, options: BatchOptions | string): Promise<BatchResult>;
  /** Cancels every running upload. */
  cancel(): void;
  /** Forgets the files that have ended. */
  clear(): void;
}

/**
 * An Uploader for the component's lifetime, with its uploads as React
 * state. The wasm loads when the component mounts; on unmount, running
 * uploads are cancelled and the Uploader freed.
 *
 * @example
 * ```tsx
 * import { useUploader } from "presigned-upload/react";
 *
 * function Attach() {
 *   const { ready, uploadAll, files, progress, errors } = useUploader({ getToken: async () => "jwt" });
 *   return (
 *     <>
 *       <input type="file" multiple disabled={!ready}
 *         onChange={(e) => void uploadAll(e.currentTarget.files ?? [], "docs")} />
 *       <progress value={progress.fraction} />
 *       <ul>{files.map((f) => <li key={f.id}>{f.state}</li>)}</ul>
 *       {errors.map((e, i) => <p key={i}>{e.message}</p>)}
 *     </>
 *   );
 * }
 * ```
 */
export declare function useUploader(options?: UseUploaderOptions): UseUploaderResult;
