// What files the element takes before anything is sent: the `accept` list
// (extensions, MIME types, `type/*` wildcards), each file's size
// (`min-size`, `max-size`), how many files it holds (`max-files`) and how
// many bytes in all (`max-total-size`). For each refused file it says
// which limit refused it and with what values; the element words that and
// shows it in the file's row.

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

/** A count attribute's value: a number, `null` when absent, `NaN` when not a whole number ≥ 0. */
export function count(raw, whole = false) {
  if (raw == null) return null;
  const n = Number(raw);
  const ok = raw.trim() !== "" && Number.isFinite(n) && n >= 0 && (!whole || Number.isInteger(n));
  return ok ? n : NaN;
}

// The limits' attributes, their names in the limits, and whether they count files (else bytes).
export const LIMITS = [
  ["max-size", "maxSize", false],
  ["min-size", "minSize", false],
  ["max-total-size", "maxTotalSize", false],
  ["max-files", "maxFiles", true],
];

/**
 * The element's limits as its attributes say: `{ accept, maxSize, minSize,
 * maxTotalSize, maxFiles }` (`null`: none), and `invalid`, `{ attribute,
 * value }`, the first one that is no number.
 */
export function readLimits(element) {
  const limits = { accept: element.getAttribute("accept") ?? "", invalid: null };
  for (const [attribute, name, whole] of LIMITS) {
    const value = element.getAttribute(attribute);
    const n = count(value, whole);
    if (Number.isNaN(n)) limits.invalid ??= { attribute, value };
    limits[name] = Number.isNaN(n) ? null : n;
  }
  return limits;
}

/** Why one file is refused on its own (its size, its type), or `null`. */
function ownRefusal(file, limits) {
  if (limits.invalid) return { limit: "attribute", code: "bad_request", values: limits.invalid };
  if (limits.maxSize !== null && file.size > limits.maxSize) {
    return { limit: "max-size", code: "too_large", values: { size: file.size, max: limits.maxSize } };
  }
  if (limits.minSize !== null && file.size < limits.minSize) {
    return { limit: "min-size", code: "bad_request", values: { size: file.size, min: limits.minSize } };
  }
  if (!accepts(limits.accept, file)) return { limit: "accept", code: "unsupported_type", values: { accept: limits.accept } };
  return null;
}

/**
 * Why `file` is refused under `limits` (readLimits), or `null`, `held`
 * being what the element holds besides it (`{ files, bytes }`): `{ limit,
 * code, values }`, where `limit` names the attribute (`"attribute"`: an
 * invalid one, which refuses every file), `code` is the UploadError code
 * the refusal carries and `values` fill its message.
 */
export function refusal(file, limits, held = { files: 0, bytes: 0 }) {
  const own = ownRefusal(file, limits);
  if (own) return own;
  if (limits.maxFiles !== null && held.files + 1 > limits.maxFiles) {
    return { limit: "max-files", code: "bad_request", values: { count: limits.maxFiles } };
  }
  const total = held.bytes + file.size;
  if (limits.maxTotalSize !== null && total > limits.maxTotalSize) {
    return { limit: "max-total-size", code: "too_large", values: { total, max: limits.maxTotalSize } };
  }
  return null;
}
