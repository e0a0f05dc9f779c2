#!/usr/bin/env python3
"""Golden fixtures for Keras 3.15's deterministic preprocessing layers: CategoryEncoding,
Discretization (given boundaries, and adapt's approximate quantiles), Resizing (4
interpolations, crop_to_aspect_ratio, pad_to_aspect_ratio, uint8 inputs) and CenterCrop
(crop, and the smart-resize path for small inputs).

Writes tools/golden/fixtures/preprocessing_layers.json. Run from the repository root:
    /work/venv-tf/bin/python tools/golden/gen_preprocessing_layers.py
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
from generate import tensor_json as _tensor_json  # noqa: E402


def tensor_json(a):
    a = np.asarray(a)
    if a.dtype == np.uint8:
        return {"shape": list(a.shape), "dtype": "uint8", "data": [int(v) for v in a.reshape(-1)]}
    return _tensor_json(a)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


def rng(name):
    return np.random.default_rng(zlib.crc32(name.encode()))


def record(name, cls, kwargs, x, adapt=None):
    layer = getattr(keras.layers, cls)(**kwargs)
    if adapt is not None:
        layer.adapt(adapt)
    y = np.asarray(layer(x))
    case = {"name": name, "class": cls, "kwargs": kwargs, "input": tensor_json(x),
            "output": tensor_json(y), "output_dtype": str(y.dtype),
            "config": {k: v for k, v in layer.get_config().items() if k not in ("dtype", "name")}}
    if adapt is not None:
        case["adapt"] = tensor_json(adapt)
        case["bin_boundaries"] = [float(b) for b in layer.bin_boundaries]
    return case


def main():
    cases = []
    ids2 = np.array([[0, 1, 1, 3], [2, 2, 4, 0]], dtype=np.int32)
    for mode in ["multi_hot", "count", "one_hot"]:
        cases.append(record("category_%s_2d" % mode, "CategoryEncoding",
                            {"num_tokens": 5, "output_mode": mode},
                            ids2 if mode != "one_hot" else np.array([[3], [0], [4]], dtype=np.int32)))
    cases.append(record("category_multi_hot_1d", "CategoryEncoding",
                        {"num_tokens": 6, "output_mode": "multi_hot"}, np.array([1, 5, 1], dtype=np.int64)))
    cases.append(record("category_one_hot_1d", "CategoryEncoding",
                        {"num_tokens": 4, "output_mode": "one_hot"}, np.array([1, 3, 0], dtype=np.int64)))
    cases.append(record("category_one_hot_3d", "CategoryEncoding",
                        {"num_tokens": 4, "output_mode": "one_hot"},
                        np.array([[[1, 2], [3, 0]]], dtype=np.int32)))

    x = rng("disc").normal(size=(3, 5)).astype(np.float32)
    x[0, 0] = 0.5  # exactly on a boundary: digitize puts it in the upper bin
    for mode in ["int", "one_hot", "multi_hot", "count"]:
        cases.append(record("discretization_%s" % mode, "Discretization",
                            {"bin_boundaries": [-0.5, 0.0, 0.5], "output_mode": mode},
                            x if mode != "one_hot" else x[:, :1]))
    for i, (n, eps, data) in enumerate([
        (4, 0.01, rng("a0").normal(size=(200,))),
        (3, 0.01, rng("a1").uniform(size=(50, 2))),
        (5, 0.1, np.repeat(rng("a2").integers(0, 6, size=(40,)), 2).astype(np.float64)),  # ties
        (4, 0.01, np.arange(7, dtype=np.float64)),  # fewer values than buckets
        (8, 0.05, rng("a4").exponential(size=(333,))),
    ]):
        data = data.astype(np.float32)
        probe = rng("probe%d" % i).normal(size=(4, 6)).astype(np.float32) * data.std() + data.mean()
        cases.append(record("discretization_adapt_%d" % i, "Discretization",
                            {"num_bins": n, "epsilon": eps}, probe, adapt=data))

    img = rng("img").uniform(0, 255, size=(2, 7, 9, 3)).astype(np.float32)
    for interp in ["bilinear", "nearest", "bicubic", "area"]:
        cases.append(record("resizing_%s" % interp, "Resizing",
                            {"height": 4, "width": 5, "interpolation": interp}, img))
    cases.append(record("resizing_up", "Resizing", {"height": 10, "width": 13}, img))
    cases.append(record("resizing_crop_aspect", "Resizing",
                        {"height": 4, "width": 4, "crop_to_aspect_ratio": True}, img))
    cases.append(record("resizing_crop_aspect_tall", "Resizing",
                        {"height": 6, "width": 2, "crop_to_aspect_ratio": True}, img))
    cases.append(record("resizing_pad_aspect", "Resizing",
                        {"height": 4, "width": 4, "pad_to_aspect_ratio": True, "fill_value": 7.0}, img))
    cases.append(record("resizing_pad_aspect_wide", "Resizing",
                        {"height": 2, "width": 8, "pad_to_aspect_ratio": True}, img))
    cases.append(record("resizing_single_image", "Resizing", {"height": 3, "width": 3}, img[0]))
    cases.append(record("resizing_uint8", "Resizing", {"height": 4, "width": 5},
                        img.astype(np.uint8)))
    cases.append(record("center_crop", "CenterCrop", {"height": 4, "width": 5}, img))
    cases.append(record("center_crop_odd", "CenterCrop", {"height": 6, "width": 2}, img[0]))
    cases.append(record("center_crop_small", "CenterCrop", {"height": 9, "width": 9}, img))

    path = os.path.join(OUT, "preprocessing_layers.json")
    with open(path, "w") as f:
        json.dump({"keras_version": keras.__version__, "cases": cases}, f, sort_keys=True)
        f.write("\n")
    print("preprocessing_layers.json: %d cases, %d bytes" % (len(cases), os.path.getsize(path)))


if __name__ == "__main__":
    main()
