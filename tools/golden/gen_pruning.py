#!/usr/bin/env python3
"""Golden pruning fixtures from tensorflow-model-optimization 0.8.1 on tf_keras 2.21:
PolynomialDecay / ConstantSparsity values and prune flags per step, and for a Dense
model, a Conv model and a block-sparse Dense model over a short `fit` (fixed weights
and data, SGD, no shuffle) the pruning step, masks and kernels after every batch and
the kernels after `fit`. Writes tools/golden/fixtures/pruning.json. Run from the
repository root:
    ~/peers/bin/python tools/golden/gen_pruning.py
"""

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ["TF_USE_LEGACY_KERAS"] = "1"

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402
import tensorflow_model_optimization as tfmot  # noqa: E402
from tensorflow_model_optimization.python.core.sparsity.keras.pruning_wrapper import PruneLowMagnitude  # noqa: E402,E501

sparsity = tfmot.sparsity.keras
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "pruning.json")


def flat(a):
    return [float(v) for v in np.asarray(a, dtype=np.float64).reshape(-1)]


def schedule_cases():
    specs = [
        ("poly", "PolynomialDecay", {"initial_sparsity": 0.1, "final_sparsity": 0.8,
                                     "begin_step": 5, "end_step": 45, "power": 3,
                                     "frequency": 4}),
        ("poly_seed", "PolynomialDecay", {"initial_sparsity": 0.5, "final_sparsity": 0.8,
                                          "begin_step": 0, "end_step": 1000}),
        ("const", "ConstantSparsity", {"target_sparsity": 0.5, "begin_step": 3,
                                       "end_step": 30, "frequency": 5}),
        ("const_forever", "ConstantSparsity", {"target_sparsity": 0.25, "begin_step": 0}),
    ]
    steps = list(range(0, 60)) + [99, 100, 101, 200, 999, 1000, 1001, 2000]
    out = []
    for name, cls, cfg in specs:
        sched = getattr(sparsity, cls)(**cfg)
        prune, sp = [], []
        for s in steps:
            p, v = sched(tf.constant(s, dtype=tf.int64))
            prune.append(bool(p.numpy()))
            sp.append(float(v.numpy()))
        out.append({"name": name, "class": cls, "config": cfg, "steps": steps,
                    "prune": prune, "sparsity": sp})
    return out


class Recorder(keras.callbacks.Callback):
    def __init__(self, layers):
        super().__init__()
        self.layers = layers
        self.steps = []

    def on_train_batch_end(self, batch, logs=None):
        rec = []
        for l in self.layers:
            rec.append({"step": int(l.pruning_step.numpy()),
                        "mask": flat(l.pruning_vars[0][1].numpy()),
                        "kernel": flat(l.layer.kernel.numpy())})
        self.steps.append(rec)


def fit_case(name, build, x, y, schedule, block_size=(1, 1), pooling="AVG",
             epochs=3, batch=4, lr=0.1):
    base = build()
    rng = np.random.default_rng(7)
    init = [rng.uniform(-1, 1, size=w.shape).astype(np.float32) for w in base.get_weights()]
    base.set_weights(init)
    pruned = sparsity.prune_low_magnitude(base, pruning_schedule=schedule,
                                          block_size=block_size,
                                          block_pooling_type=pooling)
    pruned.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss="mse")
    layers = [l for l in pruned.layers
              if isinstance(l, PruneLowMagnitude) and l.pruning_vars]
    rec = Recorder(layers)
    pruned.fit(x, y, batch_size=batch, epochs=epochs, shuffle=False, verbose=0,
               callbacks=[sparsity.UpdatePruningStep(), rec])
    final = [flat(l.layer.kernel.numpy()) for l in layers]
    stripped = sparsity.strip_pruning(pruned)
    pred = stripped.predict(x, verbose=0)
    return {"name": name, "schedule": schedule.get_config(),
            "block_size": list(block_size), "block_pooling_type": pooling,
            "epochs": epochs, "batch_size": batch, "learning_rate": lr,
            "init": [{"shape": list(w.shape), "data": flat(w)} for w in init],
            "x": {"shape": list(x.shape), "data": flat(x)},
            "y": {"shape": list(y.shape), "data": flat(y)},
            "layers": [l.layer.name for l in layers],
            "per_batch": rec.steps, "final_kernels": final,
            "stripped_predictions": flat(pred)}


def main():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(16, 4)).astype(np.float32)
    y = rng.normal(size=(16, 3)).astype(np.float32)

    def dense():
        return keras.Sequential([keras.Input((4,)),
                                 keras.layers.Dense(6, activation="relu", name="d1"),
                                 keras.layers.Dense(3, name="d2")])

    xc = rng.normal(size=(12, 6, 6, 2)).astype(np.float32)
    yc = rng.normal(size=(12, 2)).astype(np.float32)

    def conv():
        return keras.Sequential([keras.Input((6, 6, 2)),
                                 keras.layers.Conv2D(4, 3, activation="relu", name="c1"),
                                 keras.layers.Flatten(),
                                 keras.layers.Dense(2, name="d1")])

    xb = rng.normal(size=(16, 6)).astype(np.float32)
    yb = rng.normal(size=(16, 3)).astype(np.float32)

    def blockd():
        return keras.Sequential([keras.Input((6,)),
                                 keras.layers.Dense(5, activation="tanh", name="b1"),
                                 keras.layers.Dense(3, name="b2")])

    fits = [
        fit_case("dense_poly", dense, x, y,
                 sparsity.PolynomialDecay(0.2, 0.7, begin_step=2, end_step=10, frequency=2)),
        fit_case("conv_const", conv, xc, yc,
                 sparsity.ConstantSparsity(0.5, begin_step=1, frequency=3), lr=0.02),
        fit_case("dense_block", blockd, xb, yb,
                 sparsity.PolynomialDecay(0.1, 0.6, begin_step=1, end_step=9, frequency=2),
                 block_size=(2, 2), pooling="AVG"),
        fit_case("dense_block_max", blockd, xb, yb,
                 sparsity.ConstantSparsity(0.4, begin_step=2, frequency=4),
                 block_size=(1, 2), pooling="MAX"),
    ]
    doc = {"generator": "tools/golden/gen_pruning.py",
           "versions": {"tfmot": tfmot.__version__, "tf_keras": keras.__version__,
                        "tensorflow": tf.__version__},
           "schedules": schedule_cases(), "fits": fits}
    with open(OUT, "w") as f:
        json.dump(doc, f)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
