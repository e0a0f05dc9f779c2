#!/usr/bin/env python3
"""Golden fixtures for Keras 3.15's dtype policies (mixed precision).

Writes tools/golden/fixtures/dtype_policies.json. Run from the repository root:
    ~/peers/bin/python tools/golden/gen_dtype_policies.py

For every policy name and every layer case: the layer is built under
`keras.config.set_dtype_policy(policy)` (the global policy) and, separately, with
`dtype=policy` passed to the constructor; each records the layer's `dtype_policy.name`,
`compute_dtype`, `variable_dtype`, the dtype of every weight, the serialized `dtype` entry
of `get_config()`, the output dtype for a float32 input, and the output values (as
float64) with weights set from a seeded generator, so kiln's values can be checked within
the compute dtype's rounding. Also recorded: the errors Keras raises for an unknown
policy name.
"""

import json
import os
import sys
import zlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
import keras  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
POLICIES = ["float32", "mixed_float16", "mixed_bfloat16", "float16", "bfloat16"]

# (name, class, kwargs, input shape (with batch), training)
CASES = [
    ("dense", "Dense", {"units": 3}, [2, 4], False),
    ("dense_softmax", "Dense", {"units": 3, "activation": "softmax"}, [2, 4], False),
    ("conv2d", "Conv2D", {"filters": 2, "kernel_size": 3}, [1, 5, 5, 2], False),
    ("batch_norm_inference", "BatchNormalization", {}, [3, 4], False),
    ("batch_norm_training", "BatchNormalization", {}, [3, 4], True),
    ("layer_norm", "LayerNormalization", {}, [2, 5], False),
    ("activation_softmax", "Activation", {"activation": "softmax"}, [2, 4], False),
    ("softmax", "Softmax", {}, [2, 4], False),
    ("relu", "ReLU", {}, [2, 4], False),
    ("flatten", "Flatten", {}, [2, 2, 3], False),
    ("max_pool2d", "MaxPooling2D", {"pool_size": 2}, [1, 4, 4, 1], False),
    ("global_avg_pool2d", "GlobalAveragePooling2D", {}, [1, 3, 3, 2], False),
    ("dropout_inference", "Dropout", {"rate": 0.5}, [2, 4], False),
    ("lstm", "LSTM", {"units": 3}, [2, 4, 3], False),
    ("gru", "GRU", {"units": 3}, [2, 4, 3], False),
    ("simple_rnn", "SimpleRNN", {"units": 3}, [2, 4, 3], False),
]


def rng(name):
    return np.random.default_rng(zlib.crc32(name.encode()))


def run_case(policy, how, name, cls, kwargs, shape, training):
    keras.config.set_dtype_policy(policy if how == "global" else "float32")
    kw = dict(kwargs)
    if how == "argument":
        kw["dtype"] = policy
    layer = getattr(keras.layers, cls)(**kw)
    g = rng(name)
    x = g.standard_normal(shape).astype(np.float32)
    layer.build(tuple(shape))
    weights = [
        (g.standard_normal(w.shape) * 0.5).astype(np.float32)
        if "variance" not in w.path
        else (np.abs(g.standard_normal(w.shape)) + 0.5).astype(np.float32)
        for w in layer.weights
    ]
    layer.set_weights(weights)
    y = layer(x, training=training)
    cfg = layer.get_config()
    out = {
        "policy": policy,
        "how": how,
        "name": name,
        "class": cls,
        "kwargs": kwargs,
        "training": training,
        "x": {"shape": list(x.shape), "data": x.ravel().astype(float).tolist()},
        "weights": [
            {"shape": list(w.shape), "data": w.ravel().astype(float).tolist()}
            for w in weights
        ],
        "dtype_policy": layer.dtype_policy.name,
        "compute_dtype": layer.compute_dtype,
        "variable_dtype": layer.variable_dtype,
        "weight_dtypes": [keras.backend.standardize_dtype(w.dtype) for w in layer.weights],
        "config_dtype": cfg.get("dtype"),
        "y_dtype": keras.backend.standardize_dtype(y.dtype),
        "y": {
            "shape": list(y.shape),
            "data": np.asarray(keras.ops.cast(y, "float32")).ravel().astype(float).tolist(),
        },
    }
    keras.config.set_dtype_policy("float32")
    return out


def errors():
    res = {}
    for bad in ["float17", "mixed_int8"]:
        try:
            keras.DTypePolicy(bad)
            res[bad] = None
        except Exception as e:  # noqa: BLE001
            res[bad] = f"{type(e).__name__}: {e}"
    return res


def main():
    cases = []
    for policy in POLICIES:
        for how in ["global", "argument"]:
            for c in CASES:
                try:
                    cases.append(run_case(policy, how, *c))
                except Exception as e:  # noqa: BLE001
                    # Keras itself cannot build some layers under a policy (the
                    # orthogonal initializer has no bfloat16 QR in TF): recorded so
                    # kiln's behaviour can be compared.
                    keras.config.set_dtype_policy("float32")
                    cases.append({"policy": policy, "how": how, "name": c[0],
                                  "class": c[1], "keras_error": type(e).__name__})
    doc = {
        "generator": "tools/golden/gen_dtype_policies.py",
        "versions": {"keras": keras.__version__, "numpy": np.__version__},
        "cases": cases,
        "errors": errors(),
    }
    path = os.path.join(OUT, "dtype_policies.json")
    with open(path + ".tmp", "w") as f:
        json.dump(doc, f, separators=(",", ":"))
    os.replace(path + ".tmp", path)
    print(f"wrote {path}: {len(cases)} cases")


if __name__ == "__main__":
    main()
