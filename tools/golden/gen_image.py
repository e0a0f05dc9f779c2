#!/usr/bin/env python3
"""Golden fixtures for kiln_data::image from TensorFlow 2.21 / Keras 3.15 / Pillow.

Writes
  tools/golden/fixtures/image_ops.json     tf.image.resize (4 methods, up/down/non-integer
                                           sizes, preserve_aspect_ratio) and the tf.image
                                           crop/pad/flip/rotate/colour ops
  tools/golden/fixtures/image_affine.json  keras.src.legacy.preprocessing.image.
                                           apply_affine_transform (5 parameter sets x 4 fill
                                           modes, channels-first and channels-last)
  tools/golden/fixtures/image_io.json      tf.io.decode_png / decode_jpeg on PNG/JPEG bytes
                                           made by Pillow (channels 0/1/3/4) and
                                           keras.utils.load_img on a PNG file

    /work/venv-tf/bin/python tools/golden/gen_image.py

Inputs are drawn from np.random.RandomState(crc32(case name)), so adding cases leaves the
others unchanged; every case records its input.
"""

import base64
import io
import json
import os
import tempfile
import zlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402
from keras.src.legacy.preprocessing.image import apply_affine_transform  # noqa: E402
from PIL import Image  # noqa: E402

DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


def rng(name):
    return np.random.RandomState(zlib.crc32(name.encode()))


def arr(a):
    a = np.asarray(a)
    return {"shape": list(a.shape), "data": a.astype(np.float64).ravel().tolist()}


def resize_cases():
    cases = []
    inputs = {
        "batch_5x7x3": rng("resize/batch").rand(2, 5, 7, 3).astype(np.float32),
        "single_6x4x1": rng("resize/single").rand(6, 4, 1).astype(np.float32),
    }
    sizes = [(10, 14), (3, 4), (7, 5), (2, 9), (13, 3), (1, 1)]
    for iname, x in inputs.items():
        for size in sizes:
            for method in ["nearest", "bilinear", "bicubic", "area"]:
                for par in [False, True]:
                    if par and size not in [(10, 14), (7, 5), (2, 9)]:
                        continue
                    out = tf.image.resize(x, size, method=method, preserve_aspect_ratio=par)
                    cases.append({"name": f"{iname}/{size}/{method}/par={par}", "input": iname,
                                  "size": list(size), "method": method,
                                  "preserve_aspect_ratio": par, "out": arr(out)})
    return {k: arr(v) for k, v in inputs.items()}, cases


