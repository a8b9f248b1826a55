// Small previews of image files for their rows, made off the page's
// thread: createImageBitmap decodes and scales the file in the browser's
// image decoder (its resize options), an OffscreenCanvas fits the small
// bitmap in a square and encodes it (convertToBlob, also off the page's
// thread), and the row shows it through an object URL. Memory stays
// bounded: only image types up to MAX_BYTES are read, AT_ONCE at a time;
// a preview is a few kilobytes; at most MAX_KEPT are kept, the oldest's
// URL revoked when a new one needs room, and a row's when it goes away.

const SIDE = 96; // a preview's longest side in pixels (shown at 48 CSS pixels)
const MAX_KEPT = 60;
const MAX_BYTES = 20 * 1024 * 1024;
const AT_ONCE = 2;
// What browsers decode; SVG (a document, not pixels) and HEIC are left out.
const TYPES = /^image\/(png|jpeg|gif|webp|avif|bmp|x-icon|vnd\.microsoft\.icon)$/;

/** Whether `file` gets a preview here. */
export function previewable(file) {
  return TYPES.test(file.type) && file.size <= MAX_BYTES &&
    typeof createImageBitmap === "function" && typeof OffscreenCanvas === "function";
}

/** The preview of `file` as a small WebP blob, or `null` when it cannot be decoded. */
async function preview(file) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { resizeHeight: SIDE, resizeQuality: "medium" });
    const scale = Math.min(1, SIDE / bitmap.width);
    const canvas = new OffscreenCanvas(Math.max(1, Math.round(bitmap.width * scale)), Math.max(1, Math.round(bitmap.height * scale)));
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    return await canvas.convertToBlob({ type: "image/webp", quality: 0.8 });
  } catch {
    return null;
  } finally {
    bitmap?.close();
  }
}

export class Thumbnails {
  #urls = new Map(); // key -> object URL, oldest first
  #asked = new Map(); // key -> the promise of its URL, while wanted
  #queue = [];
  #running = 0;

  /** Resolves with an object URL of the preview of `file`, kept under `key`; `null` for none. */
  request(key, file) {
    if (!previewable(file)) return Promise.resolve(null);
    let asked = this.#asked.get(key);
    if (!asked) {
      asked = new Promise((resolve) => this.#queue.push({ key, file, resolve }));
      this.#asked.set(key, asked);
      this.#next();
    }
    return asked;
  }

  /** Forgets the preview of `key`: its URL is revoked (its image, once shown, stays). */
  release(key) {
    this.#asked.delete(key);
    const url = this.#urls.get(key);
    if (url) URL.revokeObjectURL(url);
    this.#urls.delete(key);
  }

  /** Forgets every preview. */
  clear() {
    for (const key of [...this.#asked.keys(), ...this.#urls.keys()]) this.release(key);
  }

  async #next() {
    if (this.#running >= AT_ONCE || this.#queue.length === 0) return;
    const { key, file, resolve } = this.#queue.shift();
    if (!this.#asked.has(key)) return this.#next(); // released while it waited
    this.#running++;
    const blob = await preview(file);
    this.#running--;
    resolve(blob && this.#asked.has(key) ? this.#keep(key, URL.createObjectURL(blob)) : null);
    this.#next();
  }

  #keep(key, url) {
    this.#urls.set(key, url);
    for (const [old] of this.#urls) {
      if (this.#urls.size <= MAX_KEPT) break;
      this.release(old);
    }
    return url;
  }
}
