#!/usr/bin/env bash
# Runs kiln's single-op benchmarks and the NumPy/PyTorch peers back to back on this
# machine, then prints kiln seconds / best peer seconds per bench.
#
#   bench/run_ops.sh [OUT_DIR]
#
# KILN_PEERS_PY   python with numpy + torch (default /work/venv-tf/bin/python)
# KILN_PEERS_SCRIPT  the peer script (default: ../shared/bench/peers/ops_peers.py next to
#                 the repository, else /work/shared/bench/peers/ops_peers.py)
# Run it on an otherwise idle machine: the figures are wall times.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$repo/target/bench}"
py="${KILN_PEERS_PY:-/work/venv-tf/bin/python}"
script="${KILN_PEERS_SCRIPT:-}"
if [[ -z "$script" ]]; then
    for cand in "$repo/../shared/bench/peers/ops_peers.py" /work/shared/bench/peers/ops_peers.py; do
        if [[ -f "$cand" ]]; then script="$cand"; break; fi
    done
fi
[[ -n "$script" && -f "$script" ]] || { echo "run_ops.sh: ops_peers.py not found; set KILN_PEERS_SCRIPT" >&2; exit 2; }
mkdir -p "$out"

echo "== building kiln (release)" >&2
cargo build --release -p kiln-cli --manifest-path "$repo/Cargo.toml" >&2
target_dir="$(cargo metadata --format-version 1 --no-deps --manifest-path "$repo/Cargo.toml" \
    | "$py" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"

echo "== kiln bench ops" >&2
"$target_dir/release/kiln" bench ops | tee "$out/kiln_ops.jsonl" >&2
echo "== peers ($py $script)" >&2
"$py" "$script" | tee "$out/peers_ops.jsonl" >&2

echo
"$py" "$repo/bench/ratios.py" "$out/kiln_ops.jsonl" "$out/peers_ops.jsonl"
