// What the widget shows in words and numbers: sizes, rates, time left, the
// overall fraction of an upload, and whether a file matches `accept`.

/** `1234567` → `"1.2 MB"` (decimal units, as file managers show them). */
export function formatBytes(n) {
  if (n >= 1e9) return (n / 1e9).toFixed(2) + " GB";
  if (n >= 1e6) return (n / 1e6).toFixed(1) + " MB";
  if (n >= 1e3) return (n / 1e3).toFixed(1) + " kB";
  return n + " B";
}

/** Bytes per second as `"12.3 MB/s"`; `""` while unknown. */
export function formatRate(bytesPerSecond) {
  return bytesPerSecond > 0 ? formatBytes(Math.round(bytesPerSecond)) + "/s" : "";
}

/** Seconds left as `"8 s left"` / `"3 min left"`; `""` while unknown. */
export function formatEta(seconds) {
  if (seconds == null || !Number.isFinite(seconds)) return "";
  if (seconds < 60) return Math.max(1, Math.ceil(seconds)) + " s left";
  if (seconds < 3600) return Math.ceil(seconds / 60) + " min left";
  return (seconds / 3600).toFixed(1) + " h left";
}

/**
 * One bar for the whole job: a single PUT's hashing takes the first 10 %, the
 * transfer the rest (a multipart upload hashes while it sends, so it goes
 * from signing straight to its transfer). 0..1.
 */
export function overallFraction({ phase, fraction }) {
  switch (phase) {
    case "hashing": return 0.1 * fraction;
    case "signing": return 0.1;
    case "uploading": return 0.1 + 0.9 * fraction;
    default: return 1;
  }
}

/** The words for an upload's phase. */
export const PHASE_LABELS = {
  hashing: "Computing SHA-256",
  signing: "Requesting upload URLs",
  uploading: "Uploading",
  verifying: "Verifying",
  done: "Done",
};

/** Why a started upload waits (`progress.waiting.reason`), in words. */
export const WAIT_LABELS = {
  rate_limited: "too many requests",
  open_uploads: "other uploads must finish first",
  busy: "storage busy",
};

/**
 * Whether `file` matches an `accept` attribute as `<input type=file>` reads it:
 * comma-separated `.ext`, `type/subtype` and `type/*` tokens; empty accepts all.
 */
export function accepts(accept, file) {
  const tokens = (accept ?? "").split(",").map((t) => t.trim().toLowerCase()).filter(Boolean);
  if (tokens.length === 0) return true;
  const name = file.name.toLowerCase();
  const type = (file.type || "").toLowerCase();
  return tokens.some((t) => {
    if (t.startsWith(".")) return name.endsWith(t);
    if (t.endsWith("/*")) return type.startsWith(t.slice(0, -1));
    return type === t;
  });
}
