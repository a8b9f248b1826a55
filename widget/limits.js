// What files the element takes before anything is sent: the `accept` list
// (extensions, MIME types, `type/*` wildcards) and the largest size
// (`max-size`). For each refused file it says which limit refused it and
// with what values; the element words that and shows it in the file's row.

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

/** A byte-count attribute's value: a number, `null` when absent, `NaN` when not a number. */
export function byteCount(raw) {
  if (raw == null) return null;
  const n = Number(raw);
  return raw.trim() !== "" && Number.isFinite(n) && n >= 0 ? n : NaN;
}

// The byte-count attributes and their names in the limits.
const BYTE_LIMITS = [["max-size", "maxSize"]];

/**
 * The element's limits as its attributes say: `{ accept, maxSize }`, and
 * `invalid`, `{ attribute, value }`, the first byte count that is no number.
 */
export function readLimits(element) {
  const limits = { accept: element.getAttribute("accept") ?? "", invalid: null };
  for (const [attribute, name] of BYTE_LIMITS) {
    const value = element.getAttribute(attribute);
    const n = byteCount(value);
    if (Number.isNaN(n)) limits.invalid ??= { attribute, value };
    limits[name] = Number.isNaN(n) ? null : n;
  }
  return limits;
}

/**
 * Why `file` is refused under `limits` (readLimits), or `null`:
 * `{ limit, code, values }`, where `limit` names the attribute (or is
 * `"attribute"` for an invalid one, which refuses every file), `code` is
 * the UploadError code the refusal carries and `values` fill its message.
 */
export function refusal(file, limits) {
  if (limits.invalid) return { limit: "attribute", code: "bad_request", values: limits.invalid };
  if (limits.maxSize !== null && file.size > limits.maxSize) {
    return { limit: "max-size", code: "too_large", values: { size: file.size, max: limits.maxSize } };
  }
  if (!accepts(limits.accept, file)) return { limit: "accept", code: "unsupported_type", values: { accept: limits.accept } };
  return null;
}
