#!/usr/bin/python3
"""Summarizes bench/compare_ort.sh's raw runs: the median across rounds of each
metric per model x batch x threads and engine, with Kiln/ORT ratios.

    /usr/bin/python3 bench/summarize.py OUT_DIR/raw.jsonl [--out-dir OUT_DIR]

Prints a table and writes OUT_DIR/results.csv, OUT_DIR/results.json and the
table as Markdown in OUT_DIR/results.md.
"""
import argparse
import contextlib
import csv
import json
import os
import statistics
from collections import defaultdict

METRICS = ["p50", "p90", "p99", "throughput", "load_ms", "peak_rss_mb"]


def metric(result, name):
    return result["latency_ms"][name] if name in ("p50", "p90", "p99") else result[name]


def summarize(raw_path):
    runs = defaultdict(list)  # (model, batch, threads, engine) -> [result]
    order = []
    kiln_threaded = True
    ort_engine = "onnxruntime"
    with open(raw_path) as f:
        for line in f:
            if not line.strip():
                continue
            run = json.loads(line)
            key = (run["model_name"], run["batch"], run["threads"])
            if key not in order:
                order.append(key)
            runs[key + (run["engine"],)].append(run["result"])
            kiln_threaded = kiln_threaded and bool(run["kiln_threads_flag"])
            if run["engine"] == "ort":
                ort_engine = run["result"].get("engine", ort_engine)
    rows = []
    for model, batch, threads in order:
        row = {"model": model, "batch": batch, "threads": threads, "kiln_threads": threads if kiln_threaded else 1}
        for engine in ("kiln", "ort"):
            results = runs.get((model, batch, threads, engine), [])
            row[f"{engine}_rounds"] = len(results)
            for m in METRICS:
                row[f"{engine}_{m}"] = round(statistics.median(metric(r, m) for r in results), 3) if results else None
        for m in METRICS:
            k, o = row[f"kiln_{m}"], row[f"ort_{m}"]
            row[f"ratio_{m}"] = round(k / o, 3) if k is not None and o else None
        rows.append(row)
    meta = {"ort_engine": ort_engine, "kiln_threads_flag": kiln_threaded,
            "note": "medians across rounds; ratio = Kiln / ORT (latency, load, RSS: > 1 means Kiln is worse; "
                    "throughput: < 1 means Kiln is worse)"}
    return meta, rows


def fmt(x, digits=1):
    if x is None:
        return "-"
    return f"{x:.{digits}f}" if abs(x) < 1000 else f"{x:.0f}"


def print_table(meta, rows, markdown=False):
    header = ["model", "batch", "thr", "p50 kiln", "p50 ort", "kiln/ort", "p90 kiln", "p90 ort", "p99 kiln",
              "p99 ort", "inf/s kiln", "inf/s ort", "load kiln", "load ort", "RSS kiln", "RSS ort"]
    lines = []
    for r in rows:
        thr = str(r["threads"]) + ("" if r["kiln_threads"] == r["threads"] else "*")
        lines.append([r["model"], str(r["batch"]), thr,
                      fmt(r["kiln_p50"], 2), fmt(r["ort_p50"], 2), fmt(r["ratio_p50"], 2),
                      fmt(r["kiln_p90"], 2), fmt(r["ort_p90"], 2), fmt(r["kiln_p99"], 2), fmt(r["ort_p99"], 2),
                      fmt(r["kiln_throughput"]), fmt(r["ort_throughput"]),
                      fmt(r["kiln_load_ms"], 0), fmt(r["ort_load_ms"], 0),
                      fmt(r["kiln_peak_rss_mb"], 0), fmt(r["ort_peak_rss_mb"], 0)])
    widths = [max(len(h), *(len(l[i]) for l in lines)) if lines else len(h) for i, h in enumerate(header)]
    def out(cells):
        if markdown:
            print("| " + " | ".join(cells) + " |")
        else:
            print("  ".join(c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))))
    print(f"Kiln vs {meta['ort_engine']}: medians across rounds; latency and load in ms, RSS peak in MiB")
    if markdown:
        print()
    out(header)
    if markdown:
        out(["---"] * 3 + ["---:"] * (len(header) - 3))
    for l in lines:
        out(l)
    if any(r["kiln_threads"] != r["threads"] for r in rows):
        print("\n*" if markdown else "*", end="")
        print(" Kiln ran single-threaded (its `bench` has no --threads); ORT used the row's thread count.")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("raw")
    parser.add_argument("--out-dir", default=None, help="default: the folder of RAW")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = parser.parse_args()
    out_dir = args.out_dir or os.path.dirname(os.path.abspath(args.raw))
    meta, rows = summarize(args.raw)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump({"meta": meta, "rows": rows}, f, indent=1)
    if rows:
        with open(os.path.join(out_dir, "results.csv"), "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
            writer.writeheader()
            writer.writerows(rows)
    with open(os.path.join(out_dir, "results.md"), "w") as f, contextlib.redirect_stdout(f):
        print_table(meta, rows, markdown=True)
    print_table(meta, rows, args.markdown)


if __name__ == "__main__":
    main()
