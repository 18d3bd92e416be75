#!/usr/bin/python3
"""Draws bench/serving.sh's batching results: the MLP's throughput against
concurrency without and with dynamic batching (left), and the server's CPU
time per request (right). At concurrency 16 it marks issue 6's target (3x the
unbatched rate) and the protocol's ceiling: the batched rate of the `linear`
model, which has the MLP's input and output and almost no compute.

    /usr/bin/python3 bench/plot_serving.py [build/bench/serving/results.jsonl] [-o docs/serving_batching.png]

Needs Debian's python3-matplotlib (scripts/install-deps.sh --bench).
"""
import argparse
import json
import sys

try:
    import matplotlib
except ImportError:
    sys.exit("plot_serving.py: needs matplotlib; install it with `apt-get install python3-matplotlib` "
             "(or scripts/install-deps.sh --bench)")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402

SERIES = (("mlp", "MLP, no batching", "#7f7f7f", "o"),
          ("mlp_batched", "MLP, dynamic_batching { }", "#4a7ab0", "s"),
          ("mlp_delayed", "MLP, max_queue_delay 100 µs", "#9bbbe0", "^"))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", nargs="?", default="build/bench/serving/results.jsonl")
    parser.add_argument("-o", "--output", default="docs/serving_batching.png")
    parser.add_argument("--title", default=None, help="title (default: the model and the machine's core count)")
    args = parser.parse_args()
    steps = {}  # (model, concurrency) -> (infer/s, server CPU µs per request)
    with open(args.results) as f:
        for line in f:
            row = json.loads(line)
            if row.get("tag") != "batching":
                continue
            step = row["steps"][0]
            steps[(row["model"], step["concurrency"])] = (step["throughput"], row.get("server_cpu_us_per_request"))
    if not any(model == "mlp" for model, _ in steps):
        sys.exit(f"plot_serving.py: no MLP batching rows in {args.results}; run bench/serving.sh --only batching")

    fig, (rate_ax, cpu_ax) = plt.subplots(1, 2, figsize=(11, 4.4), gridspec_kw={"width_ratios": [1.5, 1]})
    for model, label, color, marker in SERIES:
        points = sorted((c, v) for (m, c), v in steps.items() if m == model)
        if not points:
            continue
        concurrency = [c for c, _ in points]
        rate_ax.plot(concurrency, [v[0] for _, v in points], marker=marker, color=color, label=label)
        cpu = [(c, v[1]) for c, v in points if v[1] is not None]
        if cpu:
            cpu_ax.plot([c for c, _ in cpu], [u for _, u in cpu], marker=marker, color=color, label=label)
    unbatched = steps.get(("mlp", 16))
    ceiling = steps.get(("linear_batched", 16))
    if unbatched:
        target = 3 * unbatched[0]
        rate_ax.plot([16], [target], marker="_", markersize=22, mew=2.5, color="#c0504d", linestyle="none",
                     label=f"target: 3× unbatched at 16 ({target / 1000:.1f}k)")
    if ceiling:
        rate_ax.plot([16], [ceiling[0]], marker="*", markersize=13, color="#4a9a4a", linestyle="none",
                     label=f"ceiling: linear model, batched ({ceiling[0] / 1000:.1f}k)")
        if ceiling[1] is not None:
            cpu_ax.plot([16], [ceiling[1]], marker="*", markersize=13, color="#4a9a4a", linestyle="none",
                        label="linear model, batched")
    for ax in (rate_ax, cpu_ax):
        ax.set_xscale("log", base=2)
        ax.set_xticks([1, 4, 8, 16])
        ax.set_xticklabels(["1", "4", "8", "16"])
        ax.set_xlabel("requests in flight (gRPC, batch 1 each)")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    rate_ax.set_ylabel("infer/s")
    rate_ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v / 1000:.0f}k"))
    rate_ax.legend(fontsize=8, loc="upper left")
    cpu_ax.set_ylabel("server CPU µs per request")
    cpu_ax.legend(fontsize=8, loc="upper right")
    fig.suptitle(args.title or "kiln serve, MLP 784-512-256-10: dynamic batching against the protocol's ceiling",
                 fontsize=11)
    fig.tight_layout()
    fig.savefig(args.output, dpi=110)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
