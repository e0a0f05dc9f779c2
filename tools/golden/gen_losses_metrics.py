#!/usr/bin/env python3
"""Golden fixtures for losses and metrics from Keras 3.15 (TF backend).

Writes tools/golden/fixtures/losses.json and metrics.json. Run from the repository root:
    /work/venv-tf/bin/python tools/golden/gen_losses_metrics.py
Each case has its own numpy generator seeded with crc32(family/name), so the files are
reproducible byte for byte. Predictions are plain arrays (not a softmax layer's output),
so Keras takes its clipped-probability path where there is one.
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


def probs(r, shape):
    p = r.uniform(0.05, 1.0, size=shape).astype(F32)
    return (p / p.sum(axis=-1, keepdims=True)).astype(F32)


def data(kind, r, shape):
    n, k = shape[0], shape[-1]
    if kind == "regression":
        return r.normal(size=shape).astype(F32), r.normal(size=shape).astype(F32)
    if kind == "positive":
        return r.uniform(0.1, 3, size=shape).astype(F32), r.uniform(0.1, 3, size=shape).astype(F32)
    if kind == "binary":
        return r.integers(0, 2, size=shape).astype(F32), r.uniform(0.02, 0.98, size=shape).astype(F32)
    if kind == "binary_logits":
        return r.integers(0, 2, size=shape).astype(F32), r.normal(size=shape).astype(F32) * 2
    if kind == "pm1":
        return np.sign(r.normal(size=shape)).astype(F32), r.normal(size=shape).astype(F32)
    if kind == "onehot":
        y = np.eye(k, dtype=F32)[r.integers(0, k, size=shape[:-1])]
        return y, probs(r, shape)
    if kind == "onehot_logits":
        y = np.eye(k, dtype=F32)[r.integers(0, k, size=shape[:-1])]
        return y, (r.normal(size=shape) * 2).astype(F32)
    if kind == "sparse":
        return r.integers(0, k, size=shape[:-1]).astype(np.int32), probs(r, shape)
    if kind == "sparse_col":
        return r.integers(0, k, size=shape[:-1] + (1,)).astype(np.int32), probs(r, shape)
    if kind == "sparse_logits":
        return r.integers(0, k, size=shape[:-1]).astype(np.int32), (r.normal(size=shape) * 2).astype(F32)
    if kind == "dist":
        return probs(r, shape), probs(r, shape)
    raise ValueError(kind)


LOSSES = [
    # (loss name, class, kwargs, data kind)
    ("mse", keras.losses.MeanSquaredError, {}, "regression"),
    ("mae", keras.losses.MeanAbsoluteError, {}, "regression"),
    ("mape", keras.losses.MeanAbsolutePercentageError, {}, "regression"),
    ("msle", keras.losses.MeanSquaredLogarithmicError, {}, "positive"),
    ("huber", keras.losses.Huber, {}, "regression"),
    ("huber_d2", keras.losses.Huber, {"delta": 2.0}, "regression"),
    ("log_cosh", keras.losses.LogCosh, {}, "regression"),
    ("bce", keras.losses.BinaryCrossentropy, {}, "binary"),
    ("bce_logits", keras.losses.BinaryCrossentropy, {"from_logits": True}, "binary_logits"),
    ("bce_smooth", keras.losses.BinaryCrossentropy, {"label_smoothing": 0.2}, "binary"),
    ("cce", keras.losses.CategoricalCrossentropy, {}, "onehot"),
    ("cce_logits", keras.losses.CategoricalCrossentropy, {"from_logits": True}, "onehot_logits"),
    ("cce_smooth", keras.losses.CategoricalCrossentropy, {"label_smoothing": 0.1}, "onehot"),
    ("scce", keras.losses.SparseCategoricalCrossentropy, {}, "sparse"),
    ("scce_col", keras.losses.SparseCategoricalCrossentropy, {}, "sparse_col"),
    ("scce_logits", keras.losses.SparseCategoricalCrossentropy, {"from_logits": True}, "sparse_logits"),
    ("kld", keras.losses.KLDivergence, {}, "dist"),
    ("poisson", keras.losses.Poisson, {}, "positive"),
    ("hinge", keras.losses.Hinge, {}, "binary_logits"),
    ("hinge_pm1", keras.losses.Hinge, {}, "pm1"),
    ("squared_hinge", keras.losses.SquaredHinge, {}, "binary_logits"),
    ("categorical_hinge", keras.losses.CategoricalHinge, {}, "onehot_logits"),
    ("cosine_similarity", keras.losses.CosineSimilarity, {}, "regression"),
]

REDUCTIONS = ["sum_over_batch_size", "sum", None, "mean_with_sample_weight"]


def build_losses():
    cases = []
    for name, cls, kw, kind in LOSSES:
        for shape in [(6, 4), (3, 5, 4)]:
            for red in REDUCTIONS:
                for weighted in [False, True]:
                    cname = "%s/%s/%s/%s" % (name, "x".join(map(str, shape)), red, "w" if weighted else "nw")
                    r = rng("losses/" + cname)
                    y, p = data(kind, r, shape)
                    # Keras broadcasts (n,) weights only against (n,) losses; 3-D inputs
                    # give (n, t) losses, so their weights are (n, 1).
                    sw_shape = shape[:1] if len(shape) == 2 else shape[:1] + (1,)
                    sw = r.uniform(0.0, 2.0, size=sw_shape).astype(F32) if weighted else None
                    loss = cls(reduction=red, **kw)
                    pt = tf.constant(p)
                    with tf.GradientTape() as tape:
                        tape.watch(pt)
                        out = loss(y, pt, sample_weight=sw)
                        total = tf.reduce_sum(out)
                    grad = tape.gradient(total, pt)
                    cases.append({
                        "name": cname, "loss": name, "kwargs": kw, "reduction": red,
                        "y_true": tensor_json(y), "y_pred": tensor_json(p),
                        "sample_weight": tensor_json(sw) if weighted else None,
                        "output": tensor_json(np.asarray(out, dtype=F32)),
                        "grad_y_pred": tensor_json(np.asarray(grad, dtype=F32)),
                    })
    return cases


METRICS = [
    ("binary_accuracy", lambda: keras.metrics.BinaryAccuracy(), "binary"),
    ("binary_accuracy_t03", lambda: keras.metrics.BinaryAccuracy(threshold=0.3), "binary"),
    ("categorical_accuracy", lambda: keras.metrics.CategoricalAccuracy(), "onehot"),
    ("sparse_categorical_accuracy", lambda: keras.metrics.SparseCategoricalAccuracy(), "sparse"),
    ("top_k_2", lambda: keras.metrics.TopKCategoricalAccuracy(k=2), "onehot"),
    ("sparse_top_k_2", lambda: keras.metrics.SparseTopKCategoricalAccuracy(k=2), "sparse"),
    ("mse", lambda: keras.metrics.MeanSquaredError(), "regression"),
    ("mae", lambda: keras.metrics.MeanAbsoluteError(), "regression"),
    ("mape", lambda: keras.metrics.MeanAbsolutePercentageError(), "regression"),
    ("msle", lambda: keras.metrics.MeanSquaredLogarithmicError(), "positive"),
    ("rmse", lambda: keras.metrics.RootMeanSquaredError(), "regression"),
    ("logcosh", lambda: keras.metrics.LogCoshError(), "regression"),
    ("binary_crossentropy", lambda: keras.metrics.BinaryCrossentropy(), "binary"),
    ("categorical_crossentropy", lambda: keras.metrics.CategoricalCrossentropy(), "onehot"),
    ("sparse_categorical_crossentropy", lambda: keras.metrics.SparseCategoricalCrossentropy(), "sparse"),
    ("kl_divergence", lambda: keras.metrics.KLDivergence(), "dist"),
    ("poisson", lambda: keras.metrics.Poisson(), "positive"),
    ("hinge", lambda: keras.metrics.Hinge(), "binary_logits"),
    ("squared_hinge", lambda: keras.metrics.SquaredHinge(), "binary_logits"),
    ("categorical_hinge", lambda: keras.metrics.CategoricalHinge(), "onehot_logits"),
    ("cosine_similarity", lambda: keras.metrics.CosineSimilarity(), "regression"),
    ("precision", lambda: keras.metrics.Precision(), "binary"),
    ("precision_t03", lambda: keras.metrics.Precision(thresholds=0.3), "binary"),
    ("recall", lambda: keras.metrics.Recall(), "binary"),
    ("precision_top2", lambda: keras.metrics.Precision(top_k=2), "onehot"),
    ("precision_class1", lambda: keras.metrics.Precision(class_id=1), "onehot"),
    ("precision_top2_class1", lambda: keras.metrics.Precision(top_k=2, class_id=1), "onehot"),
    ("recall_top1", lambda: keras.metrics.Recall(top_k=1), "onehot"),
    ("recall_class2_t03", lambda: keras.metrics.Recall(thresholds=0.3, class_id=2), "onehot"),
    ("true_positives", lambda: keras.metrics.TruePositives(), "binary"),
    ("true_negatives", lambda: keras.metrics.TrueNegatives(), "binary"),
    ("false_positives", lambda: keras.metrics.FalsePositives(), "binary"),
    ("false_negatives", lambda: keras.metrics.FalseNegatives(), "binary"),
    ("auc", lambda: keras.metrics.AUC(), "binary"),
    ("auc_pr_50", lambda: keras.metrics.AUC(curve="PR", num_thresholds=50), "binary"),
    ("f1_macro", lambda: keras.metrics.F1Score(average="macro"), "onehot"),
    ("f1_micro", lambda: keras.metrics.F1Score(average="micro"), "onehot"),
    ("f1_weighted_t05", lambda: keras.metrics.F1Score(average="weighted", threshold=0.5), "onehot"),
    ("fbeta2_macro", lambda: keras.metrics.FBetaScore(average="macro", beta=2.0), "onehot"),
]


def build_metrics():
    cases = []
    for name, make, kind in METRICS:
        for weighted in [False, True]:
            cname = "%s/%s" % (name, "w" if weighted else "nw")
            r = rng("metrics/" + cname)
            m = make()
            updates = []
            for _ in range(3):
                y, p = data(kind, r, (8, 4))
                sw = r.uniform(0.0, 2.0, size=(8,)).astype(F32) if weighted else None
                m.update_state(y, p, sample_weight=sw)
                updates.append({"y_true": tensor_json(y), "y_pred": tensor_json(p),
                                "sample_weight": tensor_json(sw) if weighted else None})
            cases.append({"name": cname, "metric": name, "updates": updates,
                          "result": float(np.asarray(m.result()))})
    return cases


def write(family, cases):
    path = os.path.join(OUT, family + ".json")
    with open(path, "w") as f:
        json.dump({"keras_version": keras.__version__, "cases": cases}, f, sort_keys=True)
        f.write("\n")
    print("%s.json: %d cases, %d bytes" % (family, len(cases), os.path.getsize(path)))


if __name__ == "__main__":
    write("losses", build_losses())
    write("metrics", build_metrics())
