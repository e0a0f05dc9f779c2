#!/usr/bin/env python3
"""Golden fixtures for the vision layers added after gen_conv_pool_layers.py, from
Keras 3.15 (TF backend): the 1-D transposed / depthwise / separable convolutions, Conv3D
and the 3-D pooling, padding, cropping and upsampling layers, and bilinear UpSampling2D.

Writes tools/golden/fixtures/vision_layers.json. Run from the repository root:
    /work/venv-tf/bin/python tools/golden/gen_vision_layers.py
Each case is recorded exactly as in gen_conv_pool_layers.py (whose `case` it reuses):
the layer's config, seeded weights and input, the output, compute_output_shape and the
gradients of sum(output * cotangent) w.r.t. the input and every trainable weight.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_conv_pool_layers import OUT, case, keras  # noqa: E402

CASES = [
    # 1-D convolutions built on the 2-D ops.
    ("c1t_valid", "Conv1DTranspose", {"filters": 3, "kernel_size": 3}, (2, 5, 2)),
    ("c1t_same_s2", "Conv1DTranspose", {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same"}, (1, 5, 3)),
    ("c1t_valid_s3", "Conv1DTranspose", {"filters": 2, "kernel_size": 2, "strides": 3, "activation": "tanh"}, (2, 4, 2)),
    ("c1t_outpad", "Conv1DTranspose", {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same", "output_padding": 1}, (1, 4, 2)),
    ("c1t_nobias", "Conv1DTranspose", {"filters": 4, "kernel_size": 4, "strides": 2, "use_bias": False}, (1, 3, 3)),
    ("dw1_valid", "DepthwiseConv1D", {"kernel_size": 3}, (2, 7, 3)),
    ("dw1_same_mult", "DepthwiseConv1D", {"kernel_size": 3, "padding": "same", "depth_multiplier": 2}, (1, 6, 2)),
    ("dw1_stride", "DepthwiseConv1D", {"kernel_size": 2, "strides": 2, "activation": "relu"}, (2, 7, 2)),
    ("dw1_dilation", "DepthwiseConv1D", {"kernel_size": 3, "dilation_rate": 2, "padding": "same"}, (1, 8, 3)),
    ("sep1_valid", "SeparableConv1D", {"filters": 4, "kernel_size": 3}, (2, 7, 3)),
    ("sep1_same_mult", "SeparableConv1D", {"filters": 3, "kernel_size": 3, "padding": "same", "depth_multiplier": 2, "activation": "relu"}, (1, 6, 2)),
    ("sep1_stride", "SeparableConv1D", {"filters": 2, "kernel_size": 2, "strides": 2}, (2, 7, 3)),
    ("sep1_dilation", "SeparableConv1D", {"filters": 2, "kernel_size": 3, "dilation_rate": 2, "use_bias": False}, (1, 9, 2)),
]

CASES_3D = [
    ("c3_valid", "Conv3D", {"filters": 3, "kernel_size": 2}, (2, 4, 4, 5, 2)),
    ("c3_same_relu", "Conv3D", {"filters": 4, "kernel_size": 3, "padding": "same", "activation": "relu"}, (1, 3, 4, 4, 3)),
    ("c3_stride_same", "Conv3D", {"filters": 2, "kernel_size": (3, 2, 2), "strides": (2, 1, 2), "padding": "same"}, (1, 5, 4, 5, 2)),
    ("c3_stride_valid", "Conv3D", {"filters": 3, "kernel_size": (2, 3, 2), "strides": 2}, (2, 5, 6, 5, 2)),
    ("c3_dilation", "Conv3D", {"filters": 2, "kernel_size": 2, "dilation_rate": (2, 1, 2), "padding": "same"}, (1, 5, 4, 5, 2)),
    ("c3_groups", "Conv3D", {"filters": 4, "kernel_size": 2, "groups": 2}, (1, 3, 4, 4, 4)),
    ("c3_nobias_k1", "Conv3D", {"filters": 3, "kernel_size": 1, "use_bias": False, "activation": "tanh"}, (2, 2, 3, 3, 4)),
    ("mp3_valid", "MaxPooling3D", {"pool_size": 2}, (2, 4, 4, 5, 3)),
    ("mp3_same_s1", "MaxPooling3D", {"pool_size": (3, 2, 2), "strides": 1, "padding": "same"}, (1, 3, 4, 3, 2)),
    ("mp3_odd", "MaxPooling3D", {"pool_size": (2, 3, 2), "strides": (1, 2, 2)}, (1, 4, 7, 5, 2)),
    ("ap3_valid", "AveragePooling3D", {"pool_size": 2}, (2, 4, 4, 4, 2)),
    ("ap3_same", "AveragePooling3D", {"pool_size": 3, "strides": 2, "padding": "same"}, (1, 5, 4, 5, 2)),
    ("gap3", "GlobalAveragePooling3D", {}, (2, 3, 2, 4, 3)),
    ("gmp3_keep", "GlobalMaxPooling3D", {"keepdims": True}, (2, 3, 2, 4, 3)),
    ("gap3_keep", "GlobalAveragePooling3D", {"keepdims": True}, (1, 2, 3, 2, 4)),
    ("gmp3", "GlobalMaxPooling3D", {}, (1, 2, 3, 2, 4)),
    ("up3", "UpSampling3D", {"size": (2, 1, 3)}, (1, 2, 3, 2, 2)),
    ("zp3", "ZeroPadding3D", {"padding": ((1, 0), (0, 2), (1, 1))}, (1, 2, 3, 2, 2)),
    ("crop3", "Cropping3D", {"cropping": ((1, 0), (0, 1), (1, 2))}, (1, 3, 4, 5, 2)),
]

CASES_BILINEAR = [
    ("bil_2x2", "UpSampling2D", {"size": 2, "interpolation": "bilinear"}, (2, 3, 4, 3)),
    ("bil_3x2", "UpSampling2D", {"size": (3, 2), "interpolation": "bilinear"}, (1, 4, 3, 2)),
    ("bil_1x4", "UpSampling2D", {"size": (1, 4), "interpolation": "bilinear"}, (1, 2, 3, 2)),
    ("bil_5x3", "UpSampling2D", {"size": (5, 3), "interpolation": "bilinear"}, (1, 2, 2, 1)),
]

CASES = CASES + CASES_3D + CASES_BILINEAR


def main():
    names = [c[0] for c in CASES]
    assert len(set(names)) == len(names), "duplicate case names"
    cases = [case(*c) for c in CASES]
    path = os.path.join(OUT, "vision_layers.json")
    with open(path, "w") as f:
        json.dump({"keras": keras.__version__, "cases": cases}, f, separators=(",", ":"))
    print(f"wrote {path}: {len(cases)} cases, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
