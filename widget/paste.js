// Files from the clipboard: what Ctrl/Cmd+V brings (a screenshot, files
// copied in a file manager), and whether a paste is the widget's to take.
// The element decides where it listens: on itself, while it holds the
// focus, or on the whole page (`paste="page"`).

/** The files a paste event carries (none for pasted text). */
export function pastedFiles(event) {
  const data = event.clipboardData;
  if (!data) return [];
  const files = [...(data.files ?? [])];
  if (files.length > 0) return files;
  return [...(data.items ?? [])].filter((item) => item.kind === "file").map((item) => item.getAsFile()).filter(Boolean);
}

/** Whether a paste went to a field that edits text, which keeps its own pastes. */
function intoTextField(event) {
  const target = event.composedPath()[0];
  if (!(target instanceof Element)) return false;
  if (target.isContentEditable || target.localName === "textarea") return true;
  return target.localName === "input" && !["button", "checkbox", "radio", "file", "submit", "reset"].includes(target.type);
}

/** The files of a paste the widget should take: not one handled already, nor one into a text field. */
export function filesToTake(event) {
  if (event.defaultPrevented || intoTextField(event)) return [];
  return pastedFiles(event);
}
