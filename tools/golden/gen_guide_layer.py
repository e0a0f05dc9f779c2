#!/usr/bin/env python3
"""Golden fixture for a custom layer from the Keras guide "Making new layers and models
via subclassing" (Keras 3.15, TensorFlow backend): the lazily built `Linear` layer with
`get_config`, registered as serializable, in a Functional model saved as `.keras`.

The bias is drawn from random_normal (the guide uses zeros) so that the test sees it.

Writes tools/golden/fixtures/saving/guide_linear.keras and guide_linear.json (the
inputs and Keras's predictions). Run from the repository root:
    python tools/golden/gen_guide_layer.py
"""

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import ops  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "saving")


@keras.saving.register_keras_serializable(package="Guide")
class Linear(keras.layers.Layer):
    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units), initializer="random_normal", trainable=True
        )
        self.b = self.add_weight(shape=(self.units,), initializer="random_normal", trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def main():
    keras.utils.set_random_seed(7)
    inputs = keras.Input((4,), name="x")
    h = Linear(8, name="linear_1")(inputs)
    h = keras.layers.Activation("relu")(h)
    outputs = Linear(3, name="linear_2")(h)
    model = keras.Model(inputs, outputs, name="guide")
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    y = model.predict(x, verbose=0)
    os.makedirs(OUT, exist_ok=True)
    model.save(os.path.join(OUT, "guide_linear.keras"))
    with open(os.path.join(OUT, "guide_linear.json"), "w") as f:
        json.dump({"keras": keras.__version__, "x": x.tolist(), "y": y.tolist(),
                   "shape": list(y.shape)}, f)
    print("wrote guide_linear.keras and guide_linear.json (keras %s)" % keras.__version__)


if __name__ == "__main__":
    main()
