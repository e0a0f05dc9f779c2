#!/usr/bin/env python3
"""kiln's own int8 runtime against the TFLite interpreter, and int8 MobileNetV2 latency.

Reads crates/kiln-lite/tests/fixtures/tflite/{model}_kiln_int8.json (written by
`cargo run --release -p kiln-lite --example int8_bench -- --bench`) and compares it with
the interpreter's output on kiln's {model}_int8.tflite (run here on the same inputs):
the two must agree within 2 output quantization steps. Then times single-image
inference of kiln's mobilenet_v2_int8.tflite in ai-edge-litert 2.3.0 (XNNPACK, the
default delegate) with 1 thread (kiln's runtime is single-threaded) and with the
default thread count, printing one JSON line each. Run from the repository root:
    ~/peers/bin/python tools/golden/bench_tflite_int8.py
"""

import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from ai_edge_litert.interpreter import Interpreter  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_tflite import DIR, arr, run  # noqa: E402


def main():
    failed = False
    for name in ["tiny", "mlp", "cnn", "mobilenet_v2"]:
        p = os.path.join(DIR, f"{name}_kiln_int8.json")
        f = os.path.join(DIR, f"{name}_int8.tflite")
        if not (os.path.exists(p) and os.path.exists(f)):
            print(f"{name}: skipped (no kiln int8 output or file)")
            continue
        with open(os.path.join(DIR, name + ".json")) as fh:
            x = arr(json.load(fh)["input"])
        with open(p) as fh:
            kiln = arr(json.load(fh))
        got, step = run(f, x)
        steps = float(np.abs(got - kiln.reshape(got.shape)).max() / step)
        ok = steps <= 2.0 + 1e-6
        failed |= not ok
        print(f"{name}: {'ok' if ok else 'FAIL'} kiln int8 runtime vs interpreter: "
              f"max {steps:.2f} steps (step {step:.4g})")
    f = os.path.join(DIR, "mobilenet_v2_int8.tflite")
    if os.path.exists(f):
        x = np.random.default_rng(0).random((1, 96, 96, 3), dtype=np.float32)
        for threads in [1, None]:
            it = Interpreter(model_path=f, num_threads=threads)
            it.allocate_tensors()
            i = it.get_input_details()[0]["index"]
            it.set_tensor(i, x)
            for _ in range(5):
                it.invoke()
            ts = []
            for _ in range(50):
                t = time.perf_counter()
                it.invoke()
                ts.append(time.perf_counter() - t)
            print(json.dumps({"bench": "int8_mobilenet_v2_035_96", "impl": "tflite_xnnpack",
                              "threads": threads or "default", "seconds": sorted(ts)[len(ts) // 2]}))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
