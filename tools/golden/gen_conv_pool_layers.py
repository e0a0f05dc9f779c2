#!/usr/bin/env python3
"""Golden fixtures for kiln's convolution and pooling layers from Keras 3.15 (TF backend).

Writes tools/golden/fixtures/conv_pool_layers.json. Run from the repository root:
    /work/venv-tf/bin/python tools/golden/gen_conv_pool_layers.py
Each case builds a layer from keyword arguments, sets its weights from a seeded
generator, calls it on a seeded input and records the output, compute_output_shape, the
config, and the gradients of sum(output * cotangent) w.r.t. the input and each weight.
"""

import json
import os
import sys
import zlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generate import tensor_json  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
F32 = np.float32

CASES = [
    ("conv2d_valid", "Conv2D", {"filters": 4, "kernel_size": 3}, (2, 6, 5, 3)),
    ("conv2d_same_relu", "Conv2D", {"filters": 5, "kernel_size": 3, "padding": "same", "activation": "relu"}, (2, 5, 5, 2)),
    ("conv2d_c1", "Conv2D", {"filters": 8, "kernel_size": 3, "padding": "same"}, (2, 6, 6, 1)),
    ("conv2d_stride2_same", "Conv2D", {"filters": 3, "kernel_size": (3, 2), "strides": 2, "padding": "same"}, (1, 7, 6, 2)),
    ("conv2d_stride2_valid", "Conv2D", {"filters": 3, "kernel_size": 3, "strides": (2, 1)}, (2, 7, 6, 2)),
    ("conv2d_dilation", "Conv2D", {"filters": 2, "kernel_size": 3, "dilation_rate": 2, "padding": "same"}, (1, 7, 7, 3)),
    ("conv2d_groups", "Conv2D", {"filters": 4, "kernel_size": 3, "groups": 2}, (2, 5, 5, 4)),
    ("conv2d_nobias_tanh", "Conv2D", {"filters": 3, "kernel_size": 1, "use_bias": False, "activation": "tanh"}, (2, 3, 4, 5)),
    ("conv2d_large_c", "Conv2D", {"filters": 32, "kernel_size": 3, "padding": "same"}, (2, 6, 6, 24)),
    ("conv1d_valid", "Conv1D", {"filters": 4, "kernel_size": 3}, (2, 7, 3)),
    ("conv1d_causal_dil", "Conv1D", {"filters": 3, "kernel_size": 2, "padding": "causal", "dilation_rate": 2}, (2, 6, 2)),
    ("conv1d_same_stride", "Conv1D", {"filters": 2, "kernel_size": 3, "padding": "same", "strides": 2}, (1, 7, 3)),
    ("maxpool2d", "MaxPooling2D", {"pool_size": 2}, (2, 6, 4, 3)),
    ("maxpool2d_same_s1", "MaxPooling2D", {"pool_size": 3, "strides": 1, "padding": "same"}, (1, 5, 4, 2)),
    ("maxpool2d_odd", "MaxPooling2D", {"pool_size": (2, 3), "strides": (2, 2)}, (1, 7, 7, 2)),
    ("avgpool2d", "AveragePooling2D", {"pool_size": 2}, (2, 4, 6, 3)),
    ("avgpool2d_same", "AveragePooling2D", {"pool_size": 3, "strides": 2, "padding": "same"}, (1, 5, 5, 2)),
    ("maxpool1d", "MaxPooling1D", {"pool_size": 2}, (2, 7, 3)),
    ("avgpool1d_same", "AveragePooling1D", {"pool_size": 3, "strides": 1, "padding": "same"}, (1, 5, 2)),
    ("gap2d", "GlobalAveragePooling2D", {}, (2, 3, 4, 5)),
    ("gmp2d_keep", "GlobalMaxPooling2D", {"keepdims": True}, (2, 3, 4, 5)),
    ("gap1d", "GlobalAveragePooling1D", {}, (2, 5, 3)),
    ("gmp1d", "GlobalMaxPooling1D", {}, (2, 5, 3)),
    ("dw_same", "DepthwiseConv2D", {"kernel_size": 3, "padding": "same"}, (2, 5, 5, 3)),
    ("dw_mult_stride", "DepthwiseConv2D", {"kernel_size": 3, "strides": 2, "depth_multiplier": 2}, (1, 7, 7, 2)),
    ("sep", "SeparableConv2D", {"filters": 4, "kernel_size": 3, "padding": "same", "activation": "relu"}, (2, 5, 5, 3)),
    ("sep_mult", "SeparableConv2D", {"filters": 3, "kernel_size": 2, "depth_multiplier": 2, "strides": 2}, (1, 6, 6, 2)),
    ("convT_valid", "Conv2DTranspose", {"filters": 3, "kernel_size": 3}, (2, 4, 4, 2)),
    ("convT_same_s2", "Conv2DTranspose", {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}, (1, 4, 5, 3)),
    ("convT_valid_s2", "Conv2DTranspose", {"filters": 2, "kernel_size": 3, "strides": 2}, (1, 3, 3, 2)),
    ("convT_outpad", "Conv2DTranspose", {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same", "output_padding": 1}, (1, 3, 3, 2)),
    ("zp2d", "ZeroPadding2D", {"padding": ((1, 2), (0, 1))}, (1, 3, 3, 2)),
    ("zp1d", "ZeroPadding1D", {"padding": 2}, (1, 3, 2)),
    ("crop2d", "Cropping2D", {"cropping": ((1, 0), (1, 2))}, (1, 4, 5, 2)),
    ("crop1d", "Cropping1D", {"cropping": (1, 2)}, (1, 6, 2)),
    ("up2d", "UpSampling2D", {"size": (2, 3)}, (1, 2, 3, 2)),
    ("up1d", "UpSampling1D", {"size": 3}, (1, 3, 2)),
]


def case(name, cls, kwargs, shape):
    g = np.random.default_rng(zlib.crc32(name.encode()))
    layer = getattr(keras.layers, cls)(**kwargs)
    layer.build(shape)
    weights = [g.normal(0.0, 0.5, size=w.shape).astype(F32) for w in layer.weights]
    layer.set_weights(weights)
    x = g.normal(size=shape).astype(F32)
    xt = tf.constant(x)
    y_shape = layer.compute_output_shape(shape)
    cot = g.normal(size=y_shape).astype(F32)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = layer(xt)
        obj = tf.reduce_sum(y * cot)
    grads = tape.gradient(obj, [xt] + [w.value for w in layer.trainable_weights])
    return {
        "name": name,
        "class": cls,
        "config": layer.get_config(),
        "x": tensor_json(x),
        "weights": [tensor_json(w) for w in weights],
        "cotangent": tensor_json(cot),
        "y": tensor_json(y.numpy()),
        "output_shape": [d for d in y_shape],
        "grad_x": tensor_json(grads[0].numpy()),
        "grad_weights": [tensor_json(gw.numpy()) for gw in grads[1:]],
    }


def main():
    cases = [case(*c) for c in CASES]
    path = os.path.join(OUT, "conv_pool_layers.json")
    with open(path, "w") as f:
        json.dump({"keras": keras.__version__, "cases": cases}, f, separators=(",", ":"))
    print(f"wrote {path}: {len(cases)} cases")


if __name__ == "__main__":
    main()
