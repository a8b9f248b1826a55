// Numbers as the user reads them, in the locale's language: sizes, rates
// and time left with Intl.NumberFormat's units ("1.5 MB", "1,5 MB/s",
// "8 sec"), percentages, and the one-bar fraction of an upload. The
// formatters are made once per language and kept.

const formatters = new Map();

/** The Intl.NumberFormat of `lang` with `options`, made once. */
function numberFormat(lang, options) {
  const id = `${lang}|${JSON.stringify(options)}`;
  let format = formatters.get(id);
  if (!format) {
    format = new Intl.NumberFormat(lang, options);
    formatters.set(id, format);
  }
  return format;
}

// Decimal units, as file managers show them: the unit and fraction digits
// for a number of bytes. Below a kilobyte the long name ("500 bytes"):
// English's short one is "byte" whatever the number.
const SCALES = [
  [1e9, "gigabyte", 2, "short"],
  [1e6, "megabyte", 1, "short"],
  [1e3, "kilobyte", 1, "short"],
];

function scaled(n, lang, perSecond) {
  const [divisor, unit, digits, display] = SCALES.find(([d]) => n >= d) ?? [1, "byte", 0, "long"];
  return numberFormat(lang, {
    style: "unit",
    unit: perSecond ? `${unit}-per-second` : unit,
    unitDisplay: display,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(n / divisor);
}

/** `1234567` → `"1.2 MB"` in English, `"1,2 MB"` in Spanish. */
export function formatBytes(n, lang = "en") {
  return scaled(n, lang, false);
}

/** Bytes per second as `"12.3 MB/s"`; `""` while unknown. */
export function formatRate(bytesPerSecond, lang = "en") {
  return bytesPerSecond > 0 ? scaled(Math.round(bytesPerSecond), lang, true) : "";
}

/** Seconds as `"8 sec"`, `"3 min"`, `"1.5 hr"`; `""` while unknown. */
export function formatDuration(seconds, lang = "en") {
  if (seconds == null || !Number.isFinite(seconds)) return "";
  const unit = (name, value, digits = 0) =>
    numberFormat(lang, { style: "unit", unit: name, unitDisplay: "short", maximumFractionDigits: digits }).format(value);
  if (seconds < 60) return unit("second", Math.max(1, Math.ceil(seconds)));
  if (seconds < 3600) return unit("minute", Math.ceil(seconds / 60));
  return unit("hour", Math.round(seconds / 360) / 10, 1);
}

/** A whole percentage (`45` → `"45%"`, `"45 %"` in Spanish). */
export function formatPercent(percent, lang = "en") {
  return numberFormat(lang, { style: "percent", maximumFractionDigits: 0 }).format(percent / 100);
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
