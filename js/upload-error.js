// The class of every error the uploader rejects with. src/upload_error.rs
// constructs it and re-exports it from the package's main module, so that
// `err instanceof UploadError` holds for errors from any of its functions.
export class UploadError extends Error {
  constructor(code, message, status) {
    super(message);
    this.name = "UploadError";
    this.code = code;
    if (status !== undefined) this.status = status;
  }
}
