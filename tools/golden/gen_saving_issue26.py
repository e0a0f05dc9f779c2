#!/usr/bin/env python3
"""Keras 3.15 `.keras` files compiled with the optimizers, losses and metrics kiln added
for issue 26, and what Keras does with them after loading (tests:
crates/kiln/tests/saving_compile_config.rs, in the format of gen_saving_compile.py).
    ~/peers/bin/python tools/golden/gen_saving_issue26.py
Each model has fixed weights, is compiled, trained one step (so the optimizer has
state), saved to fixtures/saving/compile/<name>.keras, loaded again by Keras and trained
two more steps on fixed batches; the JSON records the batches and those steps' logs.
- issue26_focal_lamb: BinaryFocalCrossentropy (class balancing, gamma 3) with Lamb;
  BinaryIoU, PrecisionAtRecall, SensitivityAtSpecificity.
- issue26_categorical_adafactor: CategoricalFocalCrossentropy with Adafactor;
  OneHotMeanIoU, OneHotIoU, R2Score.
- issue26_tversky_muon: Tversky with Muon; PearsonCorrelation, ConcordanceCorrelation,
  LogCoshError.
- issue26_gce_ftrl: CategoricalGeneralizedCrossEntropy (sparse labels) with Ftrl.
- issue26_dice_schedule_free: Dice over axis 1 with ScheduleFreeAdamW; RecallAtPrecision,
  SpecificityAtSensitivity.
"""

import json
import os
import zlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
import keras  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "saving", "compile")
F32 = np.float32


def tensor_json(a):
    a = np.asarray(a)
    return {"shape": list(a.shape), "dtype": str(a.dtype), "data": a.reshape(-1).tolist()}


def dense_model(name, g, units, activation):
    x = keras.Input((4,), name="x")
    y = keras.layers.Dense(units, activation=activation, name="out")(x)
    m = keras.Model(x, y, name=name)
    for w in m.weights:
        w.assign(g.normal(scale=0.5, size=w.shape).astype(F32))
    return m


def batches(g, kind, units, n=3):
    out = []
    for _ in range(n):
        x = g.normal(size=(8, 4)).astype(F32)
        if kind == "binary":
            y = g.integers(0, 2, size=(8, units)).astype(F32)
        elif kind == "onehot":
            y = np.eye(units, dtype=F32)[g.integers(0, units, size=8)]
        else:
            y = g.integers(0, units, size=(8,)).astype(np.int64)
        out.append((x, y))
    return out


def focal_lamb(g):
    m = dense_model("focal_lamb", g, 3, "sigmoid")
    m.compile(optimizer=keras.optimizers.Lamb(0.01),
              loss=keras.losses.BinaryFocalCrossentropy(apply_class_balancing=True, gamma=3.0),
              metrics=[keras.metrics.BinaryIoU(target_class_ids=[1], threshold=0.4),
                       keras.metrics.PrecisionAtRecall(0.5),
                       keras.metrics.SensitivityAtSpecificity(0.5, num_thresholds=50)])
    return m, batches(g, "binary", 3)


def categorical_adafactor(g):
    m = dense_model("categorical_adafactor", g, 3, "softmax")
    m.compile(optimizer=keras.optimizers.Adafactor(learning_rate=0.01),
              loss=keras.losses.CategoricalFocalCrossentropy(alpha=0.5),
              metrics=[keras.metrics.OneHotMeanIoU(num_classes=3),
                       keras.metrics.OneHotIoU(num_classes=3, target_class_ids=[0, 2]),
                       keras.metrics.R2Score()])
    return m, batches(g, "onehot", 3)


def tversky_muon(g):
    m = dense_model("tversky_muon", g, 3, "sigmoid")
    m.compile(optimizer=keras.optimizers.Muon(learning_rate=0.02),
              loss=keras.losses.Tversky(alpha=0.3, beta=0.7),
              metrics=[keras.metrics.PearsonCorrelation(), keras.metrics.ConcordanceCorrelation(),
                       keras.metrics.LogCoshError()])
    return m, batches(g, "binary", 3)


def gce_ftrl(g):
    m = dense_model("gce_ftrl", g, 3, "softmax")
    m.compile(optimizer=keras.optimizers.Ftrl(0.1, l1_regularization_strength=0.01),
              loss=keras.losses.CategoricalGeneralizedCrossEntropy(q=0.3))
    return m, batches(g, "sparse", 3)


def dice_schedule_free(g):
    m = dense_model("dice_schedule_free", g, 3, "sigmoid")
    m.compile(optimizer=keras.optimizers.ScheduleFreeAdamW(0.01, warmup_steps=2),
              loss=keras.losses.Dice(axis=1),
              metrics=[keras.metrics.RecallAtPrecision(0.4),
                       keras.metrics.SpecificityAtSensitivity(0.6)])
    return m, batches(g, "binary", 3)


MODELS = {
    "issue26_focal_lamb": focal_lamb,
    "issue26_categorical_adafactor": categorical_adafactor,
    "issue26_tversky_muon": tversky_muon,
    "issue26_gce_ftrl": gce_ftrl,
    "issue26_dice_schedule_free": dice_schedule_free,
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, make in MODELS.items():
        keras.utils.set_random_seed(0)
        g = np.random.default_rng(zlib.crc32(f"saving_issue26/{name}".encode()))
        model, bs = make(g)
        model.train_on_batch(*bs[0])
        path = os.path.join(OUT, f"{name}.keras")
        model.save(path)
        again = keras.models.load_model(path)
        assert again.compiled, name
        logs = []
        for x, y in bs[1:]:
            d = again.train_on_batch(x, y, return_dict=True)
            logs.append({k: float(v) for k, v in sorted(d.items())})
        with open(os.path.join(OUT, f"{name}.json"), "w") as f:
            json.dump({
                "keras_version": keras.__version__,
                "compile_config": again.get_compile_config(),
                "batches": [{"x": tensor_json(x), "y": [tensor_json(y)]} for x, y in bs[1:]],
                "logs": logs,
            }, f, indent=1, sort_keys=True)
        print(name, logs)


if __name__ == "__main__":
    main()
