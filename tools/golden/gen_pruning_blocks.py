#!/usr/bin/env python3
"""Golden block masks from tensorflow-model-optimization 0.8.1 on tf_keras 2.21 for block
shapes that do not divide the weight (TF's SAME padding puts a row before the data when
the padding is 2 or more), AVG and MAX pooling: TFMOT's `Pruning._maybe_update_block_mask`
on a fixed 7x5 weight. Writes tools/golden/fixtures/pruning_blocks.json. Run from the
repository root:
    ~/peers/bin/python tools/golden/gen_pruning_blocks.py
"""

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ["TF_USE_LEGACY_KERAS"] = "1"

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow_model_optimization.python.core.sparsity.keras import pruning_impl  # noqa: E402
from tensorflow_model_optimization.python.core.sparsity.keras import pruning_schedule  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "pruning_blocks.json")


def main():
    rng = np.random.default_rng(5)
    w = rng.normal(size=(7, 5)).astype(np.float32)
    cases = []
    for block, pool, sparsity in [((3, 3), "AVG", 0.5), ((3, 2), "MAX", 0.4),
                                  ((4, 1), "AVG", 0.3), ((2, 2), "AVG", 0.6)]:
        var = tf.Variable(w)
        mask = tf.Variable(tf.ones_like(w))
        thr = tf.Variable(0.0)
        sched = pruning_schedule.ConstantSparsity(sparsity, 0, frequency=1)
        p = pruning_impl.Pruning(lambda: tf.constant(0, tf.int64), [(var, mask, thr)],
                                 sched, block, pool)
        t, m = p._maybe_update_block_mask(var)
        cases.append({"block_size": list(block), "pooling": pool, "sparsity": sparsity,
                      "threshold": float(t), "mask": [float(v) for v in m.numpy().reshape(-1)]})
    doc = {"generator": "tools/golden/gen_pruning_blocks.py", "shape": [7, 5],
           "weights": [float(v) for v in w.reshape(-1)], "cases": cases}
    with open(OUT, "w") as f:
        json.dump(doc, f)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
