#!/usr/bin/env python3
"""Interop fixtures: models written by real Keras 3.15 (TF backend) for kiln to load.

Writes tools/golden/fixtures/saving/<name>.keras (Keras v3 archive), <name>_legacy.h5
(legacy HDF5 via model.save(..h5)) and <name>.json (the config.json text, a fixed input
and Keras's predictions on it). Run from the repository root:
    /work/venv-tf/bin/python tools/golden/gen_saving.py [model names]
"""

import json
import os
import sys
import zipfile
import zlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generate import tensor_json  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "saving")
F32 = np.float32
L = keras.layers


def rng(name):
    return np.random.default_rng(zlib.crc32(name.encode()))


def mlp():
    m = keras.Sequential([keras.Input((6,)), L.Dense(8, activation="relu"), L.Dropout(0.2),
                          L.Dense(3, activation="softmax")], name="mlp")
    return m, [(5, 6)], True


def cnn():
    # The S002-2 CNN ('same' padding), as `kiln train --model cnn` builds it.
    inputs = keras.Input((28, 28, 1))
    x = L.Conv2D(32, 3, activation="relu", padding="same")(inputs)
    x = L.MaxPooling2D(2)(x)
    x = L.Conv2D(64, 3, activation="relu", padding="same")(x)
    x = L.MaxPooling2D(2)(x)
    x = L.Flatten()(x)
    x = L.Dense(128, activation="relu")(x)
    outputs = L.Dense(10, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="seed_cnn"), [(2, 28, 28, 1)], False


def multi_input_shared():
    a = keras.Input((4,), name="a")
    b = keras.Input((4,), name="b")
    shared = L.Dense(5, activation="tanh", name="shared")
    merged = L.concatenate([shared(a), shared(b)])
    h = L.Dense(3, activation="relu")(merged)
    out1 = L.Dense(1, name="score")(h)
    out2 = L.Dense(2, activation="softmax", name="klass")(L.Add()([shared(a), shared(b)]))
    return keras.Model([a, b], [out1, out2], name="two_towers"), [(3, 4), (3, 4)], False


def batchnorm():
    m = keras.Sequential([keras.Input((5,)), L.Dense(6), L.BatchNormalization(momentum=0.9),
                          L.Activation("relu"), L.Dense(2)], name="bn_model")
    return m, [(4, 5)], True


def lstm():
    # Stacked recurrent layers: the weights live in each layer's `cell` in Keras's files.
    m = keras.Sequential([keras.Input((7, 3)), L.LSTM(5, return_sequences=True),
                          L.LSTM(4), L.Dense(2)], name="lstm_model")
    return m, [(3, 7, 3)], True


MODELS = {"mlp": mlp, "cnn": cnn, "multi_input_shared": multi_input_shared, "batchnorm": batchnorm,
          "lstm": lstm}


def main():
    os.makedirs(OUT, exist_ok=True)
    # Names on the command line regenerate only those models (archives embed a save date).
    wanted = sys.argv[1:] or list(MODELS)
    for name, make in MODELS.items():
        if name not in wanted:
            continue
        keras.utils.set_random_seed(0)
        model, shapes, train = make()
        g = rng(name)
        xs = [g.normal(size=s).astype(F32) for s in shapes]
        if train:
            # A few steps so optimizer state and BatchNormalization statistics are non-trivial.
            model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
            y_shape = (shapes[0][0],) + tuple(model.output_shape[1:])
            model.fit(xs[0], g.normal(size=y_shape).astype(F32), epochs=2, batch_size=2, verbose=0)
        x_in = xs[0] if len(xs) == 1 else xs
        preds = model.predict(x_in, verbose=0)
        preds = preds if isinstance(preds, list) else [preds]
        path = os.path.join(OUT, f"{name}.keras")
        model.save(path)
        model.save(os.path.join(OUT, f"{name}_legacy.h5"))
        with zipfile.ZipFile(path) as z:
            config = json.loads(z.read("config.json"))
        # The round trip through Keras itself must reproduce the predictions.
        again = keras.models.load_model(path)
        p2 = again.predict(x_in, verbose=0)
        p2 = p2 if isinstance(p2, list) else [p2]
        for a, b in zip(preds, p2):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
        with open(os.path.join(OUT, f"{name}.json"), "w") as f:
            json.dump({
                "keras_version": keras.__version__,
                "config": config,
                "count_params": int(model.count_params()),
                "inputs": [tensor_json(x) for x in xs],
                "predictions": [tensor_json(p) for p in preds],
            }, f, separators=(",", ":"))
        print(name, model.count_params(), os.path.getsize(path))


if __name__ == "__main__":
    main()
