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


def chart(folder, name, title, names, label):
    """`name`.png from `name`.json: a group of bars per result row."""
    path = os.path.join(folder, f"{name}.json")
    if not os.path.exists(path):
        return
    rows = json.load(open(path))["results"]
    names = names or list(dict.fromkeys(n for r in rows for n in r["cases"]))
    fig, ax = plt.subplots(figsize=(10, 4.5))
    bars(ax, rows, names, lambda r, n: r["cases"].get(n, {}).get("mbps"), title)
    ax.set_xticklabels([label(r) for r in rows])
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(folder, f"{name}.png"), dpi=110)


def main(folder):
    chart(folder, "browser-hash", "SHA-256 of a file from disk, headless Chromium",
          None, lambda r: f"{r['sizeMiB']} MiB")
    chart(folder, "browser-upload", "Upload throughput on loopback, headless Chromium",
          ["ours", "ours, checksums off", "raw PUT", "Uppy", "Uppy, 8 MiB parts"],
          lambda r: f"{r['store']}\n{r['size']}")


if __name__ == "__main__":
    main(sys.argv[1])
