// Uploads a reload (or a crash) left unfinished, offered again as rows.
// The Uploader saves each multipart upload until it ends
// (uploader.listResumable() lists them); a row of one asks for its file
// again, since a page cannot read a file the user has not given it. The
// same file (name, size and date) then takes the row's place and the
// Uploader resumes it from the parts the store holds; "Discard" aborts the
// upload at the signer. This module decides which saved uploads get a row
// and whether a file is the one a row asks for; the element draws them.
import { ENDED, fileRecord } from "./file-row.js";

/** Whether `file` is the file `saved` (from listResumable) was made from. */
export function isSameFile(saved, file) {
  return file.name === saved.name && file.size === saved.size && file.lastModified === saved.lastModified;
}

/**
 * The record of a row for `saved`: a stand-in for the file (its name,
 * size and date, no bytes) until the user chooses it again; its bar shows
 * the bytes already stored.
 */
export function resumableRecord(saved) {
  const file = { name: saved.name, size: saved.size, lastModified: saved.lastModified, type: "" };
  const fraction = saved.size > 0 ? saved.bytesStored / saved.size : 0;
  return fileRecord(file, null, "resumable", { saved, fraction, retryable: false });
}

/**
 * Which of `saved` need a new row, given the element's `records`: not one
 * with a row already, nor one whose file is in the list and not ended (it
 * is being uploaded, so resumed, already).
 */
export function unshown(saved, records) {
  return saved.filter((s) => !records.some((r) =>
    r.saved?.id === s.id || (r.state !== "resumable" && !ENDED.has(r.state) && isSameFile(s, r.file))));
}
