#!/usr/bin/env bash
# Serving benchmarks (issue 6): `kiln serve` measured with `kiln perf`.
#
#   bench/serving.sh [--quick] [--only overhead,batching,overload] [--duration S]
#                    [--overload-secs S] [--threads N] [--sequence L]
#                    [--batch-size-warmup on|off] [--models-dir DIR] [--out-dir DIR]
#                    [--server-kiln PATH]   (the kiln binary that serves; default build/kiln)
#
#  1. overhead: the INT32 add/sub model (examples/model_repository/simple) at
#     concurrency 1 over gRPC and HTTP, against the same engine call made in
#     process (`kiln bench`) and against the protocol's bare round trip (a
#     liveness check, `kiln_ping_bench`).
#  2. batching: the MLP and the BERT-mini-like model (scripts/export_models.py)
#     at concurrency 1, 4, 8 and 16 over gRPC, each without and with
#     dynamic_batching (copies of the model in one repository; the MLP also
#     with max_queue_delay_microseconds: 100). From concurrency 4 on, `kiln
#     perf --async` (one client thread for all requests in flight).
#     The batched BERT carries a model_warmup sample at the benchmark's
#     sequence length, which the server's batch-size warmup (on unless
#     --batch-size-warmup off) runs at every batch size 1-16 at load.
#     At concurrency 16 also "linear" (scripts/export_models.py --only
#     linear): the MLP's input and output with 1/68 of its weights, so the
#     protocol's own cost per request, which bounds what batching the MLP
#     can reach. Each run records the server's CPU time per request (from
#     /proc, the client's share of the cores not counted).
#  3. overload: the batched MLP with a bounded queue, first at its measured
#     capacity, then offered twice that rate for --overload-secs (30 s): the
#     p99 of accepted requests, how many were rejected and how fast (client
#     side, and the server's own time for them from its statistics), and the
#     server's RSS before, during and after. `kiln perf --async` throughout.
#
# Needs build/kiln (scripts/build.sh) and the exported models (built into
# build/models by the reference tests, or /usr/bin/python3
# scripts/export_models.py build/models). Writes OUT_DIR/results.jsonl (one
# `kiln perf --json` object per line, tagged) and prints markdown tables.
set -euo pipefail
cd "$(dirname "$0")/.."

kiln=build/kiln
models_dir=build/models
out_dir=build/bench/serving
only=overhead,batching,overload
duration=5
warmup=1
overload_secs=30
threads=0
sequence=32
batch_size_warmup=on
python=/usr/bin/python3

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) duration=2; warmup=0.5; overload_secs=6 ;;
    --only) only=$2; shift ;;
    --duration) duration=$2; shift ;;
    --overload-secs) overload_secs=$2; shift ;;
    --threads) threads=$2; shift ;;
    --sequence) sequence=$2; shift ;;
    --batch-size-warmup) batch_size_warmup=$2; shift ;;
    --models-dir) models_dir=$2; shift ;;
    --out-dir) out_dir=$2; shift ;;
    --server-kiln) server_kiln=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
want() { [[ ",$only," == *",$1,"* ]]; }

[ -x "$kiln" ] || { echo "missing $kiln: run scripts/build.sh" >&2; exit 1; }
for m in mlp bert_mini linear; do
  [ -f "$models_dir/$m/model.onnx" ] || $python scripts/export_models.py "$models_dir" --only "$m" >&2
done

repo=$out_dir/repo
rm -rf "$repo"
mkdir -p "$repo" "$out_dir"
results=$out_dir/results.jsonl
: > "$results"

