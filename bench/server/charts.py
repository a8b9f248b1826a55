"""PNG charts of the server benchmarks' results (matplotlib, no display):

    .venv/bin/python bench/server/charts.py OUT_DIR

OUT_DIR/signer.json -> OUT_DIR/signer.png (requests/s, log scale, with the
ratio to the seed's baseline over each group, and the seed as written where
measured); OUT_DIR/seed_table.json -> OUT_DIR/seed_table.png
(peak PSS, CPU seconds, bytes through the server, total time per flow).
"""

import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

OURS, SEED, SEED_LIGHT = "#1f6feb", "#d1495b", "#edae49"


def signer_chart(data, path):
    rows = data["summary"]
    endpoints = list(dict.fromkeys(r["endpoint"] for r in rows))
    fig, axes = plt.subplots(1, len(endpoints), figsize=(5.2 * len(endpoints), 4.2), sharey=True)
    for ax, endpoint in zip(axes, endpoints):
        cells = [r for r in rows if r["endpoint"] == endpoint]
        xs = range(len(cells))
        # The seed as written (a boto3 client per request) only where measured.
        bars = [("ours_rps", "presign-server", OURS), ("flask_rps", "seed Flask + boto3", SEED)]
        if all("as_written_rps" in r for r in cells):
            bars.append(("as_written_rps", "seed as written (a client per request)", SEED_LIGHT))
        width = 0.8 / len(bars)
        for i, (field, label, color) in enumerate(bars):
            offset = (i - (len(bars) - 1) / 2) * width
            ax.bar([x + offset for x in xs], [r[field] for r in cells], width, label=label, color=color)
        for x, r in zip(xs, cells):
            ax.annotate(f"{r['ratio']:.0f}x", (x, max(r["ours_rps"], r["flask_rps"])),
                        textcoords="offset points", xytext=(0, 4), ha="center", fontsize=9)
            if len(bars) == 3:
                ax.annotate(f"{r['ratio_as_written']:.0f}x", (x + width, r["as_written_rps"]),
                            textcoords="offset points", xytext=(0, 3), ha="center", fontsize=8)
        ax.set_xticks(list(xs), [f"{r['connections']:,}" for r in cells])
        ax.set_xlabel("connections")
        ax.set_yscale("log")
        ax.set_ylim(top=3 * max(max(r["ours_rps"], r["flask_rps"]) for r in cells))
        ax.set_ylim(bottom=min(ax.get_ylim()[0], 0.5 * min(r.get("as_written_rps", r["flask_rps"]) for r in cells)))
        ax.set_title(f"POST {endpoint}")
        ax.grid(axis="y", which="both", alpha=0.3)
    axes[0].set_ylabel("requests/s (median, log scale)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8)
    meta = data["meta"]
    fig.suptitle(f"Presigning on {meta['cpus']} shared cores, oha, medians of {meta['runs']} runs ({meta['date']})",
                 fontsize=10)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def seed_table_chart(data, path):
    rows = {r["flow"]: r for r in data["summary"]}
    flows = list(rows)
    colors = {"seed traditional": SEED, "seed presigned": SEED_LIGHT, "ours presigned": OURS}
    panels = [
        ("server peak memory, PSS (MB)", lambda r: r["peak_pss"] / 1e6),
        ("server CPU (s)", lambda r: r["cpu_s"]),
        ("bytes through the server (MB)", lambda r: r["bytes_through"] / 1e6),
        ("total time (s)", lambda r: r["total_s"]),
    ]
    fig, axes = plt.subplots(1, len(panels), figsize=(13, 3.6))
    for ax, (title, value) in zip(axes, panels):
        values = [value(rows[f]) for f in flows]
        bars = ax.bar(range(len(flows)), values, color=[colors.get(f, "grey") for f in flows])
        for bar, v in zip(bars, values):
            ax.annotate(f"{v:.3g}", (bar.get_x() + bar.get_width() / 2, v), textcoords="offset points",
                        xytext=(0, 2), ha="center", fontsize=8)
        ax.set_xticks(range(len(flows)), [f.replace(" ", "\n") for f in flows], fontsize=8)
        ax.set_title(title, fontsize=9)
        ax.set_ylim(top=1.15 * max(values))
        ax.grid(axis="y", alpha=0.3)
    meta = data["meta"]
    fig.suptitle(f"{meta['users']} users x {meta['size'] / 1e6:g} MB at once, medians of {meta['runs']} runs "
                 f"({meta['date']})", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(out):
    for name, chart in (("signer", signer_chart), ("seed_table", seed_table_chart)):
        src = os.path.join(out, f"{name}.json")
        if os.path.exists(src):
            with open(src) as f:
                chart(json.load(f), os.path.join(out, f"{name}.png"))
            print(f"charts: {os.path.join(out, name)}.png")


if __name__ == "__main__":
    main(sys.argv[1])
