#!/usr/bin/env python3
"""Golden fixtures for optimizers with use_ema and the SwapEMAWeights callback, from
Keras 3.15 (TF backend). Writes tools/golden/fixtures/ema.json:
- trajectories: optimizers with use_ema (and ema_overwrite_frequency) for 5 steps on
  fixed variables and gradients: the variables after every step, the optimizer
  variables saved after the last (iterations, learning_rate, the averages, the slots)
  and get_config();
- fits: a Dense model trained 3 epochs (full batch, no shuffle) with validation and
  SwapEMAWeights (with and without swap_on_epoch), or with use_ema alone: the history
  and the final weights (fit ends with finalize_variable_values).
Run from the repository root:
    ~/peers/bin/python tools/golden/gen_ema.py
"""

import json
import os
import zlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
import keras  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "ema.json")
F32 = np.float32
SPECS = [("dense/bias", [3]), ("dense/kernel", [3, 4])]


def flat(a):
    return np.asarray(a, "float64").ravel().tolist()


def trajectory(cid, cls, kwargs):
    rng = np.random.default_rng(zlib.crc32(f"ema/{cid}".encode()))
    init = [rng.normal(size=s).astype(F32) for _, s in SPECS]
    grads = [[(rng.normal(size=s) * 0.5).astype(F32) for _, s in SPECS] for _ in range(5)]
    variables = []
    for v, (n, _) in zip(init, SPECS):
        scope, leaf = n.split("/")
        with keras.name_scope(scope):
            variables.append(keras.Variable(v, name=leaf))
    opt = getattr(keras.optimizers, cls)(**kwargs)
    steps = []
    for g in grads:
        opt.apply_gradients(zip([keras.ops.convert_to_tensor(x) for x in g], variables))
        steps.append([flat(v.numpy()) for v in variables])
    return {"id": cid, "class": cls, "kwargs": kwargs,
            "variables": [{"name": n, "shape": s, "init": flat(i)} for (n, s), i in zip(SPECS, init)],
            "grads": [[flat(x) for x in g] for g in grads], "trajectory": steps,
            "state": [{"path": v.path, "shape": list(v.shape), "values": flat(v.numpy())}
                      for v in opt.variables],
            "config": opt.get_config()}


def fit(cid, swap, swap_on_epoch):
    rng = np.random.default_rng(zlib.crc32(f"ema_fit/{cid}".encode()))
    x = rng.normal(size=(16, 3)).astype(F32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]], F32) + 0.3).astype(F32)
    xv = rng.normal(size=(8, 3)).astype(F32)
    yv = (xv @ np.array([[1.0], [-2.0], [0.5]], F32) + 0.3).astype(F32)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    kernel = rng.normal(size=(3, 1)).astype(F32)
    model.layers[0].kernel.assign(kernel)
    model.layers[0].bias.assign(np.zeros(1, F32))
    model.compile(optimizer=keras.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.5), loss="mse")
    cbs = [keras.callbacks.SwapEMAWeights(swap_on_epoch=swap_on_epoch)] if swap else []
    h = model.fit(x, y, validation_data=(xv, yv), epochs=3, batch_size=4, shuffle=False,
                  verbose=0, callbacks=cbs)
    return {"id": cid, "swap": swap, "swap_on_epoch": swap_on_epoch,
            "x": flat(x), "y": flat(y), "x_val": flat(xv), "y_val": flat(yv),
            "kernel": flat(kernel),
            "history": {k: [float(v) for v in vs] for k, vs in h.history.items()},
            "final_kernel": flat(model.layers[0].kernel.numpy()),
            "final_bias": flat(model.layers[0].bias.numpy())}


def main():
    trajs = [
        trajectory("adam_ema", "Adam", {"learning_rate": 0.05, "use_ema": True, "ema_momentum": 0.8}),
        trajectory("sgd_ema_overwrite", "SGD",
                   {"learning_rate": 0.1, "momentum": 0.5, "use_ema": True, "ema_momentum": 0.5,
                    "ema_overwrite_frequency": 2}),
    ]
    fits = [fit("ema_only", False, False), fit("swap", True, False),
            fit("swap_on_epoch", True, True)]
    errors = []
    for kw in [{"use_ema": True, "ema_momentum": 1.5}]:
        try:
            keras.optimizers.Adam(**kw)
            raise AssertionError(kw)
        except ValueError as e:
            errors.append({"kwargs": kw, "message": str(e)})
    doc = {"keras_version": keras.__version__, "trajectories": trajs, "fits": fits,
           "errors": errors}
    with open(OUT, "w") as f:
        json.dump(doc, f, sort_keys=True)
        f.write("\n")
    print("wrote", OUT)
    for c in fits:
        print(c["id"], c["history"], c["final_kernel"])
    print(errors)


if __name__ == "__main__":
    main()
