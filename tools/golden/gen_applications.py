#!/usr/bin/env python3
"""Golden fixtures for kiln::applications from keras.applications (Keras 3.15,
weights=None): parameter counts (total, trainable, non-trainable), layer names in order,
output shape and model name. Writes tools/golden/fixtures/applications.json.
    /work/venv-tf/bin/python tools/golden/gen_applications.py
"""

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import keras  # noqa: E402
from keras import layers  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "applications.json")

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


if __name__ == "__main__":
    main()
