#!/usr/bin/python3
"""Summarises scripts/eval-accuracy.sh results for one model: a table, a JSON file, the SUMMARY
line and optionally a plot of top-1 accuracy against resident weight bytes.

Weight bytes are the file's own (the converter report's bit-packed plane bytes): full mode holds
the high and low planes of the nested file, part mode the high planes only. A separate INTn
baseline is counted at n bits per weight, the size of its plain file (nestrt-convert --nest n).
"""
import argparse
import json
import math


def load_report(path):
    with open(path) as f:
        return json.load(f)


def weight_count(report):
    return sum(math.prod(layer["weight_shape"]) for layer in report["layers"] if layer.get("weight_shape"))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("results", help="results.jsonl written by eval-accuracy.sh")
    ap.add_argument("--model", required=True, help="model name for the SUMMARY line and the plot title")
    ap.add_argument("--fp32-from", required=True, help="model card JSON with fp32_test_top1")
    ap.add_argument("--json", required=True, help="write the combined results here")
    ap.add_argument("--plot", help="write a PNG plot here")
    ap.add_argument("--levels", help="`nestrt eval --levels` output of one nested file: drawn as a step line")
    ap.add_argument("--levels-label", default="", help="which file --levels measured (legend)")
    ap.add_argument("--test-set", default="Fashion-MNIST test set", help="what the accuracy is measured on (plot label)")
    args = ap.parse_args()

    with open(args.fp32_from) as f:
        card = json.load(f)
    fp32 = float(card["fp32_test_top1"])
    rows = [json.loads(line) for line in open(args.results) if line.strip()]
    by_name = {r["name"]: r for r in rows}
    reports = {r["name"]: load_report(r["report"]) for r in rows}
    weights = weight_count(reports[rows[0]["name"]])
    points = []  # (label, kind, resident bytes, accuracy)
    for r in rows:
        n, h = (int(x) for x in r["nest"].split(":"))
        report = reports[r["name"]]
        if r["name"] == "nearest-8:6":
            points.append(("INT8 full (nested file)", "full", report["high_bytes"] + report["low_bytes"], r["full"]))
        if n < 8 and r["method"] == "nearest":
            points.append((f"separate INT{n}", "separate", weights * n / 8, r["full"]))
        if n >= 6:  # 4:2 is only there for its full mode, the INT4 baseline
            points.append((f"{r['nest']} {r['method']} part", r["method"], report["high_bytes"], r["part"]))

    def best(nest, methods=("nearest", "squant")):
        vals = [by_name[f"{m}-{nest}"]["part"] for m in methods if f"{m}-{nest}" in by_name]
        return max(vals) if vals else float("nan")

    summary = {
        "fp32": fp32,
        "full": by_name["nearest-8:6"]["full"],
        "part86": best("8:6"),
        "part85": best("8:5"),
        "part84": best("8:4"),
        "part64": best("6:4"),
        "sep6": by_name["nearest-6:4"]["full"],
        "sep4": by_name["nearest-4:2"]["full"],
        "trunc86": by_name["truncate-8:6"]["part"],
        "trunc84": by_name["truncate-8:4"]["part"],
    }
    # gptq (data-driven) and bitplane (floor split, midpoint part mode) separately, so the best-of
    # keys above keep their meaning.
    for method, key in (("gptq", "gptq"), ("bitplane", "bitplane")):
        for nest in ("8:6", "8:5", "8:4", "6:4"):
            if f"{method}-{nest}" in by_name:
                summary[key + nest.replace(":", "")] = by_name[f"{method}-{nest}"]["part"]
    print(f"\n{'configuration':<26}{'bits/weight':>12}{'weight KiB':>12}{'top-1 %':>10}{'vs FP32':>10}")
    print(f"{'FP32':<26}{32:>12.2f}{weights * 4 / 1024:>12.2f}{fp32:>10.2f}{0:>+10.2f}")
    for label, _, nbytes, acc in points:
        print(f"{label:<26}{nbytes * 8 / weights:>12.2f}{nbytes / 1024:>12.2f}{acc:>10.2f}{acc - fp32:>+10.2f}")
    with open(args.json, "w") as f:
        combined = {"weights": weights, "fp32": fp32, "configurations": rows, "summary": summary}
        if "onnxruntime_max_abs_diff" in card:  # the float path checked against ONNX Runtime
            combined["onnxruntime_max_abs_diff"] = card["onnxruntime_max_abs_diff"]
        json.dump(combined, f, indent=2)

    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        styles = {"full": ("k", "s"), "separate": ("tab:gray", "D"), "nearest": ("tab:blue", "o"),
                  "squant": ("tab:green", "^"), "gptq": ("tab:purple", "P"), "truncate": ("tab:red", "v"),
                  "bitplane": ("tab:orange", "X")}
        fig, ax = plt.subplots(figsize=(8, 5))
        # Collapsed configurations (naive truncation) would squash the interesting range: they are
        # drawn on the bottom edge with their value in the label.
        floor = min(fp32 - 3.0, min(a for _, _, _, a in points if a > fp32 - 10.0) - 0.5)
        # Labels sharing an x position are stacked from the top down, in accuracy order.
        stacked = {}
        for lbl, k, b, a in sorted(points, key=lambda p: -p[3]):
            x = round(b / 1024)  # labels within 1 KiB of each other stack
            stacked[lbl] = len([v for v in stacked.values() if v[1] == x]), x
        for kind, (color, marker) in styles.items():
            pts = [(b / 1024, a, lbl) for lbl, k, b, a in points if k == kind]
            if not pts:
                continue
            ax.scatter([p[0] for p in pts], [max(p[1], floor) for p in pts], c=color, marker=marker, label=kind,
                       zorder=3, alpha=0.85)
            for x, y, lbl in pts:
                if y < floor:
                    continue  # listed in the box below: their labels would pile up on the bottom edge
                ax.annotate(f"{lbl} {y:.2f}", (x, y), textcoords="offset points", xytext=(8, 14 - 9 * stacked[lbl][0]),
                            fontsize=6.5, color=color, arrowprops=dict(arrowstyle="-", color=color, lw=0.4))
        off_scale = sorted((p for p in points if p[3] < floor), key=lambda p: -p[3])
        if off_scale:
            lines = [f"{lbl}: {a:.2f}% at {b / 1024:.0f} KiB" for lbl, _, b, a in off_scale]
            ax.text(0.5, 0.03, "below the axis (drawn on its edge):\n" + "\n".join(lines), transform=ax.transAxes,
                    fontsize=6.5, va="bottom", ha="center", bbox=dict(facecolor="white", alpha=0.85, edgecolor="0.8"))
        if args.levels:  # graded switching: `nestrt eval --levels` of one nested file
            # Levels that share a footprint (the low planes release whole pages) are one budget:
            # nestrt_switch_budget picks the first of them, so that is the one drawn.
            xs, ys = [], []
            for line in open(args.levels):
                r = line.split()
                if not r or not r[0].isdigit() or (xs and float(r[-4]) == xs[-1]):
                    continue
                xs.append(float(r[-4]))
                ys.append(max(float(r[-2]), floor))
            ax.step(xs, ys, where="post", color="tab:purple", linewidth=0.8, alpha=0.6, zorder=2,
                    label=f"graded levels ({args.levels_label})")
        ax.set_ylim(floor - 0.3, max(a for _, _, _, a in points) + 0.6)
        ax.axhline(fp32, color="k", linestyle="--", linewidth=0.8, label=f"FP32 {fp32:.2f}%")
        ax.set_xlabel("resident weight KiB (bit-packed planes: high in part mode, high + low in full mode)")
        ax.set_ylabel(f"top-1 accuracy, {args.test_set} (%)")
        ax.set_title(f"NestQuant on {args.model}: accuracy vs weight memory")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8, loc="lower right")
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
        print(f"plot: {args.plot}")

    print(f"SUMMARY {args.model} " + " ".join(f"{k}={v:.2f}" for k, v in summary.items()))


if __name__ == "__main__":
    main()