# --- the model repository -----------------------------------------------------
cp -r examples/model_repository/simple "$repo/simple"
mlp_io='input [ { name: "input" data_type: TYPE_FP32 dims: [ 784 ] } ]
output [ { name: "logits" data_type: TYPE_FP32 dims: [ 10 ] } ]'
bert_io='input [
  { name: "input_ids" data_type: TYPE_INT64 dims: [ -1 ] },
  { name: "attention_mask" data_type: TYPE_INT64 dims: [ -1 ] }
]
output [
  { name: "last_hidden_state" data_type: TYPE_FP32 dims: [ -1, 256 ] },
  { name: "pooled" data_type: TYPE_FP32 dims: [ 256 ] }
]'
add_model() {  # name source io extra-config
  mkdir -p "$repo/$1/1"
  ln -s "$(realpath "$models_dir/$2/model.onnx")" "$repo/$1/1/model.onnx"
  printf 'name: "%s"\nplatform: "onnxruntime_onnx"\nmax_batch_size: 16\n%s\ninstance_group [ { count: 1 kind: KIND_CPU } ]\n%s\n' \
    "$1" "$3" "$4" > "$repo/$1/config.pbtxt"
}
add_model mlp mlp "$mlp_io" ""
add_model mlp_batched mlp "$mlp_io" "dynamic_batching { }"
add_model mlp_delayed mlp "$mlp_io" "dynamic_batching { max_queue_delay_microseconds: 100 }"
add_model mlp_bounded mlp "$mlp_io" "dynamic_batching { default_queue_policy { max_queue_size: 32 } }"
add_model linear linear "$mlp_io" ""
add_model linear_batched linear "$mlp_io" "dynamic_batching { }"
add_model bert_mini bert_mini "$bert_io" ""
bert_warmup="model_warmup [ { name: \"sequence $sequence\" batch_size: 1
  inputs { key: \"input_ids\" value: { data_type: TYPE_INT64 dims: [ $sequence ] zero_data: true } }
  inputs { key: \"attention_mask\" value: { data_type: TYPE_INT64 dims: [ $sequence ] zero_data: true } } } ]"
add_model bert_mini_batched bert_mini "$bert_io" "dynamic_batching { }
$bert_warmup"
$python -c "import numpy as np; np.save('$out_dir/mask.npy', np.ones($sequence, dtype=np.int64))"

# --- the server -----------------------------------------------------------------
read -r http_port grpc_port metrics_port < <($python -c "
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks: s.bind(('127.0.0.1', 0))
print(*[s.getsockname()[1] for s in socks])")
"${server_kiln:-$kiln}" serve --model-repository "$repo" --http-port "$http_port" --grpc-port "$grpc_port" \
  --metrics-port "$metrics_port" --threads "$threads" --batch-size-warmup "$batch_size_warmup" \
  > "$out_dir/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 300); do
  curl -sf "localhost:$http_port/v2/health/ready" > /dev/null && break
  kill -0 $server 2>/dev/null || { cat "$out_dir/server.log" >&2; exit 1; }
  sleep 0.2
done
curl -sf "localhost:$http_port/v2/health/ready" > /dev/null || { echo "server not ready" >&2; exit 1; }
rss_kb() { awk '/VmRSS/ {print $2}' /proc/$server/status; }
cpu_ticks() { awk '{print $14 + $15}' /proc/$server/stat; }  # user + system, in clock ticks
ticks_per_second=$(getconf CLK_TCK)
grep -h "warmed batch sizes\|batch sizes not warmed" "$out_dir/server.log" | sed 's/^.*\] //' >&2 || true
echo "server RSS after load: $(($(rss_kb) / 1024)) MiB" >&2

perf() {  # tag protocol model perf-args...  (window: $window, default --duration)
  local tag=$1 protocol=$2 model=$3 port=$http_port
  shift 3
  [ "$protocol" = grpc ] && port=$grpc_port
  local line before
  before=$(cpu_ticks)
  line=$("$kiln" perf -m "$model" -i "$protocol" -u "localhost:$port" --duration "${window:-$duration}" \
    --warmup "$warmup" --json "$@")
  # The server's CPU per request: its CPU time over warm-up and window,
  # divided by the requests of both (the warm-up taken at the window's rate).
  jq -c --arg tag "$tag" --argjson ticks "$(($(cpu_ticks) - before))" --argjson hz "$ticks_per_second" \
    --argjson seconds "$(jq -n "${window:-$duration} + $warmup")" \
    '. + {tag: $tag, server_cpu_us_per_request: (if .steps[0].throughput > 0 then
       $ticks / $hz * 1e6 / (.steps[0].throughput * $seconds) else null end)}' <<< "$line" >> "$results"
}
bert_args=(--shape "input_ids=1,$sequence" --input "attention_mask=$out_dir/mask.npy")

# --- 1. serving overhead ------------------------------------------------------
if want overhead; then
  echo "overhead ..." >&2
  "$kiln" bench "$repo/simple/1/model.onnx" --batch 1 --threads 1 --iterations 20000 --warmup 1000 --json |
    jq -c '{tag: "overhead_inprocess", bench: .}' >> "$results"
  perf overhead grpc simple --concurrency-range 1
  perf overhead http simple --concurrency-range 1
  for protocol in grpc http; do
    [ -x build/kiln_ping_bench ] || break
    port=$http_port
    [ "$protocol" = grpc ] && port=$grpc_port
    build/kiln_ping_bench "$protocol" "localhost:$port" "$duration" |
      awk -v p="$protocol" '{for (i = 1; i < NF; i++) if ($i ~ /^p(50|99)$/) v[$i] = $(i + 1);
        printf "{\"tag\": \"overhead_floor\", \"protocol\": \"%s\", \"p50\": %s, \"p99\": %s}\n", p, v["p50"], v["p99"]}' >> "$results"
  done
