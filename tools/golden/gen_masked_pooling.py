#!/usr/bin/env python3
"""Golden fixtures for global 1-D pooling with Keras masks, from Keras 3.15 (TF).

Writes tools/golden/fixtures/masked_pooling.json. Run from the repository root:
    /work/venv-tf/bin/python tools/golden/gen_masked_pooling.py
GlobalAveragePooling1D averages the unmasked steps only; GlobalMaxPooling1D does not
support masking in Keras 3 (it takes the maximum over every step and drops the mask).
Each case records the input, the mask, the output, the output mask and the gradient of
sum(output * cotangent) w.r.t. the input. One chained case runs Embedding(mask_zero)
into GlobalAveragePooling1D and records the gradient w.r.t. the embedding table.
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
from keras.src import backend  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generate import tensor_json  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
F32 = np.float32


def rng(name):
    return np.random.default_rng(zlib.crc32(name.encode()))


# (name, class, kwargs, input shape, kept steps per batch row or None)
CASES = [
    ("gap1d_mask", "GlobalAveragePooling1D", {}, (3, 5, 4), [5, 2, 3]),
    ("gap1d_mask_keepdims", "GlobalAveragePooling1D", {"keepdims": True}, (2, 4, 3), [1, 4]),
    ("gap1d_no_mask", "GlobalAveragePooling1D", {}, (2, 4, 3), None),
    ("gmp1d_mask_ignored", "GlobalMaxPooling1D", {}, (3, 5, 4), [5, 2, 3]),
    ("gmp1d_keepdims_mask_ignored", "GlobalMaxPooling1D", {"keepdims": True}, (2, 4, 3), [1, 4]),
]


def pool_case(name, cls, kwargs, shape, lengths):
    g = rng(name)
    x = g.normal(size=shape).astype(F32)
    mask = None
    if lengths is not None:
        # A hole in the middle of row 0, as well as trailing padding elsewhere.
        mask = np.array([[i < n for i in range(shape[1])] for n in lengths])
        if shape[1] > 2:
            mask[0, 1] = False
    layer = getattr(keras.layers, cls)(**kwargs)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        if mask is not None:
            backend.set_keras_mask(xt, tf.constant(mask))
        y = layer(xt)
        cot = g.normal(size=y.shape).astype(F32)
        obj = tf.reduce_sum(y * cot)
    gx = tape.gradient(obj, xt)
    out_mask = backend.get_keras_mask(y)
    return {
        "name": name,
        "class": cls,
        "config": layer.get_config(),
        "x": tensor_json(x),
        "mask": None if mask is None else tensor_json(mask),
        "y": tensor_json(y.numpy()),
        "output_mask": None if out_mask is None else tensor_json(out_mask.numpy()),
        "cotangent": tensor_json(cot),
        "grad_x": tensor_json(gx.numpy()),
    }


def chained_case():
    g = rng("embedding_gap1d")
    emb = keras.layers.Embedding(9, 3, mask_zero=True)
    pool = keras.layers.GlobalAveragePooling1D()
    ids = np.array([[3, 5, 0, 0, 0], [1, 2, 8, 7, 0], [4, 0, 6, 0, 2]], dtype=np.int32)
    emb.build(ids.shape)
    w = g.normal(size=(9, 3)).astype(F32)
    emb.embeddings.assign(w)
    cot = g.normal(size=(3, 3)).astype(F32)
    with tf.GradientTape() as tape:
        e = emb(ids)
        y = pool(e)
        obj = tf.reduce_sum(y * cot)
    gw = tf.convert_to_tensor(tape.gradient(obj, emb.embeddings.value))
    return {
        "name": "embedding_mask_zero_gap1d",
        "ids": tensor_json(ids),
        "weights": tensor_json(w),
        "y": tensor_json(y.numpy()),
        "cotangent": tensor_json(cot),
        "grad_weight": tensor_json(gw.numpy()),
    }


def main():
    keras.utils.set_random_seed(0)
    cases = [pool_case(*c) for c in CASES]
    out = {
        "tf_version": tf.__version__,
        "keras_version": keras.__version__,
        "cases": cases,
        "chained": chained_case(),
    }
    path = os.path.join(OUT, "masked_pooling.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(f"wrote {path}: {len(cases)} pooling cases and 1 chained case")


if __name__ == "__main__":
    main()
