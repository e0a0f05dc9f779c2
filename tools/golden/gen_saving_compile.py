#!/usr/bin/env python3
"""Keras 3 `.keras` files whose compile_config kiln must restore, and what Keras does
with them after loading (tests: crates/kiln/tests/saving_compile_config.rs).

    ~/peers/bin/python tools/golden/gen_saving_compile.py

Each model is built with fixed weights, compiled, trained one step (so the optimizer
has state), saved to fixtures/saving/compile/<name>.keras, then loaded again by Keras
and trained two more steps on fixed batches; the fixture JSON records the batches and
the logs (loss, per-output losses, metrics) of those two steps, which kiln must
reproduce after loading the same file.

- two_output_maps: loss, loss_weights and metrics given as maps keyed by output name,
  a built-in loss class with a non-default config (from_logits=True).
- two_output_lists: the same as lists in output order, metrics per output.
- custom_loss_metric: a registered custom loss function and metric function
  ("demo>scaled_abs", "demo>max_abs_err").
- subclassed: a registered subclassed model ("demo>Classifier": Dense relu, a list
  attribute of one Dense tanh, a registered custom layer "demo>Scale" with its own
  weight, a Dense head), saved with its get_config and build_config; its weights sit
  at Keras's attribute paths (the custom layer, an attribute sorting after `layers`,
  under `layers/scale`). The fixture also records the loaded model's predictions.
"""

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import zlib  # noqa: E402

import numpy as np  # noqa: E402
import keras  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "saving", "compile")
F32 = np.float32


@keras.saving.register_keras_serializable(package="demo")
def scaled_abs(y_true, y_pred):
    return 2.0 * keras.ops.mean(keras.ops.abs(y_true - y_pred), axis=-1)


@keras.saving.register_keras_serializable(package="demo")
def max_abs_err(y_true, y_pred):
    return keras.ops.max(keras.ops.abs(y_true - y_pred), axis=-1)


@keras.saving.register_keras_serializable(package="demo")
class Scale(keras.layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

    def call(self, x):
        return x * self.w * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


@keras.saving.register_keras_serializable(package="demo")
class Classifier(keras.Model):
    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden = keras.layers.Dense(units, activation="relu")
        self.blocks = [keras.layers.Dense(units, activation="tanh")]
        self.scale = Scale(0.5)
        self.head = keras.layers.Dense(3)

    def call(self, x):
        x = self.hidden(x)
        for b in self.blocks:
            x = b(x)
        return self.head(self.scale(x))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def rng(name):
    return np.random.default_rng(zlib.crc32(f"saving_compile/{name}".encode()))


def tensor_json(a):
    a = np.asarray(a)
    return {"shape": list(a.shape), "dtype": str(a.dtype), "data": a.reshape(-1).tolist()}


def two_output(g):
    x = keras.Input((4,), name="x")
    h = keras.layers.Dense(5, activation="tanh", name="hidden")(x)
    cls = keras.layers.Dense(3, name="cls")(h)
    reg = keras.layers.Dense(1, name="reg")(h)
    m = keras.Model(x, [cls, reg], name="two_output")
    for w in m.weights:
        w.assign(g.normal(scale=0.5, size=w.shape).astype(F32))
    return m


def two_output_batches(g, n=3):
    out = []
    for _ in range(n):
        x = g.normal(size=(8, 4)).astype(F32)
        y_cls = g.integers(0, 3, size=(8,)).astype(np.int64)
        y_reg = g.normal(size=(8, 1)).astype(F32)
        out.append((x, [y_cls, y_reg]))
    return out


def make_two_output_maps(g):
    m = two_output(g)
    m.compile(
        optimizer=keras.optimizers.Adam(0.01),
        loss={"cls": keras.losses.SparseCategoricalCrossentropy(from_logits=True), "reg": "mse"},
        loss_weights={"cls": 1.0, "reg": 0.5},
        metrics={"cls": ["accuracy"], "reg": ["mae"]},
    )
    return m, two_output_batches(g)


def make_two_output_lists(g):
    m = two_output(g)
    m.compile(
        optimizer=keras.optimizers.SGD(0.05, momentum=0.9),
        loss=[keras.losses.SparseCategoricalCrossentropy(from_logits=True), "mae"],
        loss_weights=[0.3, 2.0],
        metrics=[["sparse_categorical_accuracy"], ["mse"]],
    )
    return m, two_output_batches(g)


def make_custom_loss_metric(g):
    x = keras.Input((3,), name="x")
    y = keras.layers.Dense(2, name="out")(x)
    m = keras.Model(x, y, name="custom")
    for w in m.weights:
        w.assign(g.normal(scale=0.5, size=w.shape).astype(F32))
    m.compile(optimizer=keras.optimizers.RMSprop(0.01), loss=scaled_abs, metrics=[max_abs_err])
    batches = [(g.normal(size=(6, 3)).astype(F32), g.normal(size=(6, 2)).astype(F32)) for _ in range(3)]
    return m, batches


def make_subclassed(g):
    m = Classifier(6, name="classifier")
    m(np.zeros((8, 4), F32))
    for w in m.weights:
        w.assign(g.normal(scale=0.5, size=w.shape).astype(F32))
    m.compile(
        optimizer=keras.optimizers.Adam(0.01),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return m, [(x, y[0]) for x, y in two_output_batches(g)]


MODELS = {
    "two_output_maps": make_two_output_maps,
    "two_output_lists": make_two_output_lists,
    "custom_loss_metric": make_custom_loss_metric,
    "subclassed": make_subclassed,
}


def batch_json(x, y):
    ys = y if isinstance(y, list) else [y]
    return {"x": tensor_json(x), "y": [tensor_json(t) for t in ys]}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, make in MODELS.items():
        keras.utils.set_random_seed(0)
        g = rng(name)
        model, batches = make(g)
        x0, y0 = batches[0]
        model.train_on_batch(x0, y0)
        path = os.path.join(OUT, f"{name}.keras")
        model.save(path)
        again = keras.models.load_model(path)
        assert again.compiled, name
        predictions = again.predict(batches[1][0], verbose=0)
        logs = []
        for x, y in batches[1:]:
            d = again.train_on_batch(x, y, return_dict=True)
            logs.append({k: float(v) for k, v in sorted(d.items())})
        with open(os.path.join(OUT, f"{name}.json"), "w") as f:
            json.dump({
                "keras_version": keras.__version__,
                "compile_config": again.get_compile_config(),
                "output_names": list(getattr(again, "output_names", None) or []),
                "batches": [batch_json(x, y) for x, y in batches[1:]],
                "logs": logs,
                "predictions": [tensor_json(p) for p in (predictions if isinstance(predictions, list) else [predictions])],
            }, f, indent=1, sort_keys=True)
        print(name, logs)


if __name__ == "__main__":
    main()
