#!/usr/bin/python3
"""Draws the p50 latency of Kiln and ONNX Runtime per model / batch / threads
as grouped bars, from bench/compare_ort.sh's results.json.

    /usr/bin/python3 bench/plot.py [build/bench/results.json] [-o docs/perf_latency.png]

Needs Debian's python3-matplotlib (scripts/install-deps.sh --bench).
"""
import argparse
import json
import sys

try:
    import matplotlib
except ImportError:
    sys.exit("plot.py: needs matplotlib; install it with `apt-get install python3-matplotlib` "
             "(or scripts/install-deps.sh --bench)")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", nargs="?", default="build/bench/results.json")
    parser.add_argument("-o", "--output", default="docs/perf_latency.png")
    args = parser.parse_args()
    with open(args.results) as f:
        data = json.load(f)
    rows = [r for r in data["rows"] if r["kiln_p50"] is not None and r["ort_p50"] is not None]
    if not rows:
        sys.exit("plot.py: no rows with both engines in " + args.results)

    labels = [f"{r['model']}\nb{r['batch']} t{r['threads']}" + ("" if r["kiln_threads"] == r["threads"] else "*")
              for r in rows]
    kiln = [r["kiln_p50"] for r in rows]
    ort = [r["ort_p50"] for r in rows]
    values = kiln + ort
    log = max(values) / min(values) > 50

    fig, ax = plt.subplots(figsize=(max(8, 0.75 * len(rows) + 2), 5.5))
    x = range(len(rows))
    width = 0.4
    bars_k = ax.bar([i - width / 2 for i in x], kiln, width, label="Kiln", color="#c0504d")
    bars_o = ax.bar([i + width / 2 for i in x], ort, width, label=data["meta"]["ort_engine"], color="#4f81bd")
    for bars in (bars_k, bars_o):
        ax.bar_label(bars, labels=[f"{v:.0f}" if v >= 100 else f"{v:.3g}" for v in bars.datavalues], fontsize=6, padding=1, rotation=90)
    for i, r in enumerate(rows):
        if r["ratio_p50"] is not None:
            ax.annotate(f"×{r['ratio_p50']:.2f}", (i, 0), xycoords=("data", "axes fraction"), xytext=(0, -2),
                        textcoords="offset points", ha="center", va="top", fontsize=7, color="#555555")
    ax.set_xticks(list(x))
    ax.set_xticklabels(labels, fontsize=7)
    ax.tick_params(axis="x", pad=12)
    if log:
        ax.set_yscale("log")
    ax.set_ylabel("p50 latency, ms" + (" (log scale)" if log else ""))
    title = "p50 latency per inference, median across rounds (lower is better); ×: Kiln / ORT"
    if any(r["kiln_threads"] != r["threads"] for r in rows):
        title += "\n* Kiln single-threaded in every row; b = batch, t = ORT threads"
    else:
        title += "\nb = batch, t = threads"
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(axis="y", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(args.output, dpi=120)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
