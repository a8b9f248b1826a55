// How files come in by pointer and keyboard: the drop zone (click, Enter
// or Space open the file chooser; a drag carrying files highlights it; a
// drop gives its files and the files of its folders) and the "Choose a
// folder" button (a webkitdirectory input). It hands the element
// `{ file, relativePath }` items (folder-entries.js) and keeps nothing.
import { droppedFiles, pickedFiles } from "./folder-entries.js";

export class DropZone {
  /**
   * `root`: the shadow root holding `.dropzone`, `.input`, `.folder-input`
   * and `.choose-folder`; `take(items)`: what the element does with them.
   */
  constructor(root, take) {
    const $ = (selector) => root.querySelector(selector);
    this.element = $(".dropzone");
    this.input = $(".input");
    this.folderInput = $(".folder-input");
    this.#keys();
    this.#drags(take);
    for (const input of [this.input, this.folderInput]) {
      input.addEventListener("change", () => {
        const items = pickedFiles(input.files);
        input.value = "";
        take(items);
      });
    }
    $(".choose-folder").addEventListener("click", () => this.chooseFolder());
  }

  /** Opens the file chooser. */
  choose() {
    this.input.value = "";
    this.input.click();
  }

  /** Opens the folder chooser. */
  chooseFolder() {
    this.folderInput.value = "";
    this.folderInput.click();
  }

  /** Click, Enter and Space choose, as on a button (Space on its release). */
  #keys() {
    const zone = this.element;
    zone.addEventListener("click", () => this.choose());
    zone.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        this.choose();
      } else if (e.key === " ") {
        e.preventDefault(); // no page scroll
      }
    });
    zone.addEventListener("keyup", (e) => {
      if (e.key === " ") this.choose();
    });
  }

  #drags(take) {
    const zone = this.element;
    const dragging = (on) => zone.toggleAttribute("data-dragging", on);
    const withFiles = (e) => [...(e.dataTransfer?.types ?? [])].includes("Files");
    const over = (e) => {
      if (!withFiles(e)) return;
      e.preventDefault();
      if (e.type === "dragover") e.dataTransfer.dropEffect = "copy";
      dragging(true);
    };
    zone.addEventListener("dragenter", over);
    zone.addEventListener("dragover", over);
    zone.addEventListener("dragleave", (e) => {
      if (!zone.contains(e.relatedTarget)) dragging(false);
    });
    zone.addEventListener("drop", (e) => {
      e.preventDefault();
      dragging(false);
      droppedFiles(e.dataTransfer).then(take);
    });
  }
}
