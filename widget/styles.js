// The widget's shadow stylesheet. Every colour and size is a CSS custom
// property with a default for light and one for dark (prefers-color-scheme),
// so a page themes it by setting `--pu-*` on the element (or inside its own
// media query); every element worth styling has a `part` for `::part()`.

export const STYLES = `
:host {
  --_font: var(--pu-font, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif);
  --_radius: var(--pu-radius, 10px);
  --_gap: var(--pu-gap, 0.75rem);
  --_bg: var(--pu-bg, #ffffff);
  --_fg: var(--pu-fg, #1d2330);
  --_muted: var(--pu-muted, #4f5a6b);
  --_border: var(--pu-border, #b9c2d0);
  --_accent: var(--pu-accent, #1d4ed8);
  --_accent-soft: var(--pu-accent-soft, #e6edfd);
  --_track: var(--pu-track, #e3e7ee);
  --_ok: var(--pu-success, #166534);
  --_err: var(--pu-error, #b42318);
  --_focus: var(--pu-focus, #1d4ed8);
  display: block;
  box-sizing: border-box;
  font-family: var(--_font);
  font-size: var(--pu-font-size, 1rem);
  line-height: 1.4;
  color: var(--_fg);
  background: var(--_bg);
  border-radius: var(--_radius);
  color-scheme: light;
}
@media (prefers-color-scheme: dark) {
  :host {
    --_bg: var(--pu-bg, #181c24);
    --_fg: var(--pu-fg, #e7eaf0);
    --_muted: var(--pu-muted, #a9b2c3);
    --_border: var(--pu-border, #465064);
    --_accent: var(--pu-accent, #8cb4ff);
    --_accent-soft: var(--pu-accent-soft, #1f2c47);
    --_track: var(--pu-track, #2c3342);
    --_ok: var(--pu-success, #5fd38d);
    --_err: var(--pu-error, #ff9b92);
    --_focus: var(--pu-focus, #8cb4ff);
    color-scheme: dark;
  }
}
:host([hidden]) { display: none; }
*, *::before, *::after { box-sizing: inherit; }
.root[inert] { opacity: 0.55; }
[hidden] { display: none !important; }

.dropzone {
  display: flex;
  flex-direction: column;
  align-items: center;
  gap: 0.3rem;
  padding: 1.8rem 1rem;
  border: 2px dashed var(--_border);
  border-radius: var(--_radius);
  color: var(--_muted);
  text-align: center;
  cursor: pointer;
  transition: border-color 120ms, background-color 120ms;
}
.dropzone:hover, .dropzone[data-dragging] {
  border-color: var(--_accent);
  background: var(--_accent-soft);
}
.dropzone:focus-visible {
  outline: 3px solid var(--_focus);
  outline-offset: 2px;
  border-color: var(--_accent);
}
.dropzone svg { color: var(--_accent); }
.title { color: var(--_fg); font-weight: 600; font-size: 1.05em; }
.input {
  position: absolute;
  width: 1px;
  height: 1px;
  overflow: hidden;
  clip: rect(0 0 0 0);
  white-space: nowrap;
}

.sources { display: flex; justify-content: center; gap: 0.4rem; margin: 0.5rem 0 0; }
.status { margin: 0.5rem 0 0; min-height: 1.4em; color: var(--_muted); font-size: 0.9em; }
.status:empty { display: none; }

.summary {
  margin: var(--_gap) 0 0;
  padding: 0.75rem 0.9rem;
  border: 1px solid var(--_border);
  border-radius: var(--_radius);
  display: grid;
  gap: 0.4rem;
}
.summary-head { display: flex; flex-wrap: wrap; gap: 0.25rem 0.75rem; align-items: baseline; }
.summary-text { font-weight: 600; font-variant-numeric: tabular-nums; }
.summary-detail { color: var(--_muted); font-size: 0.9em; font-variant-numeric: tabular-nums; }
.summary-actions { display: flex; gap: 0.4rem; justify-content: flex-end; }
.summary-actions:not(:has(button:not([hidden]))) { display: none; }
button.cancel-all:hover { border-color: var(--_err); color: var(--_err); }
.review { display: flex; justify-content: flex-end; margin: var(--_gap) 0 0; }
button.start, button.start:hover {
  background: var(--_accent);
  border-color: var(--_accent);
  color: var(--_bg);
  font-weight: 600;
  padding: 0.4rem 1rem;
}
.more { margin: 0.5rem 0 0; color: var(--_muted); font-size: 0.9em; }
.more:empty { display: none; }

.list { list-style: none; margin: var(--_gap) 0 0; padding: 0; display: grid; gap: var(--_gap); }
.list:empty { display: none; }

.file {
  padding: 0.75rem 0.9rem;
  border: 1px solid var(--_border);
  border-radius: var(--_radius);
  display: grid;
  gap: 0.4rem;
}
.head { display: flex; gap: 0.75rem; align-items: baseline; min-width: 0; }
.thumb {
  width: 3rem;
  height: 3rem;
  flex: none;
  align-self: center;
  object-fit: contain;
  border-radius: 4px;
  background: var(--_track);
}
.label { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; flex: 1; min-width: 0; }
.name { font-weight: 600; }
.path { color: var(--_muted); }
.size { color: var(--_muted); font-size: 0.9em; font-variant-numeric: tabular-nums; white-space: nowrap; }

.progress {
  height: 0.55rem;
  border-radius: 999px;
  background: var(--_track);
  overflow: hidden;
}
.value {
  height: 100%;
  width: 0;
  border-radius: 999px;
  background: var(--_accent);
  transition: width 150ms linear;
}
.file[data-state="done"] .value { background: var(--_ok); }
.file[data-state="failed"] .value, .file[data-state="aborted"] .value { background: var(--_err); }
.file[data-state="paused"] .value { opacity: 0.6; }

.row { display: flex; flex-wrap: wrap; gap: 0.4rem 0.9rem; align-items: center; justify-content: space-between; }
.details {
  display: flex;
  flex-wrap: wrap;
  gap: 0 0.75rem;
  color: var(--_muted);
  font-size: 0.9em;
  font-variant-numeric: tabular-nums;
}
.details span:empty { display: none; }
.file[data-state="done"] .phase { color: var(--_ok); font-weight: 600; }

.error { margin: 0; color: var(--_err); font-size: 0.9em; overflow-wrap: anywhere; }
.error:empty { display: none; }
.result { margin: 0; font-size: 0.9em; overflow-wrap: anywhere; }
.link { color: var(--_accent); }
.key { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 0.9em; color: var(--_muted); }

.actions { display: flex; gap: 0.4rem; margin-left: auto; }
button {
  font: inherit;
  font-size: 0.875em;
  padding: 0.25rem 0.75rem;
  border-radius: 6px;
  border: 1px solid var(--_border);
  background: transparent;
  color: var(--_fg);
  cursor: pointer;
}
button:hover { border-color: var(--_accent); color: var(--_accent); }
button:focus-visible { outline: 3px solid var(--_focus); outline-offset: 1px; }
button.cancel:hover { border-color: var(--_err); color: var(--_err); }

@media (prefers-reduced-motion: reduce) {
  .dropzone, .value { transition: none; }
}
`;
