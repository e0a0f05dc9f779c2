#!/usr/bin/env bash
# The generative workloads `gan_iter_b64` (S003-35's GAN, one D-real + D-fake + G
# iteration at batch 64) and `vae_epoch` (S001-2's VAE, one MNIST epoch) with kiln
# (`kiln bench train`), PyTorch and Keras (../shared/bench/peers/seed_workloads.py) in the
# same session, alternating ROUNDS times (default 3); prints each JSON line, the medians
# and the kiln / peer ratios. Keras's vae_epoch is left out unless WITH_TF_VAE=1 (slow).
#
#   bench/run_gen.sh [ROUNDS]
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
[[ -n "$peers" ]] || { echo "run_gen.sh: seed_workloads.py not found" >&2; exit 2; }
kiln="${CARGO_TARGET_DIR:-$repo/target}/release/kiln"
[[ -x "$kiln" ]] || { echo "run_gen.sh: $kiln not built" >&2; exit 2; }
out="$(mktemp)"
export MNIST_DIR="${MNIST_DIR:-$repo/datasets/mnist}"
for _ in $(seq "$rounds"); do
    "$kiln" bench train gan_iter_b64 | tee -a "$out"
    (cd "$peers" && "$py" seed_workloads.py torch gan_iter_b64 2>/dev/null) | tee -a "$out"
    (cd "$peers" && "$py" seed_workloads.py tf gan_iter_b64 2>/dev/null) | tee -a "$out"
    "$kiln" bench train vae_epoch | tee -a "$out"
    (cd "$peers" && "$py" seed_workloads.py torch vae_epoch 2>/dev/null) | tee -a "$out"
    if [[ "${WITH_TF_VAE:-0}" == 1 ]]; then
        (cd "$peers" && "$py" seed_workloads.py tf vae_epoch 2>/dev/null) | tee -a "$out"
    fi
done
"$py" - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip().startswith("{")]
def med(who, workload, key):
    v = [r[key] for r in rows if r["peer"].split()[0] == who and r["workload"] == workload and key in r]
    return statistics.median(v) if v else float("nan")
k, t, f = (med(w, "gan_iter_b64", "iter_ms") for w in ("kiln", "pytorch", "tensorflow"))
print(f"gan_iter_b64 medians: kiln {k:.3f} ms, PyTorch {t:.3f} ms, Keras {f:.3f} ms; "
      f"kiln / PyTorch {k / t:.3f} (<= 0.5), kiln / Keras {k / f:.3f} (<= 0.1)")
k, t, f = (med(w, "vae_epoch", "fit_epoch_s") for w in ("kiln", "pytorch", "tensorflow"))
kv, tv = med("kiln", "vae_epoch", "val_loss"), med("pytorch", "vae_epoch", "val_loss")
print(f"vae_epoch medians: kiln {k:.3f} s (val_loss {kv:.2f}), PyTorch {t:.3f} s (val_loss {tv:.2f}), "
      f"Keras {f:.3f} s; kiln / PyTorch {k / t:.3f} (<= 0.7)")
PY
