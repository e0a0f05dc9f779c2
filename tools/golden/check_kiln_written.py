#!/usr/bin/env python3
"""Loads files kiln wrote (examples/write_interop_files.rs) in Keras 3 and checks them.

    cargo run -p kiln --example write_interop_files -- /tmp/kiln_interop
    /work/venv-tf/bin/python tools/golden/check_kiln_written.py /tmp/kiln_interop

For each fixture model: Keras loads kiln's .keras archive and predicts what it predicted
for its own original (tools/golden/fixtures/saving/<name>.json), and load_weights reads
kiln's .weights.h5 into a fresh copy. kiln_attention.keras (built and trained in kiln)
and kiln_rnn.keras (LSTM into GRU) must predict kiln's recorded predictions. Each <name>.safetensors (kiln's
save_weights_safetensors) is read with the safetensors package's numpy API: its keys
must be exactly Keras's `variable.path` of every weight of the model Keras loaded from
kiln's archive, with the same values. Prints one line per check and a summary.
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
import keras  # noqa: E402
from safetensors.numpy import load_file  # noqa: E402

FIX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "saving")


def arr(t):
    return np.asarray(t["data"], dtype=np.float32).reshape(t["shape"])


def check_safetensors(model, path):
    """The file holds exactly the model's variables, keyed by Keras's variable paths."""
    tensors = load_file(path)
    want = {w.path: np.asarray(w.numpy()) for w in model.weights}
    assert set(tensors) == set(want), (sorted(tensors), sorted(want))
    for k, v in want.items():
        np.testing.assert_array_equal(tensors[k], v, err_msg=k)
    return len(want)


def main(out):
    checks = 0
    for name in ["mlp", "cnn", "multi_input_shared", "batchnorm", "lstm"]:
        with open(os.path.join(FIX, f"{name}.json")) as f:
            fx = json.load(f)
        xs = [arr(t) for t in fx["inputs"]]
        x_in = xs[0] if len(xs) == 1 else xs
        want = [arr(t) for t in fx["predictions"]]
        m = keras.models.load_model(os.path.join(out, f"{name}.keras"))
        got = m.predict(x_in, verbose=0)
        got = got if isinstance(got, list) else [got]
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
        checks += 1
        print(f"ok  {name}.keras loads in Keras and predicts Keras's original outputs")
        n = check_safetensors(m, os.path.join(out, f"{name}.safetensors"))
        checks += 1
        print(f"ok  {name}.safetensors: {n} tensors keyed by Keras variable paths, equal values")
        fresh = keras.models.load_model(os.path.join(FIX, f"{name}.keras"))
        for w in fresh.weights:
            w.assign(np.zeros(w.shape, w.dtype))
        fresh.load_weights(os.path.join(out, f"{name}.weights.h5"))
        got = fresh.predict(x_in, verbose=0)
        got = got if isinstance(got, list) else [got]
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
        checks += 1
        print(f"ok  {name}.weights.h5 loads with load_weights")
    with open(os.path.join(out, "kiln_attention.json")) as f:
        rec = json.load(f)
    m = keras.models.load_model(os.path.join(out, "kiln_attention.keras"))
    np.testing.assert_allclose(m.predict(arr(rec["x"]), verbose=0), arr(rec["y"]), rtol=1e-5, atol=1e-6)
    checks += 1
    print("ok  kiln_attention.keras (built and trained in kiln) predicts kiln's outputs in Keras")
    n = check_safetensors(m, os.path.join(out, "kiln_attention.safetensors"))
    checks += 1
    print(f"ok  kiln_attention.safetensors: {n} tensors keyed by Keras variable paths, equal values")
    with open(os.path.join(out, "kiln_rnn.json")) as f:
        rec = json.load(f)
    m = keras.models.load_model(os.path.join(out, "kiln_rnn.keras"))
    np.testing.assert_allclose(m.predict(arr(rec["x"]), verbose=0), arr(rec["y"]), rtol=1e-5, atol=1e-6)
    checks += 1
    print("ok  kiln_rnn.keras (LSTM + GRU built and trained in kiln) predicts kiln's outputs in Keras")
    # Compile configs kiln re-saved (write_interop_files.rs): Keras loads them compiled and
    # the next training steps log what Keras logged after loading its own file.
    @keras.saving.register_keras_serializable(package="demo")
    def scaled_abs(y_true, y_pred):
        return 2.0 * keras.ops.mean(keras.ops.abs(y_true - y_pred), axis=-1)

    @keras.saving.register_keras_serializable(package="demo")
    def max_abs_err(y_true, y_pred):
        return keras.ops.max(keras.ops.abs(y_true - y_pred), axis=-1)

    import gen_saving_compile  # noqa: F401  (registers demo>Classifier and demo>Scale)

    for name in ["two_output_maps", "two_output_lists", "custom_loss_metric", "subclassed"]:
        with open(os.path.join(FIX, "compile", f"{name}.json")) as f:
            fx = json.load(f)
        m = keras.models.load_model(os.path.join(out, f"kiln_{name}.keras"))
        assert m.compiled, name
        for b, want in zip(fx["batches"], fx["logs"]):
            ys = [np.asarray(t["data"], dtype=t["dtype"]).reshape(t["shape"]) for t in b["y"]]
            got = m.train_on_batch(arr(b["x"]), ys if len(ys) > 1 else ys[0], return_dict=True)
            for k, v in want.items():
                np.testing.assert_allclose(float(got[k]), v, rtol=1e-6, err_msg=f"{name} {k}")
        if name == "subclassed":
            assert type(m).__name__ == "Classifier" and m.units == 6, type(m)
        checks += 1
        print(f"ok  kiln_{name}.keras: compiled in Keras, trains on with Keras's own losses and metrics")
    print(f"all {checks} checks passed (keras {keras.__version__})")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/kiln_interop")
