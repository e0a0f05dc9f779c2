#!/usr/bin/env python3
"""Golden fixture for freezing (`trainable = False`) in Keras 3.15, TensorFlow backend.

Writes tools/golden/fixtures/freezing.json. Run from the repository root:
    python tools/golden/gen_freezing.py

What it pins down (each case from fixed initial weights and fixed float32 batches):

* "gan_seed": the seed GAN recipe (compile D, `D.trainable = False`, build the combined
  model G -> D, compile it, then alternate `D.train_on_batch` on real and fake images
  and `gan.train_on_batch(noise, ones)`). In Keras 3 the trainable list is read when
  the step function is traced, i.e. at D's first `train_on_batch`, when D is already
  frozen: D never trains ("The model does not have any trainable weights."). This is
  seed defect 17 (tf.keras 2 captured it at compile time).
* "gan_toggle": the recipe that trains D under Keras 3 (and under tf.keras 2):
  `D.trainable = True` before D's steps, `False` before the combined model's step.
* "nested": an inner model frozen after compile. Frozen before the first step: frozen.
  Unfrozen after the first step: still frozen (the traced list is kept). A batch of a
  new shape retraces (reduce_retracing) and reads the list again; `fit` traces its own
  step (another input structure); `compile` starts afresh.
* "bn_frozen": BatchNormalization with `trainable = False` runs in inference mode inside
  `train_on_batch`: it normalises with the moving statistics and leaves them (and gamma,
  beta) unchanged.

After every call the fixture records the logs, which variables changed (compared
exactly) and every variable's value, keyed "layer_name/variable_name".
"""

import json
import os
import sys
import warnings
import zlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402
from keras import layers  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generate import tensor_json  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "freezing.json")


def key(v):
    return "/".join(v.path.split("/")[-2:])


def set_weights(model, rng):
    """Deterministic initial weights for every Dense and BatchNormalization layer."""
    out = {}
    for layer in model_layers(model):
        if isinstance(layer, layers.Dense):
            k = rng.uniform(-0.7, 0.7, layer.kernel.shape).astype(np.float32)
            b = rng.uniform(-0.2, 0.2, layer.bias.shape).astype(np.float32)
            layer.set_weights([k, b])
        elif isinstance(layer, layers.BatchNormalization):
            n = layer.gamma.shape[0]
            g = rng.uniform(0.8, 1.2, n).astype(np.float32)
            be = rng.uniform(-0.2, 0.2, n).astype(np.float32)
            mm = rng.uniform(-0.5, 0.5, n).astype(np.float32)
            mv = rng.uniform(0.5, 1.5, n).astype(np.float32)
            layer.set_weights([g, be, mm, mv])
    for v in model.weights:
        out[key(v)] = tensor_json(v.numpy())
    return out


def model_layers(model):
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from model_layers(layer)
        else:
            yield layer


class Recorder:
    def __init__(self, case, variables):
        self.case = case
        self.variables = variables
        self.steps = []

    def step(self, label, fn):
        before = [v.numpy().copy() for v in self.variables]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            logs = fn()
        changed = [
            key(v) for v, b in zip(self.variables, before) if not np.array_equal(v.numpy(), b)
        ]
        self.steps.append(
            {
                "label": label,
                "logs": {k: float(x) for k, x in (logs or {}).items()},
                "changed": changed,
                "warnings": sorted({str(w.message) for w in caught}),
                "weights": {key(v): tensor_json(v.numpy()) for v in self.variables},
            }
        )


def gan_case(name, toggle):
    keras.utils.clear_session()
    rng = np.random.default_rng(zlib.crc32(("freezing/" + name).encode()))
    disc = keras.Sequential(
        [
            keras.Input((4,)),
            layers.Dense(3, activation="relu", name="d_hidden"),
            layers.Dense(1, activation="sigmoid", name="d_out"),
        ],
        name="discriminator",
    )
    disc.compile(
        optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"]
    )
    disc.trainable = False
    gen = keras.Sequential(
        [
            keras.Input((2,)),
            layers.Dense(3, activation="relu", name="g_hidden"),
            layers.BatchNormalization(momentum=0.8, name="g_bn"),
            layers.Dense(4, activation="tanh", name="g_out"),
        ],
        name="generator",
    )
    z = keras.Input((2,))
    gan = keras.Model(z, disc(gen(z)), name="gan")
    gan.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy")
    init = set_weights(gan, rng)
    real = rng.uniform(-1, 1, (3, 6, 4)).astype(np.float32)
    noise = rng.standard_normal((3, 6, 2)).astype(np.float32)
    noise_g = rng.standard_normal((3, 8, 2)).astype(np.float32)
    ones, zeros = np.ones((6, 1), np.float32), np.zeros((6, 1), np.float32)
    rec = Recorder(name, gan.weights)
    for it in range(3):
        if toggle:
            disc.trainable = True
        rec.step(
            f"{it} d_real", lambda: disc.train_on_batch(real[it], ones, return_dict=True)
        )
        fake = gen.predict_on_batch(noise[it])
        rec.step(f"{it} d_fake", lambda: disc.train_on_batch(fake, zeros, return_dict=True))
        if toggle:
            disc.trainable = False
        rec.step(
            f"{it} gan",
            lambda: gan.train_on_batch(noise_g[it], np.ones((8, 1), np.float32), return_dict=True),
        )
    return {
        "initial": init,
        "real": tensor_json(real),
        "noise": tensor_json(noise),
        "noise_g": tensor_json(noise_g),
        "steps": rec.steps,
    }


