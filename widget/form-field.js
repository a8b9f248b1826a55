// The element as a form control, through ElementInternals: its value is
// the keys of its stored files, one entry per file under its `name`; it
// is invalid while files upload or wait (a form sent then would miss
// them), while files are held for Start, and when it is `required` and
// holds no stored file. The element calls update() when that may change.

export class FormField {
  #internals;

  /** `host`: the form-associated element (outside a browser: none). */
  constructor(host) {
    this.#internals = host.attachInternals?.() ?? null;
  }

  /** Its ElementInternals (`form`, `validity`, `checkValidity()`, …), or `null`. */
  get internals() {
    return this.#internals;
  }

  /**
   * `state`: `{ name, keys, required, busy, ready }`: its `name`, the
   * stored files' keys, whether it is required, how many files upload or
   * wait, how many are held for Start. `anchor`: what the browser points
   * at when it reports the error; `t`: the Translator of the message.
   */
  update({ name, keys, required, busy, ready }, anchor, t) {
    const internals = this.#internals;
    if (!internals) return;
    let value = null;
    if (name && keys.length > 0) {
      value = new FormData();
      for (const key of keys) value.append(name, key);
    }
    internals.setFormValue(value);
    const [flags, message] = busy > 0 ? [{ customError: true }, "form.busy"]
      : ready > 0 ? [{ customError: true }, "form.ready"]
      : required && keys.length === 0 ? [{ valueMissing: true }, "form.required"]
      : [{}, null];
    if (message) internals.setValidity(flags, t.text(message, { count: busy || ready }), anchor);
    else internals.setValidity({});
  }
}
