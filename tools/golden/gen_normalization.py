#!/usr/bin/env python3
"""Golden fixtures for the normalization layers from Keras 3.15 (TF backend).

Writes tools/golden/fixtures/normalization.json. Run from the repository root:
    /work/venv-tf/bin/python tools/golden/gen_normalization.py
Each case builds a layer from a config, sets its weights from a seeded generator, calls
it on a seeded input in training or inference mode, and records the output, the
gradients of sum(output * cotangent) w.r.t. the input and every trainable weight, and
every weight after the call (BatchNormalization's moving statistics). A final case
trains a Dense + BatchNormalization model for one train_on_batch step.
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
F32 = np.float32


def rng(name):
    return np.random.default_rng(zlib.crc32(name.encode()))


CASES = [
    # (name, class, config, input shape, training)
    ("bn_train_2d", "BatchNormalization", {}, (4, 3), True),
    ("bn_infer_2d", "BatchNormalization", {}, (4, 3), False),
    ("bn_train_4d", "BatchNormalization", {"momentum": 0.9, "epsilon": 0.01}, (2, 3, 3, 2), True),
    ("bn_train_axis1", "BatchNormalization", {"axis": 1}, (2, 3, 4), True),
    ("bn_infer_axis1", "BatchNormalization", {"axis": 1}, (2, 3, 4), False),
    ("bn_train_nocenter", "BatchNormalization", {"center": False}, (5, 2), True),
    ("bn_train_noscale", "BatchNormalization", {"scale": False}, (5, 2), True),
    ("ln_last", "LayerNormalization", {}, (3, 5), True),
    ("ln_3d_last", "LayerNormalization", {"epsilon": 1e-5}, (2, 3, 4), True),
    ("ln_axes12", "LayerNormalization", {"axis": [1, 2]}, (2, 3, 4), True),
    ("ln_axis1", "LayerNormalization", {"axis": 1}, (2, 3, 4), True),
    ("ln_rms", "LayerNormalization", {"rms_scaling": True}, (3, 4), True),
    ("ln_nocenter", "LayerNormalization", {"center": False}, (3, 4), True),
    ("gn_2", "GroupNormalization", {"groups": 2}, (2, 3, 4), True),
    ("gn_inst", "GroupNormalization", {"groups": -1}, (2, 2, 2, 4), True),
    ("gn_1", "GroupNormalization", {"groups": 1, "epsilon": 1e-5}, (2, 5, 6), True),
    ("gn_axis1", "GroupNormalization", {"groups": 2, "axis": 1}, (2, 4, 3), True),
    ("un_last", "UnitNormalization", {}, (3, 4), True),
    ("un_axes", "UnitNormalization", {"axis": [1, 2]}, (2, 3, 2), True),
]


def layer_case(name, cls, cfg, shape, training):
    g = rng(name)
    layer = getattr(keras.layers, cls)(**cfg)
    x = g.normal(1.0, 2.0, size=shape).astype(F32)
    layer.build(shape)
    weights = []
    for w in layer.weights:
        if "variance" in w.path:
            v = g.uniform(0.5, 2.0, size=w.shape).astype(F32)
        else:
            v = g.normal(0.0, 1.0, size=w.shape).astype(F32)
        w.assign(v)
        weights.append(v)
    cot = g.normal(size=shape).astype(F32)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = layer(xt, training=training)
        obj = tf.reduce_sum(y * cot)
    tw = layer.trainable_weights
    grads = tape.gradient(obj, [xt] + [w.value for w in tw])
    return {
        "name": name,
        "class": cls,
        "config": layer.get_config(),
        "kwargs": cfg,
        "training": training,
        "x": tensor_json(x),
        "cotangent": tensor_json(cot),
        "weights": [tensor_json(w) for w in weights],
        "weight_names": [w.name for w in layer.weights],
        "trainable": [w.trainable for w in layer.weights],
        "y": tensor_json(y.numpy()),
        "grad_x": tensor_json(grads[0].numpy()),
        "grad_weights": [tensor_json(gw.numpy()) for gw in grads[1:]],
        "weights_after": [tensor_json(w.numpy()) for w in layer.weights],
    }


def train_case():
    g = rng("bn_model")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((3,)),
        keras.layers.Dense(4),
        keras.layers.BatchNormalization(momentum=0.8),
        keras.layers.Dense(1),
    ])
    weights = [
        (g.uniform(0.5, 2.0, size=w.shape) if "variance" in w.path else g.normal(size=w.shape)).astype(F32)
        for w in model.weights
    ]
    model.set_weights(weights)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    x = g.normal(size=(6, 3)).astype(F32)
    y = g.normal(size=(6, 1)).astype(F32)
    loss = model.train_on_batch(x, y)
    return {
        "name": "bn_model_train_on_batch",
        "weights": [tensor_json(w) for w in weights],
        "x": tensor_json(x),
        "y": tensor_json(y),
        "loss": float(loss),
        "weights_after": [tensor_json(w) for w in model.get_weights()],
        "predict_after": tensor_json(model.predict(x, verbose=0)),
    }


def main():
    cases = [layer_case(*c) for c in CASES]
    out = {
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
        "cases": cases,
        "model": train_case(),
    }
    path = os.path.join(OUT, "normalization.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(f"wrote {path}: {len(cases)} layer cases + 1 model case")


if __name__ == "__main__":
    main()
