#!/usr/bin/env python3
"""Golden fixtures for the metrics kiln added for issue 26, from Keras 3.15 (TF backend):
R2Score, PearsonCorrelation, ConcordanceCorrelation, LogCoshError, the IoU family (IoU,
BinaryIoU, MeanIoU, OneHotIoU, OneHotMeanIoU) and PrecisionAtRecall, RecallAtPrecision,
SensitivityAtSpecificity, SpecificityAtSensitivity.

For each case: three update_state batches (with and without sample weights), result()
after each, result() after reset_state() and one more batch, and get_config().
Writes tools/golden/fixtures/metrics_extra.json. Run from the repository root:
    ~/peers/bin/python tools/golden/gen_metrics_extra.py
"""

import json
import os
import sys
import zlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
import keras  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generate import tensor_json  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "metrics_extra.json")
F32 = np.float32


def data(kind, r):
    if kind == "regression":
        t = r.normal(size=(8, 3)).astype(F32)
        return t, (t * 0.7 + r.normal(size=(8, 3)) * 0.5).astype(F32)
    if kind == "binary":
        return r.integers(0, 2, size=(8, 3)).astype(F32), r.uniform(0, 1, size=(8, 3)).astype(F32)
    if kind == "sparse":
        return r.integers(0, 3, size=(8, 2)).astype(np.int32), r.integers(0, 3, size=(8, 2)).astype(np.int32)
    if kind == "sparse_ignore":
        return r.integers(-1, 3, size=(8, 2)).astype(np.int32), r.integers(0, 3, size=(8, 2)).astype(np.int32)
    if kind == "onehot":
        y = np.eye(3, dtype=F32)[r.integers(0, 3, size=8)]
        return y, r.uniform(0, 1, size=(8, 3)).astype(F32)
    raise ValueError(kind)


CASES = [
    ("r2", "R2Score", {}, "regression"),
    ("r2_variance_weighted", "R2Score", {"class_aggregation": "variance_weighted_average"}, "regression"),
    ("r2_adjusted", "R2Score", {"num_regressors": 2}, "regression"),
    ("pearson", "PearsonCorrelation", {}, "regression"),
    ("pearson_axis0", "PearsonCorrelation", {"axis": 0}, "regression"),
    ("concordance", "ConcordanceCorrelation", {}, "regression"),
    ("logcosh", "LogCoshError", {}, "regression"),
    ("iou", "IoU", {"num_classes": 3, "target_class_ids": [0, 2]}, "sparse"),
    ("iou_ignore", "IoU", {"num_classes": 3, "target_class_ids": [1], "ignore_class": -1}, "sparse_ignore"),
    ("iou_float", "IoU", {"num_classes": 3, "target_class_ids": [0, 1, 2], "dtype": "float32"}, "sparse"),
    ("binary_iou", "BinaryIoU", {}, "binary"),
    ("binary_iou_t03", "BinaryIoU", {"target_class_ids": [1], "threshold": 0.3, "dtype": "float32"}, "binary"),
    ("mean_iou", "MeanIoU", {"num_classes": 3}, "sparse"),
    ("one_hot_iou", "OneHotIoU", {"num_classes": 3, "target_class_ids": [0, 2]}, "onehot"),
    ("one_hot_mean_iou", "OneHotMeanIoU", {"num_classes": 3, "dtype": "float32"}, "onehot"),
    ("precision_at_recall", "PrecisionAtRecall", {"recall": 0.6}, "binary"),
    ("precision_at_recall_class", "PrecisionAtRecall", {"recall": 0.5, "class_id": 1, "num_thresholds": 50}, "binary"),
    ("recall_at_precision", "RecallAtPrecision", {"precision": 0.5}, "binary"),
    ("sensitivity_at_specificity", "SensitivityAtSpecificity", {"specificity": 0.5}, "binary"),
    ("specificity_at_sensitivity", "SpecificityAtSensitivity", {"sensitivity": 0.7, "num_thresholds": 20}, "binary"),
]


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


def case(cid, cls, kw, kind, weighted):
    name = "%s/%s" % (cid, "w" if weighted else "nw")
    r = np.random.default_rng(zlib.crc32(("metrics_extra/" + name).encode()))
    m = getattr(keras.metrics, cls)(**kw)
    updates = []
    for step in range(4):
        if step == 3:
            m.reset_state()
        y, p = data(kind, r)
        # IoU flattens its labels: one weight per label (the one-hot ones are (8,)).
        wshape = y.shape if cls in ("IoU", "BinaryIoU", "MeanIoU") else (8,)
        sw = r.uniform(0.0, 2.0, size=wshape).astype(F32) if weighted else None
        m.update_state(y, p, sample_weight=sw)
        updates.append({"y_true": tensor_json(y), "y_pred": tensor_json(p),
                        "sample_weight": tensor_json(sw) if weighted else None,
                        "reset_before": step == 3,
                        "result": float(np.asarray(m.result()))})
    return {"id": name, "class": cls, "kwargs": kw, "updates": updates,
            "config": jsonable(m.get_config())}


def errors():
    out = []
    for cls, kw in [("R2Score", {"class_aggregation": "median"}),
                    ("R2Score", {"num_regressors": -1}),
                    ("IoU", {"num_classes": 3, "target_class_ids": [3]}),
                    ("PrecisionAtRecall", {"recall": 1.5}),
                    ("RecallAtPrecision", {"precision": -0.1}),
                    ("SensitivityAtSpecificity", {"specificity": 2.0}),
                    ("SpecificityAtSensitivity", {"sensitivity": 0.5, "num_thresholds": 0})]:
        try:
            getattr(keras.metrics, cls)(**kw)
            raise AssertionError("Keras accepted %s %s" % (cls, kw))
        except ValueError as e:
            out.append({"class": cls, "kwargs": kw, "message": str(e)})
    return out


def main():
    # With axis=0 the values are per feature, which (batch,) weights cannot weigh.
    cases = [case(*c, w) for c in CASES for w in (False, True)
             if not (w and c[2].get("axis") == 0)]
    doc = {"keras_version": keras.__version__, "cases": cases, "errors": errors()}
    with open(OUT, "w") as f:
        json.dump(doc, f, sort_keys=True)
        f.write("\n")
    print("wrote %s: %d cases, %d bytes" % (OUT, len(cases), os.path.getsize(OUT)))


if __name__ == "__main__":
    main()
