#!/usr/bin/env python3
"""The peer of crates/kiln-lite/examples/s003_45_prune_mnist.rs (not a fixture writer):
the same protocol in TFMOT 0.8.1 on tf_keras 2.21 — train the MLP or the S002-2 CNN on
the shipped MNIST (Adam, cosine decay from 1e-3 over the fit, batch 128 / 64, 5 / 3
epochs), prune at S003-45's PolynomialDecay(0 -> 0.5, 0..2000), fine-tune with
UpdatePruningStep (5 / 3 epochs), strip_pruning, and print one JSON line with the test
accuracy before and after and the kernel sparsity. Run from the repository root:
    ~/peers/bin/python tools/golden/tfmot_prune_mnist.py mlp
    ~/peers/bin/python tools/golden/tfmot_prune_mnist.py cnn
"""

import gzip
import json
import math
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ["TF_USE_LEGACY_KERAS"] = "1"

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402
import tensorflow_model_optimization as tfmot  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "datasets", "mnist")


def idx(name):
    with gzip.open(os.path.join(ROOT, name), "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def build(which):
    if which == "cnn":
        inp = keras.Input((28, 28, 1))
        x = keras.layers.Conv2D(32, 3, activation="relu", padding="same")(inp)
        x = keras.layers.MaxPooling2D(2)(x)
        x = keras.layers.Conv2D(64, 3, activation="relu", padding="same")(x)
        x = keras.layers.MaxPooling2D(2)(x)
        x = keras.layers.Flatten()(x)
        x = keras.layers.Dense(128, activation="relu")(x)
        return keras.Model(inp, keras.layers.Dense(10, activation="softmax")(x))
    return keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                             keras.layers.Dense(128, activation="relu"),
                             keras.layers.Dense(10, activation="softmax")])


def compile_(model, steps):
    lr = keras.optimizers.schedules.CosineDecay(1e-3, steps)
    model.compile(optimizer=keras.optimizers.Adam(lr),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])


def main():
    which = sys.argv[1] if len(sys.argv) > 1 else "mlp"
    xtr = idx("train-images-idx3-ubyte.gz").astype(np.float32) / 255.0
    ytr = idx("train-labels-idx1-ubyte.gz").astype(np.int64)
    xte = idx("t10k-images-idx3-ubyte.gz").astype(np.float32) / 255.0
    yte = idx("t10k-labels-idx1-ubyte.gz").astype(np.int64)
    if which == "cnn":
        xtr, xte = xtr[..., None], xte[..., None]
    batch, epochs = (64, 3) if which == "cnn" else (128, 5)
    per_epoch = math.ceil(len(xtr) / batch)
    prune_epochs = math.ceil(2000 / per_epoch)
    keras.utils.set_random_seed(42)
    start = time.time()
    model = build(which)
    compile_(model, per_epoch * epochs)
    model.fit(xtr, ytr, batch_size=batch, epochs=epochs, verbose=0)
    base = model.evaluate(xte, yte, batch_size=1000, verbose=0)[1]
    sched = tfmot.sparsity.keras.PolynomialDecay(initial_sparsity=0.0, final_sparsity=0.5,
                                                 begin_step=0, end_step=2000)
    pruned = tfmot.sparsity.keras.prune_low_magnitude(model, pruning_schedule=sched)
    compile_(pruned, per_epoch * prune_epochs)
    pruned.fit(xtr, ytr, batch_size=batch, epochs=prune_epochs, verbose=0,
               callbacks=[tfmot.sparsity.keras.UpdatePruningStep()])
    stripped = tfmot.sparsity.keras.strip_pruning(pruned)
    compile_(stripped, 1)
    acc = stripped.evaluate(xte, yte, batch_size=1000, verbose=0)[1]
    kernels = [l.kernel.numpy() for l in stripped.layers if hasattr(l, "kernel")]
    zeros = sum(int((k == 0).sum()) for k in kernels)
    total = sum(k.size for k in kernels)
    print(json.dumps({"scenario": "S003-45", "impl": "tfmot", "model": which, "epochs": epochs,
                      "prune_epochs": prune_epochs, "pruning_steps": per_epoch * prune_epochs,
                      "unpruned_test_accuracy": round(float(base), 4),
                      "pruned_test_accuracy": round(float(acc), 4),
                      "accuracy_drop_points": round(100 * (float(base) - float(acc)), 2),
                      "kernel_sparsity": round(zeros / total, 4),
                      "seconds": round(time.time() - start, 1)}))


if __name__ == "__main__":
    main()
