#!/usr/bin/env bash
# Quantization benchmark (issue 7): each model in fp32 and as the int8 QDQ
# model `kiln quantize` writes, on Kiln and on ONNX Runtime (the same files),
# measured by bench/compare_ort.sh in alternation.
#
#   bench/quant_compare.sh [--models resnet50,mobilenet_v2,bert_base] [--calibration-random N]
#                          [--batches 1] [--threads 2] [--rounds N] [--quick]
#                          [--ort-dir DIR] [--models-dir DIR] [--out-dir DIR] [--kiln PATH]
#
# CNNs are calibrated on N random input sets (`--calibration-random N`,
# default 8); BERT models on their reference inputs
# (MODELS_DIR/<model>/inputs, sequence 128 with an attention mask), because
# random calibration would see zero token ids at sequence length 1.
# Weights are quantized per channel. Writes OUT_DIR/models/<m>{,_int8}/model.onnx,
# OUT_DIR/quantize_<m>.log (the accuracy reports), compare_ort.sh's files in
# OUT_DIR, and OUT_DIR/quant.md: fp32 vs int8 per engine.
set -euo pipefail
cd "$(dirname "$0")/.."

models=resnet50,mobilenet_v2,bert_base
calibration_random=8
batches=1
threads=2
rounds=2
quick=()
ort_dir=build/ort
models_dir=build/models
out_dir=build/bench_quant
kiln=build/kiln
python=/usr/bin/python3

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --models) models=$2; shift ;;
    --calibration-random) calibration_random=$2; shift ;;
    --batches) batches=$2; shift ;;
    --threads) threads=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --quick) quick=(--quick) ;;
    --ort-dir) ort_dir=$2; shift ;;
    --kiln) kiln=$2; shift ;;
    --models-dir) models_dir=$2; shift ;;
    --out-dir) out_dir=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "quant_compare: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[ -x "$kiln" ] || { echo "quant_compare: $kiln is missing; build it first with scripts/build.sh" >&2; exit 1; }
"$kiln" quantize --help >/dev/null 2>&1 || { echo "quant_compare: this kiln has no 'quantize' command" >&2; exit 1; }

IFS=, read -r -a model_list <<<"$models"
mkdir -p "$out_dir/models"
all=()
for m in "${model_list[@]}"; do
  [ -f "$models_dir/$m/model.onnx" ] || { echo "quant_compare: $models_dir/$m/model.onnx is missing (scripts/export_models.py)" >&2; exit 1; }
  mkdir -p "$out_dir/models/$m" "$out_dir/models/${m}_int8"
  ln -sf "$(realpath "$models_dir/$m/model.onnx")" "$out_dir/models/$m/model.onnx"
  int8="$out_dir/models/${m}_int8/model.onnx"
  if ! [ -f "$int8" ] || [ "$int8" -ot "$kiln" ]; then
    case "$m" in
      bert*) calib=(--calibration "$models_dir/$m/inputs") ;;
      *) calib=(--calibration-random "$calibration_random") ;;
    esac
    echo "quantizing $m (${calib[*]}) ..." >&2
    "$kiln" quantize "$models_dir/$m/model.onnx" --out "$int8" "${calib[@]}" --per-channel \
      >"$out_dir/quantize_$m.log" 2>&1 || { cat "$out_dir/quantize_$m.log" >&2; exit 1; }
  fi
  all+=("$m" "${m}_int8")
done

bench/compare_ort.sh --models "$(IFS=,; echo "${all[*]}")" --batches "$batches" --threads "$threads" \
  --rounds "$rounds" "${quick[@]}" --kiln "$kiln" --ort-dir "$ort_dir" --models-dir "$out_dir/models" --out-dir "$out_dir"

"$python" - "$out_dir/results.json" >"$out_dir/quant.md" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))["rows"]
by = {(r["model"], r["batch"], r["threads"]): r for r in rows}
def f(x): return "-" if x is None else (f"{x:.0f}" if x >= 100 else f"{x:.3g}")
def q(a, b): return "-" if a is None or b is None or b == 0 else f"{a / b:.2f}"
print("| model | batch | thr | Kiln fp32 | Kiln int8 | Kiln int8 speed-up | ORT fp32 | ORT int8 | ORT int8 speed-up | Kiln int8 / ORT int8 |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for (m, b, t), r in by.items():
    if m.endswith("_int8") or (m + "_int8", b, t) not in by:
        continue
    i = by[(m + "_int8", b, t)]
    print(f"| {m} | {b} | {t} | {f(r['kiln_p50'])} | {f(i['kiln_p50'])} | {q(r['kiln_p50'], i['kiln_p50'])}x | "
          f"{f(r['ort_p50'])} | {f(i['ort_p50'])} | {q(r['ort_p50'], i['ort_p50'])}x | {q(i['kiln_p50'], i['ort_p50'])} |")
PY
echo
echo "p50 latency in ms, medians across rounds (speed-up = fp32 p50 / int8 p50):"
cat "$out_dir/quant.md"
