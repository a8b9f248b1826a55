// The line above the widget's rows once it holds more than one file: an
// overall progress bar, "12 of 250 uploaded" with what failed, waits and how
// fast it goes, and the buttons that act on every file (Retry failed,
// Cancel all), in the words of the element's Translator. Drawn from counts
// the element computes; it keeps nothing.

const template = () => {
  const div = document.createElement("div");
  div.className = "summary";
  div.setAttribute("part", "summary");
  div.hidden = true;
  div.innerHTML = `
    <div class="summary-head">
      <span class="summary-text" part="summary-text"></span>
      <span class="summary-detail" part="summary-detail"></span>
    </div>
    <div class="progress" part="summary-progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="0">
      <div class="value" part="summary-progress-value"></div>
    </div>
    <div class="summary-actions" part="summary-actions">
      <button type="button" class="retry-failed" part="button retry-failed"></button>
      <button type="button" class="cancel-all" part="button cancel-all"></button>
    </div>`;
  return div;
};

export class UploadSummary {
  /** `act(action)`: what its buttons do (`"retry-failed"`, `"cancel-all"`). */
  constructor(act) {
    this.element = template();
    const $ = (cls) => this.element.querySelector("." + cls);
    this.parts = {
      text: $("summary-text"), detail: $("summary-detail"), bar: $("progress"), value: $("value"),
      retry: $("retry-failed"), cancel: $("cancel-all"),
    };
    this.parts.retry.addEventListener("click", () => act("retry-failed"));
    this.parts.cancel.addEventListener("click", () => act("cancel-all"));
  }

  /** Labels its bar and buttons in the words of `t` (a Translator). */
  translate(t) {
    this.t = t;
    this.parts.bar.setAttribute("aria-label", t.text("summary.label"));
    this.parts.retry.textContent = t.text("summary.retryFailed");
    this.parts.cancel.textContent = t.text("summary.cancelAll");
  }

  /**
   * `counts`: `{ rows, total, done, failed, aborted, ready, resumable,
   * waiting, running, refused, fraction, bytesPerSecond, etaSeconds,
   * retryable }`, where `total` counts the uploads (refused files are
   * none) and `rows` the files (resumable uploads are none until their
   * file is chosen again); shown while the element holds more than one
   * file (`rows > 1`).
   */
  update(counts) {
    const { text, detail, bar, value, retry, cancel } = this.parts;
    const t = this.t;
    this.element.hidden = counts.rows < 2;
    if (this.element.hidden) return;
    const ended = counts.done + counts.failed + counts.aborted;
    text.textContent = t.text("summary.uploaded", { done: counts.done, total: counts.total });
    const moving = counts.running > 0;
    const count = (key, n) => (n ? t.text(key, { count: n }) : "");
    detail.textContent = [
      count("summary.failed", counts.failed),
      count("summary.aborted", counts.aborted),
      count("summary.ready", counts.ready),
      count("summary.resumable", counts.resumable),
      count("summary.waiting", counts.waiting),
      count("summary.refused", counts.refused),
      moving ? t.rate(counts.bytesPerSecond) : "",
      moving && ended < counts.total ? t.timeLeft(counts.etaSeconds) : "",
    ].filter(Boolean).join(" · ");
    const percent = Math.floor(counts.fraction * 100);
    value.style.width = `${counts.fraction * 100}%`;
    bar.setAttribute("aria-valuenow", String(percent));
    bar.setAttribute("aria-valuetext", [text.textContent, detail.textContent].filter(Boolean).join(", "));
    retry.hidden = counts.retryable === 0;
    cancel.hidden = counts.running + counts.waiting === 0;
  }
}