def ops_cases():
    x4 = rng("ops/x4").rand(2, 5, 6, 3).astype(np.float32)
    x3 = rng("ops/x3").rand(5, 6, 3).astype(np.float32)
    g3 = rng("ops/g3").rand(4, 3, 1).astype(np.float32)
    inputs = {"x4": x4, "x3": x3, "g3": g3}
    ti = tf.image
    specs = [
        ("crop_to_bounding_box", {"offset_height": 1, "offset_width": 2, "target_height": 3,
                                  "target_width": 4}, lambda x, a: ti.crop_to_bounding_box(x, **a)),
        ("pad_to_bounding_box", {"offset_height": 1, "offset_width": 2, "target_height": 8,
                                 "target_width": 9}, lambda x, a: ti.pad_to_bounding_box(x, **a)),
        ("central_crop", {"central_fraction": 0.5}, lambda x, a: ti.central_crop(x, **a)),
        ("central_crop", {"central_fraction": 0.33}, lambda x, a: ti.central_crop(x, **a)),
        ("central_crop", {"central_fraction": 1.0}, lambda x, a: ti.central_crop(x, **a)),
        ("resize_with_crop_or_pad", {"target_height": 3, "target_width": 9},
         lambda x, a: ti.resize_with_crop_or_pad(x, **a)),
        ("resize_with_crop_or_pad", {"target_height": 8, "target_width": 3},
         lambda x, a: ti.resize_with_crop_or_pad(x, **a)),
        ("resize_with_crop_or_pad", {"target_height": 4, "target_width": 5},
         lambda x, a: ti.resize_with_crop_or_pad(x, **a)),
        ("flip_left_right", {}, lambda x, a: ti.flip_left_right(x)),
        ("flip_up_down", {}, lambda x, a: ti.flip_up_down(x)),
        ("transpose", {}, lambda x, a: ti.transpose(x)),
        ("adjust_brightness", {"delta": 0.3}, lambda x, a: ti.adjust_brightness(x, **a)),
        ("adjust_brightness", {"delta": -0.45}, lambda x, a: ti.adjust_brightness(x, **a)),
        ("adjust_contrast", {"contrast_factor": 1.7}, lambda x, a: ti.adjust_contrast(x, **a)),
        ("adjust_contrast", {"contrast_factor": 0.4}, lambda x, a: ti.adjust_contrast(x, **a)),
        ("adjust_gamma", {"gamma": 2.2, "gain": 1.0}, lambda x, a: ti.adjust_gamma(x, **a)),
        ("adjust_gamma", {"gamma": 0.5, "gain": 1.3}, lambda x, a: ti.adjust_gamma(x, **a)),
        ("per_image_standardization", {}, lambda x, a: ti.per_image_standardization(x)),
    ]
    for k in [0, 1, 2, 3, -1, 5]:
        specs.append(("rot90", {"k": k}, lambda x, a: ti.rot90(x, **a)))
    rgb_specs = [
        ("adjust_saturation", {"saturation_factor": 0.3}, lambda x, a: ti.adjust_saturation(x, **a)),
        ("adjust_saturation", {"saturation_factor": 2.5}, lambda x, a: ti.adjust_saturation(x, **a)),
        ("adjust_hue", {"delta": 0.2}, lambda x, a: ti.adjust_hue(x, **a)),
        ("adjust_hue", {"delta": -0.45}, lambda x, a: ti.adjust_hue(x, **a)),
        ("rgb_to_grayscale", {}, lambda x, a: ti.rgb_to_grayscale(x)),
        ("rgb_to_hsv", {}, lambda x, a: ti.rgb_to_hsv(x)),
    ]
    cases = []
    for op, args, fn in specs + rgb_specs:
        for iname in ["x4", "x3"]:
            out = fn(tf.constant(inputs[iname]), args)
            cases.append({"op": op, "args": args, "input": iname, "out": arr(out)})
    # hsv_to_rgb on HSV values (hue in [0, 1)), grayscale_to_rgb and ops on 1-channel input.
    hsv = rng("ops/hsv").rand(3, 4, 3).astype(np.float32)
    inputs["hsv"] = hsv
    cases.append({"op": "hsv_to_rgb", "args": {}, "input": "hsv", "out": arr(ti.hsv_to_rgb(tf.constant(hsv)))})
    cases.append({"op": "grayscale_to_rgb", "args": {}, "input": "g3",
                  "out": arr(ti.grayscale_to_rgb(tf.constant(g3)))})
    cases.append({"op": "per_image_standardization", "args": {}, "input": "g3",
                  "out": arr(ti.per_image_standardization(g3))})
    # A uniform image: the stddev floor 1/sqrt(N) applies.
    flat = np.full((3, 3, 2), 0.25, np.float32)
    inputs["flat"] = flat
    cases.append({"op": "per_image_standardization", "args": {}, "input": "flat",
                  "out": arr(ti.per_image_standardization(flat))})
    # Greys, pure colours and ties for the HSV kernels.
    special = np.array([[[0, 0, 0], [1, 1, 1], [0.5, 0.5, 0.5], [1, 0, 0]],
                        [[0, 1, 0], [0, 0, 1], [1, 1, 0], [0.2, 0.2, 0.7]]], np.float32)
    inputs["special"] = special
    for op, args, fn in rgb_specs:
        cases.append({"op": op, "args": args, "input": "special",
                      "out": arr(fn(tf.constant(special), args))})
    return {k: arr(v) for k, v in inputs.items()}, cases


def affine_cases():
    x = rng("affine/x").rand(7, 9, 2).astype(np.float32)
    params = [
        ("rotation", dict(theta=30)),
        ("shift", dict(tx=1.5, ty=-2.25)),
        ("shear", dict(shear=20)),
        ("zoom", dict(zx=0.7, zy=1.3)),
        ("combined", dict(theta=-40, tx=0.5, ty=1.0, shear=10, zx=1.2, zy=0.8)),
        ("identity", dict()),
    ]
    cases = []
    for pname, p in params:
        for mode in ["nearest", "constant", "reflect", "wrap"]:
            out = apply_affine_transform(x, row_axis=0, col_axis=1, channel_axis=2,
                                         fill_mode=mode, cval=-0.5, order=1, **p)
            cases.append({"name": f"{pname}/{mode}/last", "params": p, "fill_mode": mode,
                          "cval": -0.5, "row_axis": 0, "col_axis": 1, "channel_axis": 2,
                          "out": arr(out)})
    # Keras's own defaults: channels first (row 1, col 2, channel 0).
    xc = np.moveaxis(x, 2, 0).copy()
    for mode in ["nearest", "reflect"]:
        p = params[4][1]
        out = apply_affine_transform(xc, fill_mode=mode, cval=0.0, **p)
        cases.append({"name": f"combined/{mode}/first", "params": p, "fill_mode": mode,
                      "cval": 0.0, "row_axis": 1, "col_axis": 2, "channel_axis": 0,
                      "out": arr(out)})
    return arr(x), cases