def nested_case():
    keras.utils.clear_session()
    rng = np.random.default_rng(zlib.crc32(b"freezing/nested"))
    inner = keras.Sequential(
        [keras.Input((4,)), layers.Dense(3, activation="tanh", name="inner_dense")], name="inner"
    )
    outer = keras.Sequential([inner, layers.Dense(1, name="head")], name="outer")
    outer.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    init = set_weights(outer, rng)
    x = rng.standard_normal((8, 4)).astype(np.float32)
    y = rng.standard_normal((8, 1)).astype(np.float32)
    rec = Recorder("nested", outer.weights)

    def tob(n):
        return lambda: outer.train_on_batch(x[:n], y[:n], return_dict=True)

    def fit(bs):
        def run():
            h = outer.fit(x, y, batch_size=bs, epochs=1, shuffle=False, verbose=0)
            return {k: v[-1] for k, v in h.history.items()}

        return run

    # Trained at the first step, then frozen: the traced list still has it.
    rec.step("tob8 both", tob(8))
    inner.trainable = False
    rec.step("tob8 after freeze (traced list kept)", tob(8))
    # A new batch shape retraces and reads the list: now the head only.
    rec.step("tob5 retrace", tob(5))
    # The relaxed trace covers every batch size; unfreezing is not seen.
    inner.trainable = True
    rec.step("tob3 relaxed trace kept", tob(3))
    inner.trainable = False
    # fit traces its own step (x, y without a sample weight), reading the list now.
    rec.step("fit bs4 new trace", fit(4))
    inner.trainable = True
    rec.step("fit bs4 trace kept", fit(4))
    # compile drops every trace: the list is read at the next step.
    outer.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    rec.step("recompiled tob8 both", tob(8))
    # Frozen after compile, before the first step: frozen.
    inner.trainable = False
    outer.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    rec.step("recompiled frozen tob8", tob(8))
    return {
        "initial": init,
        "x": tensor_json(x),
        "y": tensor_json(y),
        "steps": rec.steps,
    }


def bn_case():
    keras.utils.clear_session()
    rng = np.random.default_rng(zlib.crc32(b"freezing/bn"))
    bn = layers.BatchNormalization(name="bn")
    model = keras.Sequential(
        [keras.Input((4,)), layers.Dense(3, name="pre"), bn, layers.Dense(1, name="post")],
        name="bn_model",
    )
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    init = set_weights(model, rng)
    bn.trainable = False
    x = rng.standard_normal((2, 8, 4)).astype(np.float32)
    y = rng.standard_normal((2, 8, 1)).astype(np.float32)
    # What a frozen BN computes inside a training step (training=True): inference mode.
    pred_training = model(x[0], training=True).numpy()
    pred_inference = model(x[0], training=False).numpy()
    rec = Recorder("bn_frozen", model.weights)
    for i in range(2):
        rec.step(f"tob {i}", lambda: model.train_on_batch(x[i], y[i], return_dict=True))
    return {
        "initial": init,
        "x": tensor_json(x),
        "y": tensor_json(y),
        "pred_training_true": tensor_json(pred_training),
        "pred_training_false": tensor_json(pred_inference),
        "steps": rec.steps,
    }


def main():
    doc = {
        "tf_version": tf.__version__,
        "keras_version": keras.__version__,
        "backend": keras.backend.backend(),
        "gan_seed": gan_case("gan_seed", toggle=False),
        "gan_toggle": gan_case("gan_toggle", toggle=True),
        "nested": nested_case(),
        "bn_frozen": bn_case(),
    }
    with open(OUT, "w") as f:
        json.dump(doc, f)
    print("wrote", OUT)
    for case in ("gan_seed", "gan_toggle", "nested", "bn_frozen"):
        for s in doc[case]["steps"]:
            print(case, "|", s["label"], "|", s["changed"], s["logs"], s["warnings"])


if __name__ == "__main__":
    main()
