#!/usr/bin/env bash
# Runs the seed training workloads with kiln (`kiln bench train`) and the PyTorch and
# TensorFlow peers (../shared/bench/peers/*_workloads.py) in the same session, alternating
# ROUNDS times (default 3), then prints the median of each figure and kiln / peer ratios.
#
#   bench/run_train.sh [ROUNDS] ["mlp cnn"]
#
# KILN_PEERS_PY  python with torch + tensorflow (default /work/venv-tf/bin/python)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds="${1:-3}"
workloads="${2:-mlp cnn}"
py="${KILN_PEERS_PY:-/work/venv-tf/bin/python}"
peers=""
for cand in "$repo/../shared/bench/peers" /work/shared/bench/peers; do
    if [[ -f "$cand/torch_workloads.py" ]]; then peers="$cand"; break; fi
done
[[ -n "$peers" ]] || { echo "run_train.sh: peer workload scripts not found" >&2; exit 2; }
cargo build --release -p kiln-cli --manifest-path "$repo/Cargo.toml" >&2
kiln="$(cargo metadata --format-version 1 --no-deps --manifest-path "$repo/Cargo.toml" \
    | "$py" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/kiln"
out="$(mktemp)"
export MNIST_DIR="$repo/datasets/mnist"
for _ in $(seq "$rounds"); do
    for wl in $workloads; do
        "$kiln" bench train "$wl" >>"$out"
        "$py" "$peers/torch_workloads.py" "$wl" 2>/dev/null >>"$out"
        "$py" "$peers/tf_workloads.py" "$wl" 2>/dev/null >>"$out"
    done
done
"$py" - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip().startswith("{")]
by = {}
for r in rows:
    who = "kiln" if r.get("impl") == "kiln" else r["peer"].split()[0]
    by.setdefault((r["workload"], who), []).append(r)
for (wl, who), rs in sorted(by.items()):
    med = {k: statistics.median(r[k] for r in rs) for k in ("fit_epoch_s", "eval_s", "predict1_ms", "test_acc")}
    by[(wl, who)] = med
    print(f"{wl:6} {who:11} fit_epoch_s {med['fit_epoch_s']:.3f}  eval_s {med['eval_s']:.3f}  "
          f"predict1_ms {med['predict1_ms']:.4f}  test_acc {med['test_acc']:.4f}  (median of {len(rs)})")
for wl in sorted({w for w, _ in by}):
    k = by.get((wl, "kiln"))
    for peer in ("pytorch", "tensorflow"):
        p = by.get((wl, peer))
        if k and p:
            print(f"{wl:6} kiln/{peer:10} fit_epoch {k['fit_epoch_s']/p['fit_epoch_s']:.2f}x  "
                  f"eval {k['eval_s']/p['eval_s']:.2f}x  predict1 {k['predict1_ms']/p['predict1_ms']:.2f}x")
PY
rm -f "$out"