fi

# --- 2. dynamic batching -------------------------------------------------------
if want batching; then
  for c in 1 4 8 16; do
    echo "batching, concurrency $c ..." >&2
    client=()
    [ "$c" -gt 1 ] && client=(--async)
    perf batching grpc mlp --concurrency-range "$c" "${client[@]}"
    perf batching grpc mlp_batched --concurrency-range "$c" "${client[@]}"
    perf batching grpc mlp_delayed --concurrency-range "$c" "${client[@]}"
    perf batching grpc bert_mini --concurrency-range "$c" "${client[@]}" "${bert_args[@]}"
    perf batching grpc bert_mini_batched --concurrency-range "$c" "${client[@]}" "${bert_args[@]}"
  done
  echo "batching: the protocol's ceiling (linear), concurrency 16 ..." >&2
  perf batching grpc linear --concurrency-range 16 --async
  perf batching grpc linear_batched --concurrency-range 16 --async
fi

# --- 3. overload ---------------------------------------------------------------
if want overload; then
  echo "overload: capacity ..." >&2
  perf capacity grpc mlp_bounded --concurrency-range 16 --async
  capacity=$(tail -1 "$results" | jq '.steps[0].throughput')
  rate=$(jq -n "$capacity" | awk '{printf "%.0f", $1}')
  rss_before=$(rss_kb)
  server_fail() {  # the server's failed requests (here: rejections) so far: count and ns
    curl -sf "localhost:$http_port/v2/models/mlp_bounded/stats" | jq -c '.model_stats[0].inference_stats.fail'
  }
  fail_before=$(server_fail)
  perf at_capacity grpc mlp_bounded --request-rate "$rate" --rate-threads 16 --async
  fail_mid=$(server_fail)
  echo "overload: $((2 * rate))/s for ${overload_secs}s ..." >&2
  (while sleep 1 && kill -0 $server 2>/dev/null; do rss_kb; done > "$out_dir/rss_during.txt") &
  sampler=$!
  window=$overload_secs perf overload grpc mlp_bounded --request-rate "$((2 * rate))" --rate-threads 16 --async
  fail_after=$(server_fail)
  jq -nc --argjson a "$fail_before" --argjson b "$fail_mid" --argjson c "$fail_after" \
    '{tag: "overload_server_rejections", at_capacity: {count: ($b.count - $a.count), ns: ($b.ns - $a.ns)},
      overload: {count: ($c.count - $b.count), ns: ($c.ns - $b.ns)}}' >> "$results"
  kill $sampler
  rss_after=$(rss_kb)
  rss_max=$(sort -n "$out_dir/rss_during.txt" | tail -1)
  jq -nc --argjson b "$rss_before" --argjson m "${rss_max:-0}" --argjson a "$rss_after" \
    '{tag: "overload_rss", rss_kb: {before: $b, max_during: $m, after: $a}}' >> "$results"
fi

