// presigned-upload/react compiled with `tsc --strict` (tests/package/): the
// component and the hook as a React app uses them, and misuses that must not
// compile.
import { useRef, type RefObject } from "react";
import { PresignedUpload, useUploader, type PresignedUploadProps, type UploaderFile, type UseUploaderResult } from "presigned-upload/react";
import type { PresignedUploadElement, UploadCompleteDetail } from "presigned-upload/widget";
import type { BatchResult, UploadError, UploadResult } from "presigned-upload";

export function Widget({ token }: { token: string }) {
  const ref = useRef<PresignedUploadElement>(null);
  const props: PresignedUploadProps = { accept: "image/*", maxSize: 10_000_000 };
  return (
    <PresignedUpload
      {...props}
      ref={ref}
      id="photos"
      className="uploader"
      style={{ maxWidth: "40rem" }}
      aria-label="Photos"
      endpoint="https://signer.example.com"
      fileType="photos"
      multiple
      getToken={async () => token}
      uploaderOptions={{ workers: 2, maxConcurrentFiles: 2 }}
      uploadOptions={{ concurrency: 4, wholeFileSha256: true }}
      onUploadStart={(e) => e.detail.file.size > 1e9 && e.preventDefault()}
      onUploadProgress={(e) => console.log(e.detail.progress.fraction)}
      onUploadComplete={(e) => {
        const detail: UploadCompleteDetail = e.detail;
        console.log(detail.result.key, detail.downloadUrl ?? "", ref.current?.multiple);
      }}
      onUploadError={(e) => console.log(e.detail.error.code)}
    >
      <span slot="hint">Photos only</span>
    </PresignedUpload>
  );
}

export function Hook() {
  const hook: UseUploaderResult = useUploader({ endpoint: "https://signer.example.com", getToken: () => "jwt", workers: 2 });
  const { ready, files, progress, errors, busy, upload, uploadAll, cancel, clear, uploader } = hook;
  const one = async (file: File): Promise<string> => (await upload(file, { fileType: "docs", partSize: 8 * 1024 * 1024 })).key;
  const many = async (list: FileList): Promise<number> => {
    const done: BatchResult = await uploadAll(list, "docs");
    return done.files.filter((f) => f.state === "done").length;
  };
  const first: UploadResult | null = files[0]?.result ?? null;
  const failures: UploadError[] = errors;
  return (
    <div data-ready={ready} data-busy={busy}>
      <input type="file" onChange={(e) => void (e.currentTarget.files && many(e.currentTarget.files))} />
      <button onClick={() => void one(new File(["x"], "x.txt"))}>One</button>
      <button onClick={cancel}>Cancel</button>
      <button onClick={clear}>Clear</button>
      <progress value={progress.fraction} max={1} />
      <p>{progress.loaded} / {progress.total} {first?.key} {failures.length} {uploader ? "ready" : "loading"}</p>
      <ul>
        {files.map((f: UploaderFile) => (
          <li key={f.id}>{f.state} {f.progress?.bytesPerSecond ?? 0} {f.error?.code ?? ""}</li>
        ))}
      </ul>
    </div>
  );
}

// Misuse that must not compile.
// @ts-expect-error: multiple is a boolean
export const badMultiple = <PresignedUpload multiple="yes" />;
// @ts-expect-error: event details are typed
export const badDetail = <PresignedUpload onUploadComplete={(e) => e.detail.nope} />;
// @ts-expect-error: widget upload options take no fileType (the prop sets it)
export const badUploadOptions = <PresignedUpload uploadOptions={{ fileType: "x" }} />;
// @ts-expect-error: the ref is the element, not an input
export const badRef = (r: RefObject<HTMLInputElement | null>) => <PresignedUpload ref={r} />;
export function BadHook() {
  const { upload } = useUploader();
  // @ts-expect-error: upload needs a file type
  void upload(new Blob([]));
  // @ts-expect-error: workers is a number
  useUploader({ workers: "2" });
  return null;
}
