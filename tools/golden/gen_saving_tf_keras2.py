#!/usr/bin/env python3
"""Interop fixtures written by tf.keras 2 (`tf_keras` 2.21, the legacy Keras 2 API on TF).

The same five models as gen_saving.py (an MLP, the seed CNN shrunk to 12x12 inputs, a
functional two-input model with a shared layer, stacked LSTMs, a BatchNormalization
model whose Dense has no bias), each trained a few steps with a fixed seed so the optimizer state and the BN
statistics are non-trivial, then written to tools/golden/fixtures/saving/tf_keras2/:

- <name>.h5: `model.save(path.h5)`, the full legacy HDF5 file (model_config,
  model_weights, training_config and optimizer_weights), in Keras 2's config forms
  (`batch_input_shape`, `class_name` without `module`, dtype strings, initializers as
  {class_name, config}, Keras 2 inbound_nodes lists).
- <name>_weights.h5: `model.save_weights(path.h5)`, the legacy weights-only layout
  (`layer_names` / `weight_names` at the root).
- <name>.json: the model_config and training_config texts, a fixed input and tf.keras's
  predictions on it, the optimizer's step count, and (models without Dropout) one more
  `train_on_batch` of the loaded model on a fixed batch with its loss and the predictions
  after it: the check that the optimizer state was restored, not reset.
(A name ending in `.weights.h5` would make tf.keras 2.13+ write the Keras 3 layout instead.)

Run from the repository root:
    /work/venv-tf/bin/python tools/golden/gen_saving_tf_keras2.py
"""

import json
import os
import sys
import zlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generate import tensor_json  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "saving", "tf_keras2")
F32 = np.float32
L = keras.layers


def rng(name):
    return np.random.default_rng(zlib.crc32(("tf_keras2/" + name).encode()))


def mlp():
    m = keras.Sequential([L.Dense(8, activation="relu", input_shape=(6,)), L.Dropout(0.2),
                          L.Dense(3, activation="softmax")], name="mlp")
    return m, [(5, 6)], "mse", None


def cnn():
    # The S002-2 CNN ('same' padding) at 12x12 with fewer filters, to keep the files small.
    inputs = keras.Input((12, 12, 1))
    x = L.Conv2D(4, 3, activation="relu", padding="same")(inputs)
    x = L.MaxPooling2D(2)(x)
    x = L.Conv2D(8, 3, activation="relu", padding="same")(x)
    x = L.MaxPooling2D(2)(x)
    x = L.Flatten()(x)
    x = L.Dense(16, activation="relu")(x)
    outputs = L.Dense(10, activation="softmax")(x)
    model = keras.Model(inputs, outputs, name="seed_cnn")
    return model, [(4, 12, 12, 1)], "sparse_categorical_crossentropy", ["accuracy"]


def multi_input_shared():
    a = keras.Input((4,), name="a")
    b = keras.Input((4,), name="b")
    shared = L.Dense(5, activation="tanh", name="shared")
    merged = L.concatenate([shared(a), shared(b)])
    h = L.Dense(3, activation="relu")(merged)
    out1 = L.Dense(1, name="score")(h)
    out2 = L.Dense(2, activation="softmax", name="klass")(L.Add()([shared(a), shared(b)]))
    model = keras.Model([a, b], [out1, out2], name="two_towers")
    return model, [(3, 4), (3, 4)], ["mse", "mse"], None


def batchnorm():
    # No bias before the BatchNormalization: its gradient is zero in exact arithmetic, so
    # Adam would turn float noise into +-lr steps and the resume check would compare noise.
    m = keras.Sequential([L.Dense(6, use_bias=False, input_shape=(5,)),
                          L.BatchNormalization(momentum=0.9),
                          L.Activation("relu"), L.Dense(2)], name="bn_model")
    return m, [(4, 5)], "mse", None


def lstm():
    m = keras.Sequential([L.LSTM(5, return_sequences=True, input_shape=(7, 3)),
                          L.LSTM(4), L.Dense(2)], name="lstm_model")
    return m, [(3, 7, 3)], "mse", None


MODELS = {"mlp": mlp, "cnn": cnn, "multi_input_shared": multi_input_shared, "batchnorm": batchnorm,
          "lstm": lstm}


def targets(model, g, n, loss):
    outs = model.outputs
    ys = []
    for k, o in enumerate(outs):
        lk = loss[k] if isinstance(loss, list) else loss
        if lk == "sparse_categorical_crossentropy":
            ys.append(g.integers(0, int(o.shape[-1]), size=(n,)).astype(np.int64))
        else:
            ys.append(g.normal(size=(n,) + tuple(o.shape[1:])).astype(F32))
    return ys[0] if len(ys) == 1 else ys


