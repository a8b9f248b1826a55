"""Charts of the browser benchmarks: median MB/s per case, from the JSON in
the results folder (argv[1]): browser-hash.png and browser-upload.png."""

import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def bars(ax, groups, names, value, title):
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        xs = [g + i * width for g in range(len(groups))]
        ys = [value(group, name) for group in groups]
        ax.bar(xs, [y or 0 for y in ys], width, label=name)
    ax.set_xticks([g + 0.4 - width / 2 for g in range(len(groups))])
    ax.set_title(title)
    ax.set_ylabel("MB/s (median)")
    ax.grid(axis="y", alpha=0.3)


def main(folder):
    hash_path = os.path.join(folder, "browser-hash.json")
    if os.path.exists(hash_path):
        data = json.load(open(hash_path))
        rows = data["results"]
        names = list(dict.fromkeys(n for r in rows for n in r["cases"]))
        fig, ax = plt.subplots(figsize=(10, 4.5))
        bars(ax, rows, names, lambda r, n: r["cases"].get(n, {}).get("mbps"),
             "SHA-256 of a file from disk, headless Chromium")
        ax.set_xticklabels([f"{r['sizeMiB']} MiB" for r in rows])
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(os.path.join(folder, "browser-hash.png"), dpi=110)
    upload_path = os.path.join(folder, "browser-upload.json")
    if os.path.exists(upload_path):
        data = json.load(open(upload_path))
        rows = data["results"]
        names = ["ours", "ours, checksums off", "raw PUT", "Uppy", "Uppy, 8 MiB parts"]
        fig, ax = plt.subplots(figsize=(10, 4.5))
        bars(ax, rows, names, lambda r, n: r["cases"].get(n, {}).get("mbps"),
             "Upload throughput on loopback, headless Chromium")
        ax.set_xticklabels([f"{r['store']}\n{r['size']}" for r in rows])
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(os.path.join(folder, "browser-upload.png"), dpi=110)


if __name__ == "__main__":
    main(sys.argv[1])
