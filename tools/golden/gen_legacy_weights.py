#!/usr/bin/env python3
"""Legacy weights-only .h5 fixtures (the layout of keras.applications' `*_notop.h5` files).

Writes to tools/golden/fixtures/saving/:

- mobilenet_v2_0.35_96_notop_k2.h5: MobileNetV2(alpha=0.35, input_shape=(96, 96, 3),
  include_top=False, weights=None) with random weights and BatchNormalization statistics,
  written with h5py in the Keras 2 layout of keras.applications' weight files: root
  attributes `layer_names` (every layer), `backend`, `keras_version`; one group per layer
  with a `weight_names` attribute (`<layer>/<weight>:0`, trainable then non-trainable) and
  the datasets at those paths. Keras 3 loads it with `model.load_weights`, which checks it.
- small_legacy_weights_k3.h5: a small Conv/BN/Depthwise/Dense model written by Keras 3's
  own legacy writer (`legacy_h5_format.save_weights_to_hdf5_group`, Keras 3 weight names).
- legacy_weights.json: inputs (integers, divided by 16 on both sides) and Keras's
  predictions for: MobileNetV2 loaded from the file (avg-pooled), the small model loaded
  topologically, loaded `by_name` into a model with the layers in another order plus an
  extra layer, and loaded `by_name, skip_mismatch` into a model whose one layer has a
  different shape (zero-initialised, so the skipped layer is the same in kiln).

Run from the repository root:
    /work/venv-tf/bin/python tools/golden/gen_legacy_weights.py
"""

import json
import os
import sys
import warnings
import zlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import keras  # noqa: E402
from keras.src.legacy.saving import legacy_h5_format  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generate import tensor_json  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "saving")
F32 = np.float32
L = keras.layers


def rng(name):
    return np.random.default_rng(zlib.crc32(name.encode()))


def legacy_weights(layer):
    return layer.trainable_weights + layer.non_trainable_weights


def randomize(model, g):
    """Random weights (scaled by fan-in) and positive BN variances, so nothing is trivial."""
    for layer in model.layers:
        for w in legacy_weights(layer):
            shape = tuple(w.shape)
            if "moving_variance" in w.path:
                v = g.uniform(0.5, 1.5, size=shape)
            elif "gamma" in w.path:
                v = g.uniform(0.8, 1.2, size=shape)
            elif len(shape) >= 2:
                fan_in = int(np.prod(shape[:-1])) if len(shape) > 2 else shape[0]
                if "depthwise" in w.path:
                    fan_in = int(np.prod(shape[:2]))
                v = g.normal(size=shape) * np.sqrt(2.0 / fan_in)
            else:
                v = g.normal(size=shape) * 0.1
            w.assign(v.astype(F32))


def write_keras2_layout(model, path):
    """The Keras 2 / keras.applications layout, with h5py."""
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = np.array([l.name.encode() for l in model.layers])
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.1.6"
        for layer in model.layers:
            g = f.create_group(layer.name)
            ws = legacy_weights(layer)
            # Keras 2 named a depthwise kernel `depthwise_kernel`; Keras 3 calls it `kernel`.
            dw = isinstance(layer, L.DepthwiseConv2D)
            names = [f"{layer.name}/{'depthwise_kernel' if dw and w.name == 'kernel' else w.name}:0"
                     .encode() for w in ws]
            g.attrs["weight_names"] = np.array(names, dtype="S") if names else np.array([], "S1")
            for n, w in zip(names, ws):
                g.create_dataset(n.decode(), data=np.asarray(w.numpy(), F32))


def int_input(name, shape):
    return rng(name).integers(-32, 33, size=shape).astype(np.int64)


def small(extra=False, mismatch=False):
    """Conv -> BN -> ReLU -> Depthwise -> GAP -> Dense. `extra` adds a Dense (zeros/ones
    initialised, absent from the file) before the head; `mismatch` makes the conv 5x5 with
    a ones kernel, so by-name skip_mismatch skips its kernel but loads its bias."""
    inp = keras.Input((8, 8, 3))
    if mismatch:
        x = L.Conv2D(4, 5, padding="same", kernel_initializer="ones", name="conv")(inp)
    else:
        x = L.Conv2D(4, 3, padding="same", name="conv")(inp)
    x = L.BatchNormalization(name="bn")(x)
    x = L.ReLU(name="relu")(x)
    x = L.DepthwiseConv2D(3, name="dw")(x)
    x = L.GlobalAveragePooling2D(name="gap")(x)
    if extra:
        x = L.Dense(4, kernel_initializer="zeros", bias_initializer="ones", name="extra")(x)
    out = L.Dense(3, name="head")(x)
    return keras.Model(inp, out, name="small")


def main():
    os.makedirs(OUT, exist_ok=True)
    cases = {}

    # MobileNetV2 0.35 / 96, Keras 2 applications layout.
    keras.utils.set_random_seed(0)
    mn = keras.applications.MobileNetV2(alpha=0.35, input_shape=(96, 96, 3),
                                        include_top=False, weights=None, pooling="avg")
    randomize(mn, rng("mobilenet_v2"))
    mn_path = os.path.join(OUT, "mobilenet_v2_0.35_96_notop_k2.h5")
    write_keras2_layout(mn, mn_path)
    xi = int_input("mobilenet_v2/x", (1, 96, 96, 3))
    want = mn.predict(xi.astype(F32) / 16.0, verbose=0)
    # Keras itself reads the file back into a fresh model and predicts the same.
    again = keras.applications.MobileNetV2(alpha=0.35, input_shape=(96, 96, 3),
                                           include_top=False, weights=None, pooling="avg")
    again.load_weights(mn_path)
    np.testing.assert_allclose(again.predict(xi.astype(F32) / 16.0, verbose=0), want,
                               rtol=1e-6, atol=1e-6)
    cases["mobilenet_v2"] = {"input_int": tensor_json(xi), "prediction": tensor_json(want)}
    print("mobilenet_v2", mn.count_params(), os.path.getsize(mn_path))

    # The small model, written by Keras 3's legacy writer.
    keras.utils.set_random_seed(1)
    sm = small()
    randomize(sm, rng("small"))
    sm_path = os.path.join(OUT, "small_legacy_weights_k3.h5")
    with h5py.File(sm_path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, sm)
    xs = int_input("small/x", (2, 8, 8, 3))
    x = xs.astype(F32) / 16.0
    fresh = small()
    fresh.load_weights(sm_path)
    topo = fresh.predict(x, verbose=0)
    np.testing.assert_allclose(topo, sm.predict(x, verbose=0), rtol=1e-6, atol=1e-6)
    by_name = small(extra=True)
    by_name.load_weights(sm_path, by_name=True)
    skip = small(mismatch=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        skip.load_weights(sm_path, by_name=True, skip_mismatch=True)
    assert any("Skipping" in str(w.message) for w in caught), "no skip warning"
    cases["small"] = {
        "input_int": tensor_json(xs),
        "topological": tensor_json(topo),
        "by_name_extra": tensor_json(by_name.predict(x, verbose=0)),
        "by_name_skip_mismatch": tensor_json(skip.predict(x, verbose=0)),
    }
    print("small", sm.count_params(), os.path.getsize(sm_path))

    with open(os.path.join(OUT, "legacy_weights.json"), "w") as f:
        json.dump({"keras_version": keras.__version__, "cases": cases}, f,
                  separators=(",", ":"))


if __name__ == "__main__":
    main()
