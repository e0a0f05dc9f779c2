#!/usr/bin/env python3
"""Golden fixtures for kiln::applications from keras.applications (Keras 3.15,
weights=None): parameter counts (total, trainable, non-trainable), layer names in order,
output shape and model name. Writes tools/golden/fixtures/applications.json.

Also the matching preprocessing and decoding, to tools/golden/fixtures/applications_io.json:
`keras.applications.<family>.preprocess_input` (vgg16, vgg19, resnet, resnet50 in "caffe"
mode; mobilenet_v2 in "tf" mode) on rank-3 and rank-4 inputs, float and uint8, in
channels_last and channels_first; and `decode_predictions(preds, top)` run by Keras on a
synthetic 1000-class index (tools/golden/fixtures/imagenet_class_index_synthetic.json,
installed as Keras's cached class index, since the real file cannot be downloaded here).
    /work/venv-tf/bin/python tools/golden/gen_applications.py
"""

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import sys  # noqa: E402

import numpy as np  # noqa: E402
import keras  # noqa: E402
from keras import layers  # noqa: E402
from keras.src.applications import imagenet_utils  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generate import tensor_json  # noqa: E402

FIX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
OUT = os.path.join(FIX, "applications.json")
IO_OUT = os.path.join(FIX, "applications_io.json")
CLASS_INDEX = os.path.join(FIX, "imagenet_class_index_synthetic.json")

PREPROCESS = {
    "vgg16": keras.applications.vgg16.preprocess_input,
    "vgg19": keras.applications.vgg19.preprocess_input,
    "resnet": keras.applications.resnet.preprocess_input,
    "resnet50": keras.applications.resnet50.preprocess_input,
    "mobilenet_v2": keras.applications.mobilenet_v2.preprocess_input,
}


def io_cases():
    g = np.random.default_rng(5)
    pre = []
    shapes = {"channels_last": [(3, 4, 3), (2, 3, 4, 3)], "channels_first": [(3, 4, 5), (2, 3, 4, 5)]}
    for family, fn in PREPROCESS.items():
        for fmt, ss in shapes.items():
            for shape in ss:
                for dtype in ("float32", "uint8"):
                    # Integers (quarter steps for floats) keep every value exact in f32.
                    x = g.integers(0, 256, size=shape)
                    x = (x / 4.0 * 4.0 + g.integers(0, 4, size=shape) / 4.0 * (dtype == "float32"))
                    x = x.clip(0, 255).astype(dtype)
                    y = fn(x.copy(), data_format=fmt)
                    pre.append({"family": family, "data_format": fmt, "dtype": dtype,
                                "x": tensor_json(x.astype(np.float32)), "y": tensor_json(np.asarray(y))})
    # decode_predictions on a synthetic class index: Keras reads CLASS_INDEX once, so it
    # is set to our file's content (what get_file would have cached).
    index = {str(i): [f"n{10000000 + 37 * i:08d}", f"class_{i}"] for i in range(1000)}
    with open(CLASS_INDEX, "w") as f:
        json.dump(index, f)
    with open(CLASS_INDEX) as f:
        imagenet_utils.CLASS_INDEX = json.load(f)
    preds = g.random((2, 1000)).astype(np.float32)
    preds = preds / preds.sum(axis=1, keepdims=True)
    dec = []
    for top in (5, 1, 3, 0, 1200):
        out = keras.applications.vgg16.decode_predictions(preds, top=top)
        # top=0 and top>1000 give every class (NumPy's `argsort()[-top:]`): the first 10 and
        # the count are kept.
        dec.append({"top": top, "len": [len(row) for row in out],
                    "result": [[[c, d, float(s)] for c, d, s in row[:10]] for row in out]})
    errors = {}
    for shape in [(2, 999), (1000,), (1, 2, 1000)]:
        try:
            keras.applications.vgg16.decode_predictions(np.zeros(shape, np.float32))
        except ValueError as e:
            errors[str(list(shape))] = str(e)
    with open(IO_OUT, "w") as f:
        json.dump({"keras": keras.__version__, "preprocess": pre,
                   "decode": {"preds": tensor_json(preds), "cases": dec, "errors": errors}}, f,
                  separators=(",", ":"))
    print(f"wrote {IO_OUT}: {len(pre)} preprocess cases, {len(dec)} decode cases")

CASES = [
    ("vgg16", keras.applications.VGG16, {}),
    ("vgg16", keras.applications.VGG16, {"include_top": False, "input_shape": (64, 64, 3), "pooling": "avg"}),
    ("vgg19", keras.applications.VGG19, {}),
    ("resnet50", keras.applications.ResNet50, {}),
    ("resnet50", keras.applications.ResNet50, {"include_top": False, "input_shape": (96, 96, 3), "pooling": "max"}),
    ("resnet101", keras.applications.ResNet101, {"include_top": False, "input_shape": (64, 64, 3)}),
    ("mobilenet_v2", keras.applications.MobileNetV2, {}),
    ("mobilenet_v2", keras.applications.MobileNetV2, {"include_top": False, "input_shape": (97, 97, 3), "pooling": "avg"}),
    ("mobilenet_v2", keras.applications.MobileNetV2, {"alpha": 1.4, "classes": 10}),
    ("mobilenet_v2", keras.applications.MobileNetV2, {"alpha": 0.35, "include_top": False, "input_shape": (128, 128, 3)}),
]


def count(ws):
    return int(sum(int(w.numpy().size) for w in ws))


def main():
    out = []
    for fn, ctor, kw in CASES:
        m = ctor(weights=None, **kw)
        out.append({
            "fn": fn,
            "kwargs": {k: list(v) if isinstance(v, tuple) else v for k, v in kw.items()},
            "name": m.name,
            "total": m.count_params(),
            "trainable": count(m.trainable_weights),
            "non_trainable": count(m.non_trainable_weights),
            "layers": [l.name for l in m.layers],
            "output_shape": list(m.output.shape),
        })
        keras.backend.clear_session()
    # The S002-2 CNN (kiln train --model cnn).
    i = keras.Input((28, 28, 1))
    x = layers.Conv2D(32, 3, activation="relu", padding="same")(i)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(128, activation="relu")(x)
    o = layers.Dense(10, activation="softmax")(x)
    cnn = keras.Model(i, o)
    with open(OUT, "w") as f:
        json.dump({"keras": keras.__version__, "cases": out, "s002_2_cnn_params": cnn.count_params()}, f)
    print(f"wrote {OUT}: {len(out)} cases")
    io_cases()


if __name__ == "__main__":
    main()
