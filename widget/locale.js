// Which words the widget uses: the locales it knows (English and Spanish
// ship with it, `addLocale` adds more), the one an element speaks (its
// `locale` property, else its language: its own or nearest `lang`), and
// the Translator that turns a key and its values into text, with plurals
// by Intl.PluralRules and numbers by format.js.
import en from "./locales/en.js";
import es from "./locales/es.js";
import { formatBytes, formatDuration, formatPercent, formatRate } from "./format.js";

const known = new Map();

/** Makes `locale` (`{ lang, messages }`) the one for its language tag. */
export function addLocale(locale) {
  if (!locale || typeof locale.lang !== "string" || typeof locale.messages !== "object") {
    throw new TypeError("a locale is { lang: string, messages: object }");
  }
  known.set(locale.lang.toLowerCase(), locale);
}
addLocale(en);
addLocale(es);

/** The known locale of a language tag (`es-MX` finds `es`), or English. */
export function localeFor(tag) {
  const lang = (tag || "en").toLowerCase();
  return known.get(lang) ?? known.get(lang.split("-")[0]) ?? en;
}

export class Translator {
  /**
   * `locale`: `{ lang, messages }`; its missing keys come from the known
   * locale of its language, then from English.
   */
  constructor(locale = en) {
    this.locale = locale;
    this.lang = locale.lang || "en";
    const base = localeFor(this.lang);
    this.messages = { ...en.messages, ...(base === locale ? {} : base.messages), ...locale.messages };
    try {
      this.plurals = new Intl.PluralRules(this.lang);
    } catch {
      this.lang = "en";
      this.plurals = new Intl.PluralRules("en");
    }
  }

  /** The message `key` with `values` in its `{placeholders}`. */
  text(key, values = {}) {
    let message = this.messages[key] ?? key;
    if (typeof message === "object") {
      message = message[this.plurals.select(Number(values.count))] ?? message.other ?? "";
    }
    return String(message).replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
  }

  bytes(n) { return formatBytes(n, this.lang); }
  rate(bytesPerSecond) { return formatRate(bytesPerSecond, this.lang); }
  percent(percent) { return formatPercent(percent, this.lang); }

  /** `"8 sec left"`; `""` while unknown. */
  timeLeft(seconds) {
    const time = formatDuration(seconds, this.lang);
    return time ? this.text("row.eta", { time }) : "";
  }
}
