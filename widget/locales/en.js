// The widget's English words: every string it shows or announces, by key.
// `{name}`-style placeholders are filled in; a message given as an object
// is chosen by Intl.PluralRules from its `count` (`one`, `other`, and for
// other languages `zero`, `two`, `few`, `many`). Other languages copy these
// keys (locales/es.js); a key they leave out falls back to this file.
export default {
  lang: "en",
  messages: {
    "zone.title.one": "Drop a file here",
    "zone.title.many": "Drop files here",
    "zone.hint": "or click, or press Enter, to choose",
    "zone.hint.limits": "or click, or press Enter, to choose ({limits})",
    "limit.max-size": "up to {size}",
    "list.label": "Uploads",

    "announce.loadFailed": "The uploader could not load: {message}",
    "announce.oneAtATime": "One file at a time: {count} more not added.",
    "announce.uploaded": "{name} uploaded.",
    "announce.cancelled": "{name}: cancelled.",
    "announce.failed": "{name} failed: {message}",
    "announce.ended": "{done} of {total} uploaded.",
    "announce.endedFailed": "{done} of {total} uploaded, {failed} failed.",

    "state.queued": "Waiting",
    "state.hashing": "Computing SHA-256",
    "state.uploading": "Uploading",
    "state.paused": "Paused",
    "state.completing": "Completing",
    "state.done": "Uploaded",
    "state.failed": "Failed",
    "state.aborted": "Cancelled",

    "phase.hashing": "Computing SHA-256",
    "phase.signing": "Requesting upload URLs",
    "phase.uploading": "Uploading",
    "phase.verifying": "Verifying",
    "phase.done": "Done",

    "wait.reason": "Waiting: {reason}",
    "wait.rate_limited": "too many requests",
    "wait.open_uploads": "other uploads must finish first",
    "wait.busy": "storage busy",

    "row.progress": "Upload of {name}",
    "row.parts": "part {done}/{total}",
    "row.eta": "{time} left",
    "row.download": "Download",
    "row.download.named": "Download {name}",

    "button.pause": "Pause",
    "button.pause.named": "Pause {name}",
    "button.resume": "Resume",
    "button.resume.named": "Resume {name}",
    "button.cancel": "Cancel",
    "button.cancel.named": "Cancel {name}",
    "button.retry": "Retry",
    "button.retry.named": "Retry {name}",
    "button.remove": "Remove",
    "button.remove.named": "Remove {name}",

    "error.line": "{title}: {message}",
    "error.default": "Upload failed",
    "error.network": "Network error",
    "error.expired": "Upload link expired",
    "error.forbidden": "Not allowed",
    "error.unauthorized": "Not signed in",
    "error.not_found": "Not found",
    "error.too_large": "File too large",
    "error.quota_exceeded": "Storage quota exceeded",
    "error.unsupported_type": "File type not allowed",
    "error.checksum_mismatch": "Checksum mismatch",
    "error.server": "Server error",
    "error.rate_limited": "Too many requests",
    "error.bad_request": "Rejected",

    "refuse.max-size": "{name} is {size}; the limit is {max}.",
    "refuse.accept": "{name} is not an accepted type ({accept}).",
    "refuse.attribute": "the {attribute} attribute \"{value}\" is not a number of bytes",

    "summary.label": "All uploads",
    "summary.uploaded": "{done} of {total} uploaded",
    "summary.failed": "{count} failed",
    "summary.aborted": "{count} cancelled",
    "summary.waiting": "{count} waiting",
    "summary.retryFailed": "Retry failed",
    "summary.cancelAll": "Cancel all",
    "more.waiting": "and {count} more waiting",
  },
};
