// Files out of a drop or a folder picker, folders included, each with the
// path it had under the folder the user gave ("photos/2024/a.jpg"), or
// `null` for a file given on its own. A drop's folders are walked through
// their FileSystemEntry (webkitGetAsEntry) to every level; a folder picked
// with <input webkitdirectory> gives each file's webkitRelativePath.

/**
 * `[{ file, relativePath }]` of a drop. The entries are taken at once
 * (a DataTransfer is emptied when its event ends); the folders are read
 * after. Without entries (an older browser) the drop's files are taken.
 */
export function droppedFiles(dataTransfer) {
  const items = [...(dataTransfer?.items ?? [])].filter((item) => item.kind === "file");
  const taken = items.map((item) => ({ entry: item.webkitGetAsEntry?.() ?? null, file: item.getAsFile() }));
  if (taken.length === 0 || taken.some(({ entry, file }) => !entry && !file)) {
    return Promise.resolve([...(dataTransfer?.files ?? [])].map((file) => ({ file, relativePath: null })));
  }
  return collect(taken);
}

async function collect(taken) {
  const found = [];
  for (const { entry, file } of taken) {
    if (entry?.isDirectory) await walk(entry, found);
    else if (file) found.push({ file, relativePath: null });
  }
  return found;
}

/** Adds every file under `directory`, at every level, to `found`. */
async function walk(directory, found) {
  for (const entry of await children(directory)) {
    if (entry.isDirectory) {
      await walk(entry, found);
    } else {
      const file = await new Promise((ok, fail) => entry.file(ok, fail)).catch(() => null);
      if (file) found.push({ file, relativePath: entry.fullPath.replace(/^\/+/, "") });
    }
  }
}

/** A directory's entries: readEntries answers a hundred or so at a time, then none. */
async function children(directory) {
  const reader = directory.createReader();
  const all = [];
  for (;;) {
    const batch = await new Promise((ok, fail) => reader.readEntries(ok, fail)).catch(() => []);
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

/** `[{ file, relativePath }]` of an input's files (a webkitdirectory input gives their paths). */
export function pickedFiles(fileList) {
  return [...(fileList ?? [])].map((file) => ({ file, relativePath: file.webkitRelativePath || null }));
}

/** The folder part of a relative path, with its last slash: `"photos/2024/"`; `""` for none. */
export function folderOf(relativePath) {
  const slash = relativePath?.lastIndexOf("/") ?? -1;
  return slash >= 0 ? relativePath.slice(0, slash + 1) : "";
}
