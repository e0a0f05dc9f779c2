#!/usr/bin/env python3
"""Golden fixtures for Embedding, Masking and the attention layers from Keras 3.15 (TF).

Writes tools/golden/fixtures/attention.json. Run from the repository root:
    /work/venv-tf/bin/python tools/golden/gen_attention.py
Each case builds a layer from its constructor arguments, sets its weights from a seeded
generator, calls it on seeded inputs (with Keras masks attached to the inputs where the
case says so) and records the outputs, the output masks, and the gradients of
sum(output * cotangent) w.r.t. the float inputs and every trainable weight.
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


def seq_mask(b, t, lengths):
    return np.array([[i < n for i in range(t)] for n in lengths[:b]])


# (name, class, kwargs, input shapes, masks per input (lengths or None), call kwargs,
#  explicit attention mask shape or None)
CASES = [
    ("mha_self", "MultiHeadAttention", {"num_heads": 2, "key_dim": 3}, [(2, 4, 6), (2, 4, 6)], None, {}, None),
    ("mha_self_causal", "MultiHeadAttention", {"num_heads": 2, "key_dim": 3}, [(2, 4, 6), (2, 4, 6)], None, {"use_causal_mask": True}, None),
    ("mha_masks_fused", "MultiHeadAttention", {"num_heads": 2, "key_dim": 3}, [(2, 4, 6), (2, 5, 6)], [[4, 2], [5, 3]], {}, None),
    ("mha_explicit_scores", "MultiHeadAttention", {"num_heads": 3, "key_dim": 2}, [(2, 3, 4), (2, 5, 4)], None, {"return_attention_scores": True}, (2, 3, 5)),
    ("mha_masks_scores_causal", "MultiHeadAttention", {"num_heads": 2, "key_dim": 2}, [(2, 4, 4), (2, 4, 4)], [[3, 4], [4, 2]], {"return_attention_scores": True, "use_causal_mask": True}, None),
    ("mha_key_value_dim_out", "MultiHeadAttention", {"num_heads": 2, "key_dim": 3, "value_dim": 5, "output_shape": 7}, [(2, 3, 4), (2, 6, 5), (2, 6, 3)], None, {}, None),
    ("mha_no_bias_dropout_infer", "MultiHeadAttention", {"num_heads": 2, "key_dim": 2, "use_bias": False, "dropout": 0.5}, [(2, 3, 4), (2, 3, 4)], [[2, 3], None], {}, None),
    ("mha_2d_axes", "MultiHeadAttention", {"num_heads": 2, "key_dim": 2, "attention_axes": (1, 2)}, [(2, 3, 2, 4), (2, 3, 2, 4)], None, {}, None),
    ("attention_dot", "Attention", {}, [(2, 3, 4), (2, 5, 4)], None, {}, None),
    ("attention_dot_scale_masks", "Attention", {"use_scale": True}, [(2, 3, 4), (2, 5, 4)], [[2, 3], [5, 2]], {"return_attention_scores": True}, None),
    ("attention_key_causal", "Attention", {}, [(2, 4, 3), (2, 4, 5), (2, 4, 3)], None, {"use_causal_mask": True}, None),
    ("attention_concat", "Attention", {"score_mode": "concat", "use_scale": True}, [(2, 3, 4), (2, 2, 4)], [None, [2, 1]], {}, None),
    ("additive", "AdditiveAttention", {}, [(2, 3, 4), (2, 5, 4)], [[3, 1], [4, 5]], {}, None),
    ("additive_noscale", "AdditiveAttention", {"use_scale": False}, [(2, 3, 4), (2, 5, 4)], None, {"return_attention_scores": True}, None),
]


def attention_case(name, cls, kwargs, shapes, masks, call_kw, explicit):
    g = rng(name)
    layer = getattr(keras.layers, cls)(**kwargs)
    xs = [g.normal(size=s).astype(F32) for s in shapes]
    mask_arrays = []
    for i, s in enumerate(shapes):
        m = None
        if masks is not None and i < len(masks) and masks[i] is not None:
            m = seq_mask(s[0], s[1], masks[i])
        mask_arrays.append(m)
    am = None
    if explicit is not None:
        am = g.uniform(size=explicit) > 0.3
        am[0, 1, :] = False  # a fully masked query row
    ts = [tf.constant(x) for x in xs]
    with tf.GradientTape(persistent=True) as tape:
        for t in ts:
            tape.watch(t)
        if cls == "MultiHeadAttention":
            q, v = ts[0], ts[1]
            k = ts[2] if len(ts) > 2 else None
            if mask_arrays[0] is not None:
                backend.set_keras_mask(q, tf.constant(mask_arrays[0]))
            kw = dict(call_kw)
            if mask_arrays[1] is not None:
                kw["value_mask"] = tf.constant(mask_arrays[1])
            if am is not None:
                kw["attention_mask"] = tf.constant(am)
            if not layer.built:
                layer(q, v, key=k, **kw)  # build
                for w in layer.weights:
                    w.assign(g.normal(0.0, 0.5, size=w.shape).astype(F32))
                if mask_arrays[0] is not None:
                    backend.set_keras_mask(q, tf.constant(mask_arrays[0]))
            out = layer(q, v, key=k, training=False, **kw)
        else:
            kw = dict(call_kw)
            if any(m is not None for m in mask_arrays):
                kw["mask"] = [None if m is None else tf.constant(m) for m in mask_arrays[:2]]
            layer(ts, **kw)
            for w in layer.weights:
                w.assign(g.normal(0.0, 0.5, size=w.shape).astype(F32) + (1.0 if "scale" in w.path else 0.0))
            out = layer(ts, training=False, **kw)
        outs = list(out) if isinstance(out, (tuple, list)) else [out]
        cots = [g.normal(size=o.shape).astype(F32) for o in outs]
        obj = tf.add_n([tf.reduce_sum(o * c) for o, c in zip(outs, cots)])
    grads_x = tape.gradient(obj, ts)
    grads_w = tape.gradient(obj, [w.value for w in layer.trainable_weights])
    kiln_inputs = list(xs)
    if cls == "MultiHeadAttention" and am is not None:
        if len(xs) == 2:
            kiln_inputs.append(xs[1])
        kiln_inputs.append(am)
    out_mask = backend.get_keras_mask(outs[0])
    return {
        "name": name,
        "class": cls,
        "kwargs": {k: (list(v) if isinstance(v, tuple) else v) for k, v in kwargs.items()},
        "config": layer.get_config(),
        "call": call_kw,
        "inputs": [tensor_json(x) for x in kiln_inputs],
        "masks": [None if m is None else tensor_json(m) for m in mask_arrays],
        "weight_names": [w.name for w in layer.weights],
        "weights": [tensor_json(w.numpy()) for w in layer.weights],
        "outputs": [tensor_json(o.numpy()) for o in outs],
        "output_mask": None if out_mask is None else tensor_json(out_mask.numpy()),
        "cotangents": [tensor_json(c) for c in cots],
        "grad_inputs": [tensor_json(gx.numpy()) if gx is not None else None for gx in grads_x],
        "grad_weights": [tensor_json(gw.numpy()) for gw in grads_w],
    }


def embedding_cases():
    out = []
    for name, kwargs in [("embedding", {"input_dim": 7, "output_dim": 3}),
                         ("embedding_mask_zero", {"input_dim": 7, "output_dim": 3, "mask_zero": True})]:
        g = rng(name)
        layer = keras.layers.Embedding(**kwargs)
        ids = np.array([[1, 4, 0, 0], [6, 6, 2, 0]], dtype=np.int32)
        layer.build(ids.shape)
        w = g.normal(size=(7, 3)).astype(F32)
        layer.embeddings.assign(w)
        cot = g.normal(size=(2, 4, 3)).astype(F32)
        with tf.GradientTape() as tape:
            y = layer(ids)
            obj = tf.reduce_sum(y * cot)
        gw = tape.gradient(obj, layer.embeddings.value)
        gw = tf.convert_to_tensor(gw)
        m = layer.compute_mask(ids)
        out.append({
            "name": name, "class": "Embedding", "config": layer.get_config(),
            "ids": tensor_json(ids), "weights": [tensor_json(w)], "y": tensor_json(y.numpy()),
            "mask": None if m is None else tensor_json(np.asarray(m)),
            "cotangent": tensor_json(cot), "grad_weight": tensor_json(gw.numpy()),
        })
    g = rng("masking")
    x = g.normal(size=(2, 4, 3)).astype(F32)
    x[0, 1, :] = 0.0
    x[1, 3, :] = 0.0
    x[1, 0, 0] = 0.0  # partly zero: kept
    layer = keras.layers.Masking(0.0)
    y = layer(x)
    out.append({"name": "masking", "class": "Masking", "config": layer.get_config(),
                "x": tensor_json(x), "y": tensor_json(y.numpy()),
                "mask": tensor_json(backend.get_keras_mask(y).numpy())})
    return out


def patches_cases():
    out = []
    g = rng("patches")
    x = g.normal(size=(2, 7, 6, 3)).astype(F32)
    for name, sizes, strides, rates, padding in [
        ("valid_2x2_s2", [2, 2], [2, 2], [1, 1], "VALID"),
        ("valid_3x2_s1", [3, 2], [1, 1], [1, 1], "VALID"),
        ("same_3x3_s2", [3, 3], [2, 2], [1, 1], "SAME"),
        ("same_2x2_s3_rate2", [2, 2], [3, 3], [2, 2], "SAME"),
        ("valid_rate2", [2, 2], [1, 2], [2, 1], "VALID"),
    ]:
        y = tf.image.extract_patches(x, [1, *sizes, 1], [1, *strides, 1], [1, *rates, 1], padding)
        out.append({"name": name, "sizes": sizes, "strides": strides, "rates": rates,
                    "padding": padding, "y": tensor_json(y.numpy())})
    return {"x": tensor_json(x), "cases": out}


def main():
    keras.utils.set_random_seed(0)
    cases = [attention_case(*c) for c in CASES]
    out = {
        "tf_version": tf.__version__,
        "keras_version": keras.__version__,
        "cases": cases,
        "embedding": embedding_cases(),
        "extract_patches": patches_cases(),
    }
    path = os.path.join(OUT, "attention.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(f"wrote {path}: {len(cases)} attention cases")


if __name__ == "__main__":
    main()
