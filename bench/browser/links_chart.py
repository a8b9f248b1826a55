"""Charts of the link benchmarks, one PNG per profile: each system's median
time as a multiple of the physical limit, a group of bars per case, from
links.json (or links-quick.json): argv[1], the JSON; the PNGs go beside
it as <name>-<profile>.png."""

import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(path):
    with open(path) as f:
        run = json.load(f)
    stem = os.path.splitext(path)[0]
    profiles = []
    for row in run["results"]:
        if row["profile"] not in profiles:
            profiles.append(row["profile"])
    for profile in profiles:
        rows = [r for r in run["results"] if r["profile"] == profile]
        names = list(rows[0]["systems"])
        width = 0.8 / len(names)
        fig, ax = plt.subplots(figsize=(9, 4.5))
        for i, name in enumerate(names):
            xs = [g + i * width for g in range(len(rows))]
            ys = [r["systems"].get(name, {}).get("ofLimit", 0) for r in rows]
            ax.bar(xs, ys, width, label=name)
        ax.axhline(1.0, color="black", linewidth=0.8)
        ax.axhline(1.15, color="grey", linewidth=0.8, linestyle="--", label="goal: 1.15x the limit")
        ax.set_xticks([g + 0.4 - width / 2 for g in range(len(rows))])
        ax.set_xticklabels([r["label"].split(" (")[0] for r in rows])
        first = rows[0]
        # `runs` is one count, or a count per profile.
        runs = run['runs'].get(profile) if isinstance(run['runs'], dict) else run['runs']
        what = f"median of {runs}" if runs != 1 else "one round"
        ax.set_title(f"{profile}: {first['mbit']} Mbit/s, {first['rttMs']} ms ({what})")
        ax.set_ylabel("time / physical limit (lower is better)")
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(f"{stem}-{profile}.png", dpi=100)
        plt.close(fig)
        print(f"wrote {stem}-{profile}.png")


if __name__ == "__main__":
    main(sys.argv[1])