def b64(b):
    return base64.b64encode(b).decode()


def io_cases():
    r = rng("io/pixels")
    rgb = (r.rand(6, 5, 3) * 255).astype(np.uint8)
    rgba = (r.rand(6, 5, 4) * 255).astype(np.uint8)
    gray = (r.rand(6, 5) * 255).astype(np.uint8)
    la = (r.rand(6, 5, 2) * 255).astype(np.uint8)
    g16 = (r.rand(6, 5) * 65535).astype(np.uint16)
    imgs = {
        "rgb": Image.fromarray(rgb, "RGB"),
        "rgba": Image.fromarray(rgba, "RGBA"),
        "gray": Image.fromarray(gray, "L"),
        "la": Image.fromarray(la, "LA"),
        "palette": Image.fromarray(rgb, "RGB").quantize(7),
        "gray16": Image.fromarray(g16),
    }
    png = []
    for name, im in imgs.items():
        buf = io.BytesIO()
        im.save(buf, format="PNG")
        data = buf.getvalue()
        for ch in [0, 1, 3, 4]:
            out = tf.io.decode_png(data, channels=ch)
            png.append({"name": f"{name}/{ch}", "bytes": b64(data), "channels": ch,
                        "out": arr(out)})
    jpeg = []
    smooth = np.clip(np.add.outer(np.arange(16) * 12, np.arange(16) * 5)[..., None]
                     + np.array([0, 40, 90]) + (r.rand(16, 16, 3) * 30), 0, 255).astype(np.uint8)
    for name, im in [("rgb", Image.fromarray(smooth, "RGB")),
                     ("gray", Image.fromarray(smooth[..., 1], "L"))]:
        buf = io.BytesIO()
        im.save(buf, format="JPEG", quality=92)
        data = buf.getvalue()
        for ch in [0, 1, 3]:
            out = tf.io.decode_jpeg(data, channels=ch)
            jpeg.append({"name": f"{name}/{ch}", "bytes": b64(data), "channels": ch,
                         "out": arr(out)})
    # keras.utils.load_img (PIL) on a PNG file.
    big = (rng("io/load").rand(9, 11, 4) * 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(big, "RGBA").save(buf, format="PNG")
    data = buf.getvalue()
    load = []
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "img.png")
        with open(path, "wb") as f:
            f.write(data)
        for mode in ["grayscale", "rgb", "rgba"]:
            for ts in [None, (5, 4), (13, 17), (9, 6)]:
                for interp in ["nearest", "bilinear", "bicubic"]:
                    if ts is None and interp != "nearest":
                        continue
                    img = keras.utils.load_img(path, color_mode=mode, target_size=ts,
                                               interpolation=interp)
                    out = keras.utils.img_to_array(img)
                    load.append({"name": f"{mode}/{ts}/{interp}", "color_mode": mode,
                                 "target_size": list(ts) if ts else None,
                                 "interpolation": interp, "out": arr(out)})
    return {"png": png, "jpeg": jpeg, "load_img_png": b64(data), "load_img": load}


def write(name, obj):
    path = os.path.join(DIR, name)
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
    print(f"wrote {path}: {os.path.getsize(path)} bytes")


def main():
    rin, rcases = resize_cases()
    oin, ocases = ops_cases()
    write("image_ops.json", {"tf_version": tf.__version__, "resize_inputs": rin,
                             "resize": rcases, "op_inputs": oin, "ops": ocases})
    ax, acases = affine_cases()
    write("image_affine.json", {"keras": keras.__version__, "input": ax, "cases": acases})
    write("image_io.json", {"tf_version": tf.__version__, **io_cases()})
    print(f"{len(rcases)} resize, {len(ocases)} ops, {len(acases)} affine")


if __name__ == "__main__":
    main()