def main():
    os.makedirs(OUT, exist_ok=True)
    total = 0
    for name, make in MODELS.items():
        keras.utils.set_random_seed(0)
        model, shapes, loss, metrics = make()
        g = rng(name)
        xs = [g.normal(size=s).astype(F32) for s in shapes]
        x_in = xs[0] if len(xs) == 1 else xs
        model.compile(optimizer=keras.optimizers.Adam(0.01), loss=loss, metrics=metrics)
        model.fit(x_in, targets(model, g, shapes[0][0], loss), epochs=2, batch_size=2, verbose=0)
        preds = model.predict(x_in, verbose=0)
        preds = preds if isinstance(preds, list) else [preds]
        path = os.path.join(OUT, f"{name}.h5")
        wpath = os.path.join(OUT, f"{name}_weights.h5")
        model.save(path, save_format="h5")
        model.save_weights(wpath, save_format="h5")
        with h5py.File(path, "r") as f:
            model_config = f.attrs["model_config"]
            training_config = f.attrs["training_config"]
            assert "optimizer_weights" in f, f"{name}: no optimizer weights"
        # tf.keras itself must load both files back to the same predictions.
        again = keras.models.load_model(path)
        assert int(again.optimizer.iterations.numpy()) == int(model.optimizer.iterations.numpy())
        clone = keras.models.clone_model(model)
        clone.load_weights(wpath)
        for m in (again, clone):
            p2 = m.predict(x_in, verbose=0)
            p2 = p2 if isinstance(p2, list) else [p2]
            for a, b in zip(preds, p2):
                np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
        resume = None
        if name != "mlp":  # Dropout's training-mode mask is TF's random stream
            xr = [g.normal(size=s).astype(F32) for s in shapes]
            xr_in = xr[0] if len(xr) == 1 else xr
            yr = targets(model, g, shapes[0][0], loss)
            yr_list = yr if isinstance(yr, list) else [yr]
            step_loss = again.train_on_batch(xr_in, yr, return_dict=True)["loss"]
            after = again.predict(x_in, verbose=0)
            after = after if isinstance(after, list) else [after]
            resume = {"inputs": [tensor_json(x) for x in xr],
                      "targets": [tensor_json(y.astype(F32)) for y in yr_list],
                      "loss": float(step_loss),
                      "predictions_after": [tensor_json(p) for p in after]}
        with open(os.path.join(OUT, f"{name}.json"), "w") as f:
            json.dump({
                "resume": resume,
                "keras_version": keras.__version__,
                "tensorflow_version": tf.__version__,
                "model_config": json.loads(model_config),
                "training_config": json.loads(training_config),
                "count_params": int(model.count_params()),
                "optimizer_iterations": int(model.optimizer.iterations.numpy()),
                "inputs": [tensor_json(x) for x in xs],
                "predictions": [tensor_json(p) for p in preds],
            }, f, separators=(",", ":"))
        sizes = [os.path.getsize(p) for p in (path, wpath, os.path.join(OUT, f"{name}.json"))]
        total += sum(sizes)
        print(name, model.count_params(), sizes)
    # The MLP again with tf.keras's legacy OptimizerV2 Adam (`Adam/iter:0`,
    # `Adam/<var>/m:0` names): kiln loads it compiled but with a fresh optimizer.
    keras.utils.set_random_seed(0)
    model, shapes, loss, _ = mlp()
    g = rng("mlp_legacy_optimizer")
    x = g.normal(size=shapes[0]).astype(F32)
    model.compile(optimizer=keras.optimizers.legacy.Adam(0.01), loss=loss)
    model.fit(x, targets(model, g, shapes[0][0], loss), epochs=2, batch_size=2, verbose=0)
    path = os.path.join(OUT, "mlp_legacy_optimizer.h5")
    model.save(path, save_format="h5")
    with h5py.File(path, "r") as f:
        names = [n.decode() if isinstance(n, bytes) else n
                 for n in f["optimizer_weights"].attrs["weight_names"]]
    with open(os.path.join(OUT, "mlp_legacy_optimizer.json"), "w") as f:
        json.dump({"keras_version": keras.__version__, "optimizer_weight_names": names,
                   "inputs": [tensor_json(x)],
                   "predictions": [tensor_json(model.predict(x, verbose=0))]}, f,
                  separators=(",", ":"))
    total += os.path.getsize(path)
    print("mlp_legacy_optimizer", names[:3])
    print("total bytes", total)


if __name__ == "__main__":
    main()
