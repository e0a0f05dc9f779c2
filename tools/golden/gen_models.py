#!/usr/bin/env python3
"""Golden fixtures for whole models: predictions, loss and one train_on_batch per optimizer.

Writes tools/golden/fixtures/models.json. Run from the repository root with the pinned
venv (see README.md):  /work/venv-tf/bin/python tools/golden/gen_models.py

Three models (acceptance 2 of the Keras-core issue):
  mlp    Sequential MLP (Dense relu -> Dense softmax), sparse categorical crossentropy.
  multi  Functional: two inputs, a shared Dense applied to both, concatenate, two outputs
         (regression head with mse, 3-class softmax head with sparse CE), loss weights.
  reg    Dense with an L2 kernel regularizer and an L1 activity regularizer, Dropout(0.5),
         Dense head, mse. Predictions and loss are in inference mode (dropout off). Dropout's
         random mask cannot match across frameworks, so its train_on_batch cases run the same
         model with the dropout rate set to 0 (the regularizers still act on the gradient).

Weights are drawn here (not by Keras's initializers) and set on both sides, in
`model.weights` order, so the layer order of kiln must equal Keras's.
"""

import json
import os
import sys
import zlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
import keras  # noqa: E402
from keras import layers  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generate import tensor_json  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "models.json")

OPTIMIZERS = {
    "sgd": lambda: keras.optimizers.SGD(learning_rate=0.1),
    "sgd_nesterov": lambda: keras.optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True),
    "adam": lambda: keras.optimizers.Adam(learning_rate=0.01),
    "adam_amsgrad": lambda: keras.optimizers.Adam(learning_rate=0.01, amsgrad=True),
    "adamw": lambda: keras.optimizers.AdamW(learning_rate=0.01),
    "rmsprop": lambda: keras.optimizers.RMSprop(learning_rate=0.01),
    "rmsprop_centered": lambda: keras.optimizers.RMSprop(learning_rate=0.01, momentum=0.5, centered=True),
    "adagrad": lambda: keras.optimizers.Adagrad(learning_rate=0.1),
    "adadelta": lambda: keras.optimizers.Adadelta(learning_rate=1.0),
    "adamax": lambda: keras.optimizers.Adamax(learning_rate=0.01),
    "nadam": lambda: keras.optimizers.Nadam(learning_rate=0.01),
    "lion": lambda: keras.optimizers.Lion(learning_rate=0.01),
}


def rng_for(name):
    return np.random.default_rng(zlib.crc32(("models/" + name).encode()))


def build_mlp(dropout_rate=None):
    keras.utils.clear_session()
    return keras.Sequential([
        keras.Input(shape=(8,)),
        layers.Dense(16, activation="relu"),
        layers.Dense(4, activation="softmax"),
    ])


def build_multi(dropout_rate=None):
    keras.utils.clear_session()
    a = keras.Input(shape=(5,), name="a")
    b = keras.Input(shape=(5,), name="b")
    shared = layers.Dense(4, activation="tanh", name="shared")
    x = layers.concatenate([shared(a), shared(b)])
    out1 = layers.Dense(1, name="out1")(x)
    out2 = layers.Dense(3, activation="softmax", name="out2")(x)
    return keras.Model([a, b], [out1, out2])


def build_reg(dropout_rate=0.5):
    keras.utils.clear_session()
    return keras.Sequential([
        keras.Input(shape=(6,)),
        layers.Dense(8, activation="relu",
                     kernel_regularizer=keras.regularizers.L2(0.01),
                     activity_regularizer=keras.regularizers.L1(0.001)),
        layers.Dropout(dropout_rate),
        layers.Dense(1),
    ])


def compile_model(name, model, opt):
    if name == "mlp":
        model.compile(optimizer=opt, loss="sparse_categorical_crossentropy")
    elif name == "multi":
        model.compile(optimizer=opt,
                      loss=["mse", "sparse_categorical_crossentropy"],
                      loss_weights=[1.0, 0.5])
    else:
        model.compile(optimizer=opt, loss="mse")


def data(name, rng):
    if name == "mlp":
        x = [rng.normal(size=(6, 8)).astype(np.float32)]
        y = [rng.integers(0, 4, size=(6,)).astype(np.int32)]
    elif name == "multi":
        x = [rng.normal(size=(5, 5)).astype(np.float32), rng.normal(size=(5, 5)).astype(np.float32)]
        y = [rng.normal(size=(5, 1)).astype(np.float32), rng.integers(0, 3, size=(5,)).astype(np.int32)]
    else:
        x = [rng.normal(size=(7, 6)).astype(np.float32)]
        y = [rng.normal(size=(7, 1)).astype(np.float32)]
    return x, y


def unwrap(v):
    return v[0] if len(v) == 1 else v


def case(name, build):
    rng = rng_for(name)
    model = build()
    weights = [(rng.normal(size=w.shape) * 0.5).astype(np.float32) for w in model.weights]
    model.set_weights(weights)
    x, y = data(name, rng)
    preds = model.predict(unwrap(x), verbose=0)
    preds = preds if isinstance(preds, list) else [preds]
    compile_model(name, model, "sgd")
    test = model.test_on_batch(unwrap(x), unwrap(y), return_dict=True)
    out = {
        "name": name,
        "weight_names": [w.path for w in model.weights],
        "weights": [tensor_json(w) for w in weights],
        "x": [tensor_json(a) for a in x],
        "y": [tensor_json(a) for a in y],
        "predictions": [tensor_json(np.asarray(p)) for p in preds],
        "test_logs": {k: float(v) for k, v in test.items()},
        "train": {},
    }
    for opt_name, make in OPTIMIZERS.items():
        m = build(0.0) if name == "reg" else build()
        m.set_weights(weights)
        opt = make()
        compile_model(name, m, opt)
        logs = m.train_on_batch(unwrap(x), unwrap(y), return_dict=True)
        out["train"][opt_name] = {
            "logs": {k: float(v) for k, v in logs.items()},
            "weights_after": [tensor_json(np.asarray(w)) for w in m.get_weights()],
        }
    return out


def main():
    cases = [case("mlp", build_mlp), case("multi", build_multi), case("reg", build_reg)]
    doc = {"keras_version": keras.__version__, "cases": cases}
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")
    with open(OUT) as f:
        json.load(f)
    print("models.json: %d cases, %d bytes" % (len(cases), os.path.getsize(OUT)))


if __name__ == "__main__":
    main()
