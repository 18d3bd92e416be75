#!/usr/bin/env bash
# Benchmarks Kiln against ONNX Runtime (npm's onnxruntime-node, CPU) side by
# side: for each model x batch x threads it runs `kiln bench` and
# bench/ort_bench.js in alternation for several rounds, each in a fresh
# process, and prints the medians across rounds with the Kiln/ORT ratio.
#
#   bench/compare_ort.sh [--quick] [--models a,b] [--batches 1,8] [--threads 1,2]
#                        [--rounds N] [--ort-dir DIR] [--models-dir DIR] [--out-dir DIR]
#                        [--kiln PATH] [--ort-no-spin]
#
# Needs build/kiln (scripts/build.sh), node >= 18 with npm, and for exporting
# missing models Debian's python3-torch/torchvision/numpy
# (scripts/install-deps.sh --bench installs all Debian packages it uses).
# Writes OUT_DIR/raw.jsonl (one line per run), OUT_DIR/machine.txt (date,
# commit, CPU, load average), OUT_DIR/results.csv, results.json and results.md
# (medians); bench/plot.py draws results.json.
set -euo pipefail
cd "$(dirname "$0")/.."

ORT_VERSION=1.30.0
models=mlp,mobilenet_v2,resnet50,bert_mini,bert_base
batches=1,8
threads=1,2
rounds=3
quick=0
ort_extra=()  # --ort-no-spin: ORT's idle pool threads sleep instead of spinning
ort_dir=build/ort
models_dir=build/models
out_dir=build/bench
kiln=build/kiln
python=/usr/bin/python3

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --models) models=$2; shift ;;
    --batches) batches=$2; shift ;;
    --threads) threads=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --ort-dir) ort_dir=$2; shift ;;
    --kiln) kiln=$2; shift ;;
    --ort-no-spin) ort_extra+=(--no-spin) ;;
    --models-dir) models_dir=$2; shift ;;
    --out-dir) out_dir=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "compare_ort: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ "$quick" = 1 ] && [ "$rounds" = 3 ]; then rounds=1; fi
IFS=, read -r -a model_list <<<"$models"
IFS=, read -r -a batch_list <<<"$batches"
IFS=, read -r -a thread_list <<<"$threads"
for n in "${batch_list[@]}" "${thread_list[@]}" "$rounds"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "compare_ort: '$n' is not a positive integer" >&2; exit 2; }
done

tty=0
[ -t 2 ] && tty=1
say() { if [ "$tty" = 1 ]; then printf '\r\033[K%s' "$*" >&2; fi; }
note() { if [ "$tty" = 1 ]; then printf '\r\033[K%s\n' "$*" >&2; fi; }

# --- prerequisites -----------------------------------------------------------
[ -x "$kiln" ] || { echo "compare_ort: $kiln is missing; build it first with scripts/build.sh" >&2; exit 1; }
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "compare_ort: needs node (>= 18) and npm" >&2
  exit 1
fi
ort_module="$(cd "$(dirname "$ort_dir")" && pwd)/$(basename "$ort_dir")/node_modules/onnxruntime-node"
if ! [ -f "$ort_module/package.json" ] ||
   [ "$(node -p "require('$ort_module/package.json').version")" != "$ORT_VERSION" ]; then
  note "installing onnxruntime-node@$ORT_VERSION into $ort_dir"
  mkdir -p "$ort_dir"
  # --ignore-scripts: the install script only fetches optional GPU libraries;
  # the CPU library ships in the package itself.
  (cd "$ort_dir" && npm install --ignore-scripts --no-audit --no-fund --no-save --silent \
      "onnxruntime-node@$ORT_VERSION" >/dev/null)
fi
for m in "${model_list[@]}"; do
  if ! [ -f "$models_dir/$m/model.onnx" ]; then
    note "exporting $m into $models_dir (PyTorch, takes a while)"
    mkdir -p "$out_dir"
    if ! "$python" scripts/export_models.py "$models_dir" --only "$m" >"$out_dir/export.log" 2>&1; then
      cat "$out_dir/export.log" >&2
      echo "compare_ort: exporting $m failed" >&2
      exit 1
    fi
  fi
done

kiln_threads=0
if "$kiln" bench --help 2>/dev/null | grep -q -- '--threads'; then kiln_threads=1; fi
[ "$kiln_threads" = 1 ] || note "kiln bench has no --threads: Kiln runs single-threaded in every row"

# --- per-model settings ------------------------------------------------------
# Iterations are chosen so a full run stays around 15-25 minutes on 2 cores.
dims_for() { case "$1" in bert*) echo "sequence=128" ;; *) echo "" ;; esac; }
iterations_for() {  # model batch -> "iterations warmup"
  local it wu
  # Prefix patterns, so that variants (resnet50_int8, ...) get their model's counts.
  case "$1:$2" in
    mlp*:*) it=300; wu=30 ;;
    bert_mini*:1|mobilenet_v2*:1) it=40; wu=5 ;;
    bert_mini*:*|mobilenet_v2*:*) it=12; wu=2 ;;
    resnet50*:1|bert_base*:1) it=12; wu=2 ;;
    resnet50*:*) it=5; wu=1 ;;
    bert_base*:*) it=4; wu=1 ;;
    *:1) it=30; wu=3 ;;
    *) it=10; wu=2 ;;
  esac
  if [ "$quick" = 1 ]; then it=$(( it / 4 > 2 ? it / 4 : 2 )); wu=1; fi
  echo "$it $wu"
}