# --- tables --------------------------------------------------------------------
$python - "$results" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def step(r): return r["steps"][0]
def lat(s, p): return s["latency_us"][p]
inproc = [r for r in rows if r["tag"] == "overhead_inprocess"]
over = [r for r in rows if r["tag"] == "overhead"]
if over:
    b = inproc[0]["bench"]["latency_ms"]
    print("### Serving overhead (simple INT32 add/sub, concurrency 1)\n")
    print("| path | p50 us | p99 us | added at p50 us |\n|---|---|---|---|")
    print(f"| in process (Session::Run) | {b['p50']*1000:.1f} | {b['p99']*1000:.1f} | - |")
    floor = {r["protocol"]: r for r in rows if r["tag"] == "overhead_floor"}
    for r in over:
        s = step(r)
        print(f"| {r['protocol']} | {lat(s,'p50'):.1f} | {lat(s,'p99'):.1f} | {lat(s,'p50') - b['p50']*1000:.1f} |")
    for protocol, f in floor.items():
        print(f"| {protocol} liveness check (bare round trip) | {f['p50']:.1f} | {f['p99']:.1f} | - |")
    print()
batch = [r for r in rows if r["tag"] == "batching"]
if batch:
    print("### Dynamic batching (gRPC, batch size 1 per request)\n")
    print("| model | concurrency | unbatched infer/s | batched infer/s | speed-up | unbatched p99 ms | batched p99 ms | p99 ratio | avg batch | server CPU us/req unbatched, batched |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    by = {(r["model"], step(r)["concurrency"]): step(r) for r in batch}
    cpu = {(r["model"], step(r)["concurrency"]): r.get("server_cpu_us_per_request") for r in batch}
    def us(v): return f"{v:.0f}" if v is not None else "-"
    for model, label, batched in (("mlp", "mlp", "mlp_batched"), ("mlp", "mlp, delay 100 us", "mlp_delayed"),
                                  ("bert_mini", "bert_mini", "bert_mini_batched"),
                                  ("linear", "linear (the MLP's I/O, 1/68 of its weights)", "linear_batched")):
        for c in (1, 4, 8, 16):
            u, d = by.get((model, c)), by.get((batched, c))
            if not u or not d: continue
            sv = d.get("server", {})
            avg = sv.get("inferences", 0) / sv["executions"] if sv.get("executions") else 0
            print(f"| {label} | {c} | {u['throughput']:.0f} | {d['throughput']:.0f} | {d['throughput']/max(u['throughput'],1e-9):.2f}x | "
                  f"{lat(u,'p99')/1000:.2f} | {lat(d,'p99')/1000:.2f} | {lat(d,'p99')/max(lat(u,'p99'),1e-9):.2f} | {avg:.1f} | "
                  f"{us(cpu[(model, c)])}, {us(cpu[(batched, c)])} |")
    mlp, ceiling = by.get(("mlp", 16)), by.get(("linear_batched", 16))
    if mlp and ceiling:
        print(f"\nThe protocol's ceiling at concurrency 16: the batched linear model's {ceiling['throughput']:.0f} infer/s "
              f"is {ceiling['throughput']/max(mlp['throughput'],1e-9):.2f}x the unbatched MLP's {mlp['throughput']:.0f}, "
              "the speed-up batching would give the MLP if its own compute cost nothing.")
    print()
cap = [r for r in rows if r["tag"] in ("capacity", "at_capacity", "overload")]
if cap:
    print("### Overload (mlp, dynamic batching, max_queue_size 32)\n")
    print("| run | offered | infer/s | accepted p50 ms | accepted p99 ms | rejected | rejection p99 ms | failed |")
    print("|---|---|---|---|---|---|---|---|")
    for r in cap:
        s = step(r)
        offered = f"concurrency {s['concurrency']}" if "concurrency" in s else f"{s['request_rate']:.0f}/s"
        print(f"| {r['tag']} | {offered} | {s['throughput']:.0f} | {lat(s,'p50')/1000:.2f} | {lat(s,'p99')/1000:.2f} | "
              f"{s['rejected']} | {s['rejected_latency_us']['p99']/1000:.2f} | {s['failed']} |")
    for r in rows:
        if r["tag"] == "overload_server_rejections":
            for run in ("at_capacity", "overload"):
                n = r[run]
                if n["count"]:
                    print(f"\nServer side, {run}: {n['count']} rejections, {n['ns'] / n['count'] / 1000:.1f} us each on average from arrival to answer.")
        if r["tag"] == "overload_rss":
            m = r["rss_kb"]
            print(f"\nServer RSS: {m['before']/1024:.0f} MiB before, at most {m['max_during']/1024:.0f} MiB during, {m['after']/1024:.0f} MiB after.")
PY
