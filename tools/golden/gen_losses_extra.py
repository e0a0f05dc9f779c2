#!/usr/bin/env python3
"""Golden fixtures for the losses kiln added for issue 26, from Keras 3.15 (TF backend):
BinaryFocalCrossentropy, CategoricalFocalCrossentropy, CategoricalGeneralizedCrossEntropy,
Dice, Tversky, Circle and CTC.

For each case: the loss built from Keras's arguments, its value under every reduction with
and without sample weights, the gradient of the (summed) output with respect to y_pred
(tf.GradientTape), and get_config(). Writes tools/golden/fixtures/losses_extra.json.
Run from the repository root:
    ~/peers/bin/python tools/golden/gen_losses_extra.py
Each case has its own numpy generator seeded with crc32(name), so the file is
reproducible byte for byte.
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

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "losses_extra.json")
F32 = np.float32


def rng(name):
    return np.random.default_rng(zlib.crc32(name.encode()))


def probs(r, shape):
    p = r.uniform(0.05, 1.0, size=shape).astype(F32)
    return (p / p.sum(axis=-1, keepdims=True)).astype(F32)


def data(kind, r):
    if kind == "binary":
        return r.integers(0, 2, size=(6, 4)).astype(F32), r.uniform(0.02, 0.98, size=(6, 4)).astype(F32)
    if kind == "binary_logits":
        return r.integers(0, 2, size=(6, 4)).astype(F32), (r.normal(size=(6, 4)) * 2).astype(F32)
    if kind == "onehot":
        return np.eye(4, dtype=F32)[r.integers(0, 4, size=6)], probs(r, (6, 4))
    if kind == "onehot_logits":
        return np.eye(4, dtype=F32)[r.integers(0, 4, size=6)], (r.normal(size=(6, 4)) * 2).astype(F32)
    if kind == "sparse":
        return r.integers(0, 4, size=(6,)).astype(np.int32), probs(r, (6, 4))
    if kind == "segmentation":
        return r.integers(0, 2, size=(6, 3, 3, 1)).astype(F32), r.uniform(0, 1, size=(6, 3, 3, 1)).astype(F32)
    if kind == "embeddings":
        e = r.normal(size=(6, 5)).astype(F32)
        e /= np.linalg.norm(e, axis=-1, keepdims=True)
        return np.array([0, 1, 0, 2, 1, 0], np.int32), e.astype(F32)
    if kind == "ctc":
        # labels: 0 is the blank/padding; the third row has a repeated label.
        y = np.array([[1, 2, 0], [3, 3, 1], [2, 2, 0], [1, 0, 0], [4, 1, 2], [2, 3, 2]], np.int32)
        return y, (r.normal(size=(6, 7, 5)) * 1.5).astype(F32)
    raise ValueError(kind)


# (id, class, kwargs, data kind, whether Keras's loss is differentiable in y_pred)
CASES = [
    ("binary_focal", "BinaryFocalCrossentropy", {}, "binary"),
    ("binary_focal_balanced", "BinaryFocalCrossentropy",
     {"apply_class_balancing": True, "alpha": 0.4, "gamma": 3.0}, "binary"),
    ("binary_focal_logits_smooth", "BinaryFocalCrossentropy",
     {"from_logits": True, "label_smoothing": 0.1, "gamma": 1.5}, "binary_logits"),
    ("binary_focal_gamma0", "BinaryFocalCrossentropy", {"gamma": 0.0}, "binary"),
    ("categorical_focal", "CategoricalFocalCrossentropy", {}, "onehot"),
    ("categorical_focal_logits", "CategoricalFocalCrossentropy",
     {"from_logits": True, "alpha": 0.5, "gamma": 1.0, "label_smoothing": 0.2}, "onehot_logits"),
    ("generalized_ce", "CategoricalGeneralizedCrossEntropy", {}, "sparse"),
    ("generalized_ce_q03", "CategoricalGeneralizedCrossEntropy", {"q": 0.3}, "sparse"),
    ("dice", "Dice", {}, "segmentation"),
    ("dice_axis", "Dice", {"axis": [1, 2, 3]}, "segmentation"),
    ("tversky", "Tversky", {}, "segmentation"),
    ("tversky_axis", "Tversky", {"alpha": 0.3, "beta": 0.7, "axis": [1, 2]}, "segmentation"),
    ("circle", "Circle", {}, "embeddings"),
    ("circle_options", "Circle", {"gamma": 10.0, "margin": 0.25, "remove_diagonal": False}, "embeddings"),
    ("ctc", "CTC", {}, "ctc"),
]

REDUCTIONS = ["sum_over_batch_size", "sum", None, "mean_with_sample_weight"]


def jsonable(x):
    if isinstance(x, dict):
        return {k: jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, np.floating):
        return float(x)
    if isinstance(x, np.integer):
        return int(x)
    return x


def case(cid, cls, kw, kind):
    r = rng("losses_extra/" + cid)
    y, p = data(kind, r)
    sw = r.uniform(0.0, 2.0, size=(y.shape[0],)).astype(F32)
    runs = []
    for red in REDUCTIONS:
        for weighted in [False, True]:
            loss = getattr(keras.losses, cls)(reduction=red, **kw)
            pt = tf.constant(p)
            with tf.GradientTape() as tape:
                tape.watch(pt)
                out = loss(y, pt, sample_weight=sw if weighted else None)
                total = tf.reduce_sum(out)
            grad = tape.gradient(total, pt)
            runs.append({
                "reduction": red, "weighted": weighted,
                "output": tensor_json(np.asarray(out, dtype=F32)),
                "grad_y_pred": tensor_json(np.asarray(grad, dtype=F32)),
            })
    loss = getattr(keras.losses, cls)(**kw)
    fn = getattr(keras.losses, keras.src.utils.naming.to_snake_case(cls), None)
    return {
        "id": cid, "class": cls, "kwargs": kw,
        "y_true": tensor_json(y), "y_pred": tensor_json(p), "sample_weight": tensor_json(sw),
        "runs": runs, "config": jsonable(loss.get_config()),
        "serialized": jsonable(keras.saving.serialize_keras_object(loss)),
        "has_function": fn is not None,
    }


def errors():
    """Arguments Keras refuses, with its messages."""
    out = []
    for cls, kw in [("CategoricalGeneralizedCrossEntropy", {"q": 0.0}),
                    ("CategoricalGeneralizedCrossEntropy", {"q": 1.5})]:
        try:
            getattr(keras.losses, cls)(**kw)
            raise AssertionError("Keras accepted %s %s" % (cls, kw))
        except ValueError as e:
            out.append({"class": cls, "kwargs": kw, "message": str(e)})
    for y, p in [(np.zeros((2, 3, 1), np.int32), np.zeros((2, 4, 5), F32)),
                 (np.zeros((2, 3), np.int32), np.zeros((2, 5), F32))]:
        try:
            keras.losses.CTC()(y, p)
            raise AssertionError("Keras accepted CTC shapes")
        except ValueError as e:
            out.append({"class": "CTC", "y_true_shape": list(y.shape),
                        "y_pred_shape": list(p.shape), "message": str(e)})
    return out


def main():
    cases = [case(*c) for c in CASES]
    doc = {"keras_version": keras.__version__, "cases": cases, "errors": errors()}
    with open(OUT, "w") as f:
        json.dump(doc, f, sort_keys=True)
        f.write("\n")
    print("wrote %s: %d cases, %d bytes" % (OUT, len(cases), os.path.getsize(OUT)))


if __name__ == "__main__":
    main()
