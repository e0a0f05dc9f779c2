#!/usr/bin/env python3
"""Golden fixtures for the random image augmentation layers of Keras 3.15 (TF backend).

Writes tools/golden/fixtures/augmentation_layers.json. Run from the repository root:
    /work/venv-tf/bin/python tools/golden/gen_augmentation_layers.py

TF's random streams cannot be reproduced bit for bit, so every case fixes the transform:
degenerate factor ranges such as RandomRotation(factor=(0.1, 0.1)) called with
training=True go through the layer's whole path (parameter draw, matrix, resampling);
RandomContrast (whose factor range can only be degenerate at 1) and RandomFlip are called
through `transform_images` with an explicit transformation; RandomCrop takes its
deterministic centre path (input not larger than the target in both axes).
"""

import json
import os
import sys
import zlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
import keras  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generate import tensor_json  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
F32 = np.float32
FILL_MODES = ["reflect", "wrap", "constant", "nearest"]
INTERPOLATIONS = ["bilinear", "nearest"]


def rng(name):
    return np.random.default_rng(zlib.crc32(name.encode()))


def image(name, shape, hi=255.0):
    # Multiples of 1/8 keep the inputs exact in f32 and short in JSON.
    return (np.round(rng(name).uniform(0.0, hi, size=shape) * 8) / 8).astype(F32)


def case(name, cls, kwargs, x, y, how="call"):
    return {
        "name": name,
        "class": cls,
        "kwargs": kwargs,
        "how": how,
        "x": tensor_json(x),
        "y": tensor_json(np.asarray(y)),
    }


def geometric_cases():
    out = []
    shapes = {"b": (2, 6, 7, 1), "u": (5, 4, 2)}
    layers = [
        ("RandomRotation", [{"factor": [0.1, 0.1]}, {"factor": [-0.2, -0.2]}, {"factor": [0.25, 0.25]}]),
        ("RandomZoom", [
            {"height_factor": [-0.3, -0.3]},
            {"height_factor": [0.4, 0.4], "width_factor": [-0.2, -0.2]},
        ]),
        ("RandomTranslation", [
            {"height_factor": [0.2, 0.2], "width_factor": [-0.3, -0.3]},
            {"height_factor": [-0.45, -0.45], "width_factor": [0.6, 0.6]},
        ]),
    ]
    for cls, variants in layers:
        for vi, v in enumerate(variants):
            for fm in FILL_MODES:
                for it in INTERPOLATIONS:
                    for tag, shape in shapes.items():
                        name = f"{cls}_{vi}_{fm}_{it}_{tag}"
                        kw = dict(v, fill_mode=fm, interpolation=it, seed=7)
                        if fm == "constant":
                            kw["fill_value"] = 3.5
                        x = image(name, shape)
                        layer = getattr(keras.layers, cls)(**kw)
                        out.append(case(name, cls, kw, x, layer(x, training=True)))
    return out


def color_cases():
    out = []
    x = image("bright", (2, 4, 5, 3))
    for kw in [{"factor": [0.2, 0.2]}, {"factor": [-0.3, -0.3]}, {"factor": [0.0, 0.0]}]:
        layer = keras.layers.RandomBrightness(**kw)
        out.append(case(f"RandomBrightness_{kw['factor'][0]}", "RandomBrightness", kw, x, layer(x, training=True)))
    x01 = image("bright01", (4, 5, 2), hi=1.0)
    kw = {"factor": [-0.25, -0.25], "value_range": [0.0, 1.0]}
    out.append(case("RandomBrightness_01", "RandomBrightness", kw, x01, keras.layers.RandomBrightness(**kw)(x01, training=True)))

    xc = image("contrast", (2, 4, 5, 3))
    kw = {"factor": 0.0}
    out.append(case("RandomContrast_zero", "RandomContrast", kw, xc, keras.layers.RandomContrast(**kw)(xc, training=True)))
    for vr in [[0, 255], [0.0, 100.0]]:
        kw = {"factor": 0.5, "value_range": vr}
        layer = keras.layers.RandomContrast(**kw)
        factors = np.array([0.5, 1.7], F32).reshape(2, 1, 1, 1)
        y = layer.transform_images(xc, {"contrast_factor": factors}, training=True)
        c = case(f"RandomContrast_fixed_{vr[1]}", "RandomContrast", kw, xc, y, how="transform")
        c["params"] = [0.5, 1.7]
        out.append(c)
    return out


def flip_cases():
    out = []
    x = image("flip", (2, 3, 4, 2))
    for mode in ["horizontal", "vertical", "horizontal_and_vertical"]:
        layer = keras.layers.RandomFlip(mode=mode)
        flips = np.ones((2, 1, 1, 1), bool)
        y = layer.transform_images(x, {"flips": flips, "input_shape": x.shape}, training=True)
        c = case(f"RandomFlip_{mode}", "RandomFlip", {"mode": mode}, x, y, how="transform")
        c["params"] = [1.0, 1.0]
        out.append(c)
    return out


def crop_cases():
    out = []
    for name, shape, hw in [
        ("equal_height", (5, 6, 2), (5, 4)),
        ("smaller", (4, 4, 1), (6, 5)),
        ("equal_batched", (2, 7, 8, 1), (7, 8)),
        ("wide_batched", (2, 4, 9, 1), (4, 3)),
    ]:
        x = image("crop" + name, shape)
        kw = {"height": hw[0], "width": hw[1], "seed": 3}
        y = keras.layers.RandomCrop(**kw)(x, training=True)
        out.append(case(f"RandomCrop_{name}", "RandomCrop", kw, x, y))
    return out


def main():
    cases = geometric_cases() + color_cases() + flip_cases() + crop_cases()
    path = os.path.join(OUT, "augmentation_layers.json")
    with open(path, "w") as f:
        json.dump({"keras_version": keras.__version__, "cases": cases}, f, separators=(",", ":"))
    print(f"wrote {len(cases)} cases to {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
