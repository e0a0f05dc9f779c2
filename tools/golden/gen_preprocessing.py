#!/usr/bin/env python3
"""Golden fixtures for the Rescaling and Normalization preprocessing layers (Keras 3.15):
Normalization.adapt statistics (weights mean, variance, count) and outputs for several
axes, invert, and given mean/variance. Writes tools/golden/fixtures/preprocessing.json.
    /work/venv-tf/bin/python tools/golden/gen_preprocessing.py
"""

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import keras  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "preprocessing.json")


def main():
    g = np.random.default_rng(7)
    data = (g.normal(size=(20, 3, 4)) * [1.0, 5.0, 0.1, 2.0] + [3.0, -1.0, 0.0, 10.0]).astype(np.float32)
    x = g.normal(size=(2, 3, 4)).astype(np.float32) * 3
    cases = []
    for kw in [{}, {"axis": 1}, {"axis": [1, 2]}, {"axis": -1, "invert": True}]:
        layer = keras.layers.Normalization(**kw)
        layer.adapt(data)
        cases.append({
            "kwargs": kw,
            "weights": [{"name": w.name, "shape": list(w.shape), "data": np.asarray(w.numpy()).ravel().tolist()}
                        for w in layer.weights],
            "y": np.asarray(layer(x)).ravel().tolist(),
        })
    fixed = keras.layers.Normalization(mean=[1.0, 2.0, 3.0, 4.0], variance=[1.0, 4.0, 0.0, 16.0])
    resc = keras.layers.Rescaling(1.0 / 127.5, offset=-1.0)
    with open(OUT, "w") as f:
        json.dump({"keras": keras.__version__, "data": data.ravel().tolist(), "x": x.ravel().tolist(),
                   "cases": cases, "fixed_y": np.asarray(fixed(x)).ravel().tolist(),
                   "rescaling_y": np.asarray(resc(x)).ravel().tolist()}, f)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
