#!/usr/bin/env python3
"""Golden fixtures for ActivityRegularization from Keras 3.15 (TF backend).

Writes tools/golden/fixtures/regularization_layers.json. Run from the repository root:
    /work/venv-tf/bin/python tools/golden/gen_regularization_layers.py
Each case calls the layer on a seeded input inside a GradientTape and records the output,
the penalty it adds to `layer.losses` (Keras divides it by the batch size), and the
gradient of sum(output * cotangent) + penalty w.r.t. the input. The random layers
(SpatialDropout, GaussianNoise, GaussianDropout) draw from different generators than TF,
so their tests in crates/kiln/tests/regularization_layers.rs check statistics instead.
"""

import json
import os
import sys
import zlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generate import tensor_json  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")

CASES = [
    ("ar_l1", {"l1": 0.01}, (4, 5)),
    ("ar_l2", {"l2": 0.02}, (3, 2, 4)),
    ("ar_l1_l2", {"l1": 0.03, "l2": 0.005}, (2, 3, 3, 2)),
    ("ar_zero", {}, (2, 3)),
]


def case(name, kwargs, shape):
    g = np.random.default_rng(zlib.crc32(name.encode()))
    layer = keras.layers.ActivityRegularization(**kwargs)
    x = tf.constant(g.normal(size=shape).astype(np.float32))
    cot = g.normal(size=shape).astype(np.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x)
        penalty = tf.add_n(layer.losses) if layer.losses else tf.constant(0.0)
        obj = tf.reduce_sum(y * cot) + penalty
    gx = tape.gradient(obj, x)
    return {
        "name": name,
        "config": layer.get_config(),
        "x": tensor_json(x.numpy()),
        "cotangent": tensor_json(cot),
        "y": tensor_json(y.numpy()),
        "penalty": float(penalty.numpy()),
        "n_losses": len(layer.losses),
        "grad_x": tensor_json(gx.numpy()),
    }


def main():
    cases = [case(*c) for c in CASES]
    path = os.path.join(OUT, "regularization_layers.json")
    with open(path, "w") as f:
        json.dump({"keras": keras.__version__, "cases": cases}, f, separators=(",", ":"))
    print(f"wrote {path}: {len(cases)} cases, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
