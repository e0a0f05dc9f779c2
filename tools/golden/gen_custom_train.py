#!/usr/bin/env python3
"""Golden fixtures for customizing what happens in fit (Keras 3.15's guide of that name).

Writes tools/golden/fixtures/custom_train.json. Run from the repository root with the
pinned venv (see README.md):  python tools/golden/gen_custom_train.py

Cases (3 epochs each, no shuffle, 100 samples in batches of 32 so the last batch has 4):
  guide_train_step  The guide's first CustomModel: train_step calls compute_loss, applies
                    the gradients and loops over self.metrics (the loss tracker takes the
                    loss unweighted, the compiled metrics take (y, y_pred)); compiled with
                    adam, mse and mae.
  guide_trackers    The guide's lower-level model: its own Mean("loss") and
                    MeanAbsoluteError("mae") trackers listed by `metrics`, its own mse,
                    compiled with the optimizer only. Also an evaluate through a custom
                    test_step.
  builtin           The same Functional model trained by the built-in train_step (the
                    loss tracker weighted by batch size), for contrast.

Weights are drawn here and set on both sides.
"""

import json
import os
import sys
import zlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generate import tensor_json  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "custom_train.json")
N, D, BATCH, EPOCHS = 100, 32, 32, 3


def rng_for(name):
    return np.random.default_rng(zlib.crc32(("custom_train/" + name).encode()))


class GuideModel(keras.Model):
    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
        trainable_vars = self.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)
        self.optimizer.apply(gradients, trainable_vars)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


class TrackerModel(keras.Model):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")
        self.loss_fn = keras.losses.MeanSquaredError()

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.loss_fn(y, y_pred)
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply(gradients, self.trainable_variables)
        self.loss_tracker.update_state(loss)
        self.mae_metric.update_state(y, y_pred)
        return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        self.loss_tracker.update_state(self.loss_fn(y, y_pred))
        self.mae_metric.update_state(y, y_pred)
        return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

    @property
    def metrics(self):
        return [self.loss_tracker, self.mae_metric]


def flat(logs):
    out = {}
    for k, v in logs.items():
        if isinstance(v, dict):
            out.update(flat(v))
        else:
            out[k] = [float(x) for x in v] if isinstance(v, list) else float(v)
    return out


def case(name, cls, compile_kwargs):
    rng = rng_for(name)
    x = rng.random((N, D), dtype=np.float32)
    y = rng.random((N, 1), dtype=np.float32)
    kernel = rng.uniform(-0.3, 0.3, (D, 1)).astype(np.float32)
    bias = rng.uniform(-0.1, 0.1, (1,)).astype(np.float32)
    keras.utils.clear_session()
    inputs = keras.Input(shape=(D,))
    outputs = keras.layers.Dense(1)(inputs)
    model = cls(inputs, outputs)
    model.set_weights([kernel, bias])
    model.compile(**compile_kwargs)
    h = model.fit(x, y, epochs=EPOCHS, batch_size=BATCH, shuffle=False, verbose=0)
    ev = model.evaluate(x, y, batch_size=BATCH, verbose=0, return_dict=True)
    return {
        "x": tensor_json(x),
        "y": tensor_json(y),
        "weights": [tensor_json(kernel), tensor_json(bias)],
        "history": flat(h.history),
        "evaluate": flat(ev),
        "final_weights": [tensor_json(w) for w in model.get_weights()],
    }


def main():
    cases = {
        "guide_train_step": case(
            "guide_train_step", GuideModel, dict(optimizer="adam", loss="mse", metrics=["mae"])
        ),
        "guide_trackers": case("guide_trackers", TrackerModel, dict(optimizer="adam")),
        "builtin": case("builtin", keras.Model, dict(optimizer="adam", loss="mse", metrics=["mae"])),
    }
    doc = {"tf_version": tf.__version__, "keras_version": keras.__version__, "cases": cases}
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")
    with open(OUT) as f:
        back = json.load(f)
    print(f"{OUT}: {len(back['cases'])} cases, {os.path.getsize(OUT)} bytes")
    for k, c in back["cases"].items():
        print(k, c["history"], c["evaluate"])


if __name__ == "__main__":
    main()
