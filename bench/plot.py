#!/usr/bin/python3
"""Draws bench/compare_ort.sh's results.json: one horizontal bar per model /
batch / threads row with the ratio of p50 latencies Kiln / ONNX Runtime (left
of the 1.0 line: Kiln is faster; log scale), the two p50 latencies written beside it.

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
import matplotlib.ticker  # noqa: E402

FASTER = "#4a9a4a"
SLOWER = "#c0504d"


def fmt_ms(v):
    return f"{v:.0f}" if v >= 100 else f"{v:.3g}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", nargs="?", default="build/bench/results.json")
    parser.add_argument("-o", "--output", default="docs/perf_latency.png")
    parser.add_argument("--title", default=None, help="first line of the title (default: engines compared)")
    args = parser.parse_args()
    with open(args.results) as f:
        data = json.load(f)
    rows = [r for r in data["rows"] if r["kiln_p50"] is not None and r["ort_p50"] is not None and r["ort_p50"] > 0]
    if not rows:
        sys.exit("plot.py: no rows with both engines in " + args.results)

    labels = [f"{r['model']}  b{r['batch']} t{r['threads']}" + ("" if r["kiln_threads"] == r["threads"] else "*")
              for r in rows]
    ratios = [r["kiln_p50"] / r["ort_p50"] for r in rows]

    fig, ax = plt.subplots(figsize=(9, 0.32 * len(rows) + 1.8))
    y = list(range(len(rows)))[::-1]  # first row on top
    colors = [FASTER if q <= 1 else SLOWER for q in ratios]
    # Bars grow from 1.0 on a log axis, so 0.5x and 2x are equally long.
    ax.barh(y, [q - 1 for q in ratios], left=1.0, color=colors, height=0.7)
    ax.axvline(1.0, color="black", linewidth=0.8)
    for yi, q, r in zip(y, ratios, rows):
        ax.annotate(f"×{q:.2f}   ({fmt_ms(r['kiln_p50'])} / {fmt_ms(r['ort_p50'])} ms)", (max(q, 1.0), yi),
                    xytext=(4, 0), textcoords="offset points", va="center", fontsize=7)
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=8)
    ax.set_xscale("log")
    lo, hi = min(ratios + [1.0]), max(ratios + [1.0])
    ax.set_xlim(lo / 1.5, hi * 4)
    ticks = [t for t in (0.1, 0.2, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 20, 50) if lo / 1.5 <= t <= hi * 4]
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{t:g}" for t in ticks], fontsize=8)
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("p50 latency Kiln / ONNX Runtime (log scale)"
                  "   — below 1: Kiln faster (green), above 1: Kiln slower (red)", fontsize=8)
    first = args.title or f"Kiln vs {data['meta']['ort_engine']}: p50 latency ratio, median across rounds"
    second = "b = batch, t = threads; in brackets: p50 Kiln / p50 ORT"
    if any(r["kiln_threads"] != r["threads"] for r in rows):
        second += "; * Kiln single-threaded"
    ax.set_title(first + "\n" + second, fontsize=9)
    ax.grid(axis="x", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(args.output, dpi=120)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
