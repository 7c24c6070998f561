#!/usr/bin/python3
"""Plots switch latency against model size from the table scripts/bench-runtime.sh writes (one
row per model, from `nestrt bench-switch`): part->full warm and cold, the cold-read floor,
full->part, and loading the separate INT8 model instead (the one-model-per-width baseline).

Usage: plot_switch_latency.py switch_vs_size.tsv -o switch_latency_vs_size.png
"""
import argparse
import csv

SERIES = [  # column, label, style, colour (cold and warm of one kind share a colour)
    ("sep8_cold_ms", "load separate INT8 model + first run, cold", "s--", "tab:gray"),
    ("sep8_warm_ms", "load separate INT8 model + first run, warm", "s:", "tab:gray"),
    ("up_cold_ms", "switch part→full, cold page cache", "o--", "tab:red"),
    ("cold_read_ms", "cold sequential read of the low planes (floor)", "x:", "tab:orange"),
    ("up_warm_ms", "switch part→full, warm page cache", "o-", "tab:red"),
    ("down_evict_ms", "switch full→part + evict from page cache", "v--", "tab:blue"),
    ("down_ms", "switch full→part", "v-", "tab:blue"),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("table", help="tab-separated table with a header row (bench-runtime.sh)")
    ap.add_argument("-o", "--output", required=True, help="PNG to write")
    args = ap.parse_args()
    with open(args.table) as f:
        rows = sorted(csv.DictReader(f, delimiter="\t"), key=lambda r: float(r["file_bytes"]))
    if not rows:
        raise SystemExit(f"{args.table}: no rows")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    mib = [float(r["file_bytes"]) / 2**20 for r in rows]
    fig, ax = plt.subplots(figsize=(8, 5.2))
    for column, label, style, colour in SERIES:
        ys = [float(r[column]) if r.get(column) not in (None, "") else None for r in rows]
        pts = [(x, y) for x, y in zip(mib, ys) if y is not None and y > 0]
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], style, color=colour, label=label)
    for x, r in zip(mib, rows):
        ax.annotate(r["model"], (x, float(r["up_warm_ms"])), textcoords="offset points", xytext=(4, -12), fontsize=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("nested model file (MiB, log)")
    ax.set_ylabel("latency (ms, log; median)")
    ax.set_title("Precision switch vs loading another model, by model size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(args.output, dpi=120)
    print(f"plot: {args.output}")


if __name__ == "__main__":
    main()