mkdir -p "$out_dir/inputs"
raw="$out_dir/raw.jsonl"
: >"$raw"
machine="$out_dir/machine.txt"
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "kiln: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- engine server tools 2>/dev/null || echo ' (modified)')"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores available"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$machine"

# Kiln's generated integer inputs are zeros; give it the all-ones attention
# mask ORT gets (as .npy files), so both engines see the same data.
declare -A mask_names
mask_args() {  # model batch -> kiln --input arguments
  local model=$1 batch=$2 dims seq f name
  dims=$(dims_for "$model")
  [ -n "$dims" ] || return 0
  seq=${dims#*=}
  if [ -z "${mask_names[$model]+x}" ]; then
    mask_names[$model]=$(node -e "
      require('$ort_module').InferenceSession.create(process.argv[1]).then((s) => {
        for (const m of s.inputMetadata) if (/mask/i.test(m.name) && m.type === 'int64') console.log(m.name);
      });" "$models_dir/$model/model.onnx")
  fi
  for name in ${mask_names[$model]}; do
    f="$out_dir/inputs/${name}_${batch}x${seq}.npy"
    [ -f "$f" ] || "$python" -c "import numpy, sys; numpy.save(sys.argv[1], numpy.ones((int(sys.argv[2]), int(sys.argv[3])), numpy.int64))" \
      "$f" "$batch" "$seq"
    printf -- '--input %s=%s ' "$name" "$f"
  done
}

# --- runs --------------------------------------------------------------------
record() {  # engine model batch threads round json
  if [ -z "$6" ]; then
    note ""
    echo "compare_ort: $1 failed on $2 batch $3 threads $4 (round $5); row skipped" >&2
    return 0
  fi
  printf '{"engine": "%s", "model_name": "%s", "batch": %s, "threads": %s, "round": %s, "kiln_threads_flag": %s, "result": %s}\n' \
    "$1" "$2" "$3" "$4" "$5" "$kiln_threads" "$6" >>"$raw"
}

kiln_run() {  # model batch threads iterations warmup
  local thread_args=() dim_args=() dims
  [ "$kiln_threads" = 1 ] && thread_args=(--threads "$3")
  dims=$(dims_for "$1"); [ -n "$dims" ] && dim_args=(--dim "$dims")
  # shellcheck disable=SC2046 # mask_args prints whitespace-free words
  "$kiln" bench "$models_dir/$1/model.onnx" --batch "$2" --iterations "$4" --warmup "$5" --json \
    "${dim_args[@]}" $(mask_args "$1" "$2") "${thread_args[@]}"
}
ort_run() {  # model batch threads iterations warmup
  local dim_args=() dims
  dims=$(dims_for "$1"); [ -n "$dims" ] && dim_args=(--dim "$dims")
  node bench/ort_bench.js "$models_dir/$1/model.onnx" --ort "$ort_module" \
    --batch "$2" --threads "$3" --iterations "$4" --warmup "$5" "${dim_args[@]}" "${ort_extra[@]}"
}

configs=()
for m in "${model_list[@]}"; do for b in "${batch_list[@]}"; do configs+=("$m:$b"); done; done
runs_per_config=$(( ${#thread_list[@]} * (kiln_threads == 1 ? 2 : 1) + (kiln_threads == 1 ? 0 : 1) ))
total=$(( rounds * ${#configs[@]} * runs_per_config ))
step=0
progress() { step=$(( step + 1 )); say "[$step/$total] round $r/$rounds  $1  $m  batch $b  threads $2"; }
for m in "${model_list[@]}"; do mask_args "$m" 1 >/dev/null; done  # resolve mask names once
for (( r = 1; r <= rounds; ++r )); do
  for cfg in "${configs[@]}"; do
    m=${cfg%%:*}; b=${cfg#*:}
    read -r it wu <<<"$(iterations_for "$m" "$b")"
    # Without --threads, Kiln's run is the same for every thread count: measure it once.
    if [ "$kiln_threads" = 0 ]; then progress kiln 1; kiln_single=$(kiln_run "$m" "$b" 1 "$it" "$wu" || true); fi
    for t in "${thread_list[@]}"; do
      if [ "$kiln_threads" = 1 ]; then progress kiln "$t"; record kiln "$m" "$b" "$t" "$r" "$(kiln_run "$m" "$b" "$t" "$it" "$wu" || true)"
      else record kiln "$m" "$b" "$t" "$r" "$kiln_single"; fi
      progress ort "$t"
      record ort "$m" "$b" "$t" "$r" "$(ort_run "$m" "$b" "$t" "$it" "$wu" || true)"
    done
  done
done
say ""
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$machine"

cat "$machine"
"$python" bench/summarize.py "$raw" --out-dir "$out_dir"
