#!/usr/bin/env bash
# S003-49's per-step workload `dqn_step` with kiln (`kiln bench train dqn_step`), Keras and
# PyTorch (../shared/bench/peers/seed_workloads.py) in the same session, alternating ROUNDS
# times (default 3); prints each run's JSON line, the medians and the kiln / peer ratios.
#
#   bench/run_dqn.sh [ROUNDS]
#
# KILN_PEERS_PY  python with torch + tensorflow (default ~/peers/bin/python)
# Expects `cargo build --release -p kiln-cli` done (CARGO_TARGET_DIR honoured).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds="${1:-3}"
py="${KILN_PEERS_PY:-$HOME/peers/bin/python}"
peers=""
for cand in "$repo/../shared/bench/peers" /work/shared/bench/peers; do
    if [[ -f "$cand/seed_workloads.py" ]]; then peers="$cand"; break; fi
done
[[ -n "$peers" ]] || { echo "run_dqn.sh: seed_workloads.py not found" >&2; exit 2; }
kiln="${CARGO_TARGET_DIR:-$repo/target}/release/kiln"
[[ -x "$kiln" ]] || { echo "run_dqn.sh: $kiln not built" >&2; exit 2; }
out="$(mktemp)"
export MNIST_DIR="${MNIST_DIR:-$repo/datasets/mnist}"
for _ in $(seq "$rounds"); do
    "$kiln" bench train dqn_step | tee -a "$out"
    (cd "$peers" && "$py" seed_workloads.py tf dqn_step 2>/dev/null) | tee -a "$out"
    (cd "$peers" && "$py" seed_workloads.py torch dqn_step 2>/dev/null) | tee -a "$out"
done
"$py" - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip().startswith("{")]
def med(who, key):
    v = [r[key] for r in rows if r["peer"].split()[0] == who and key in r]
    return statistics.median(v) if v else float("nan")
k = med("kiln", "step_ms")
tf_seed, tf_direct, torch = med("tensorflow", "step_ms"), med("tensorflow", "step_ms_direct"), med("pytorch", "step_ms")
print(f"dqn_step medians over {len(rows) // 3} rounds: kiln {k:.4f} ms, Keras seed-style {tf_seed:.3f} ms, "
      f"Keras direct {tf_direct:.3f} ms, PyTorch {torch:.4f} ms")
print(f"kiln / Keras seed-style {k / tf_seed:.4f} (<= 0.05), kiln / Keras direct {k / tf_direct:.4f} (<= 0.2), "
      f"kiln / PyTorch {k / torch:.3f} (<= 0.5)")
PY
