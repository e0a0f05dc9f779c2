#!/usr/bin/env python3
"""Checks every .tflite kiln writes against the real TFLite interpreter
(ai-edge-litert 2.3.0) and against what tf.lite.TFLiteConverter (tensorflow-cpu 2.21)
writes for the same Keras model.

Reads crates/kiln-lite/tests/fixtures/tflite/{model}.json (written by
`cargo run --release -p kiln-lite --example write_tflite_fixtures [-- --apps]`), with
the model's .keras file and its .tflite per mode beside it. For each file it
  - loads it with ai_edge_litert.interpreter.Interpreter and runs it on the saved
    inputs (one image at a time, batch 1), comparing with kiln's float predictions:
    float32 within 1e-5, float16 and dynamic range within their rounding, int8 within
    2 quantization steps of the output;
  - converts the .keras model with TFLiteConverter in the same mode (the same
    representative samples), runs it too, and prints the differences in op codes,
    tensor types and quantization parameters between the two files.
Writes the interpreter's outputs for kiln's and the converter's files to
crates/kiln-lite/tests/fixtures/tflite/{model}_check.json, and the converter's file
as {model}_{mode}_tf.tflite. Run from the repository root:
    ~/peers/bin/python tools/golden/check_tflite.py [model ...]
Exit status 1 if any kiln file fails to load or misses its tolerance.
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402
from ai_edge_litert.interpreter import Interpreter, OpResolverType  # noqa: E402

DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                   "crates", "kiln-lite", "tests", "fixtures", "tflite")
MODES = ["f32", "f16", "dynamic", "int8"]


def arr(j):
    return np.asarray(j["data"], dtype=np.float32).reshape(j["shape"])


def run(path_or_bytes, x):
    """Runs a .tflite on each row of x; returns float outputs and the output step."""
    if isinstance(path_or_bytes, bytes):
        it = Interpreter(model_content=path_or_bytes)
    else:
        it = Interpreter(model_path=path_or_bytes)
    it.allocate_tensors()
    inp = it.get_input_details()[0]
    out = it.get_output_details()[0]
    ys = []
    for row in x:
        v = row[None]
        if inp["dtype"] == np.int8:
            s, z = inp["quantization"]
            v = np.clip(np.round(v / s) + z, -128, 127).astype(np.int8)
        it.set_tensor(inp["index"], v.astype(inp["dtype"]))
        it.invoke()
        y = it.get_tensor(out["index"])
        if out["dtype"] == np.int8:
            s, z = out["quantization"]
            y = (y.astype(np.float32) - z) * s
        ys.append(y[0].astype(np.float32))
    return np.stack(ys), output_step(it)


def output_step(it):
    """The quantization step of the model output (of the tensor a final DEQUANTIZE reads)."""
    out = it.get_output_details()[0]
    if out["dtype"] == np.int8:
        return out["quantization"][0]
    details = {t["index"]: t for t in it.get_tensor_details()}
    for op in it._get_ops_details():
        if out["index"] in list(op["outputs"]) and op["op_name"] == "DEQUANTIZE":
            return details[op["inputs"][0]]["quantization"][0]
    return None


def summary(content):
    """Per op: name, and (type, scale count, first scale, zero point) of its tensors."""
    # Without the default (XNNPACK) delegate, which would replace the ops it takes.
    it = Interpreter(model_content=content,
                     experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    it.allocate_tensors()
    details = {t["index"]: t for t in it.get_tensor_details()}

    def t(i):
        if i < 0:
            return "-"
        d = details[i]
        q = d["quantization_parameters"]
        sc = q["scales"]
        ty = np.dtype(d["dtype"]).name
        if len(sc) == 0:
            return ty
        return f"{ty}[{len(sc)} scales {sc[0]:.4g} zp {int(q['zero_points'][0])} dim {q['quantized_dimension']}]"

    return [(op["op_name"], [t(i) for i in op["inputs"]], [t(i) for i in op["outputs"]])
            for op in it._get_ops_details()]


def convert(model, mode, rep):
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    if mode != "f32":
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
    if mode == "f16":
        conv.target_spec.supported_types = [tf.float16]
    if mode == "int8":
        conv.representative_dataset = lambda: ([r] for r in rep)
    return conv.convert()


def diff(kiln, ref):
    lines = []
    kops = [o[0] for o in kiln]
    rops = [o[0] for o in ref]
    if kops != rops:
        lines.append(f"  op sequence differs:\n    kiln: {kops}\n    tf:   {rops}")
    for i, (k, r) in enumerate(zip(kiln, ref)):
        if k[0] == r[0] and (k[1] != r[1] or k[2] != r[2]):
            lines.append(f"  op {i} {k[0]}: kiln in {k[1]} out {k[2]}\n"
                         f"  {' ' * len(str(i))}    tf   in {r[1]} out {r[2]}")
    return lines


def main():
    names = sys.argv[1:] or sorted(f[:-5] for f in os.listdir(DIR)
                                   if f.endswith(".json") and not f.endswith("_check.json"))
    failed = False
    for name in names:
        with open(os.path.join(DIR, name + ".json")) as f:
            j = json.load(f)
        x = arr(j["input"])
        want = arr(j["kiln_float"])
        rep = [arr(r) for r in j["representative"]]
        model = keras.saving.load_model(os.path.join(DIR, name + ".keras"))
        kpred = np.asarray(model(x, training=False))
        print(f"== {name}: Keras on kiln's .keras vs kiln predict: max |diff| "
              f"{np.abs(kpred - want).max():.3g}")
        report = {"modes": {}}
        for mode in MODES:
            f = j["files"].get(mode)
            if f is None:
                print(f"  {mode}: kiln wrote no file")
                continue
            path = os.path.join(DIR, f)
            try:
                got, step = run(path, x)
            except Exception as e:  # noqa: BLE001
                print(f"  {mode}: FAIL interpreter could not run {f}: {e}")
                failed = True
                continue
            err = float(np.abs(got - want).max())
            if mode == "f32":
                tol = 1e-5
            elif mode in ("f16", "dynamic"):
                tol = 2e-2 * max(1.0, float(np.abs(want).max()))
            else:
                tol = 2 * step
            ok = err <= tol
            failed |= not ok
            tf_bytes = convert(model, mode, rep)
            with open(os.path.join(DIR, f"{name}_{mode}_tf.tflite"), "wb") as fh:
                fh.write(tf_bytes)
            tf_got, tf_step = run(tf_bytes, x)
            tf_err = float(np.abs(tf_got - want).max())
            ksize = os.path.getsize(path)
            print(f"  {mode}: {'ok' if ok else 'FAIL'} kiln file vs kiln float: max |diff| "
                  f"{err:.3g} (tol {tol:.3g}); converter's file vs kiln float: {tf_err:.3g}; "
                  f"size kiln {ksize} tf {len(tf_bytes)} ({ksize / len(tf_bytes):.3f}x)")
            with open(path, "rb") as fh:
                d = diff(summary(fh.read()), summary(tf_bytes))
            print("\n".join(d) if d else "  op codes, tensor types and quantization match")
            report["modes"][mode] = {
                "interpreter_output": got.reshape(-1).tolist(),
                "converter_file_output": tf_got.reshape(-1).tolist(),
                "output_step": step, "max_abs_diff": err, "tolerance": tol,
                "size_kiln": ksize, "size_tf": len(tf_bytes), "differences": d,
            }
        with open(os.path.join(DIR, name + "_check.json"), "w") as fh:
            json.dump(report, fh)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
