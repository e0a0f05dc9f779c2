#!/usr/bin/env python3
"""Golden fixtures for kiln_data::preprocessing::image (Keras 3.15's legacy
ImageDataGenerator, keras.src.legacy.preprocessing.image).

Writes tools/golden/fixtures/image_generator.json:
  fit/standardize   featurewise / samplewise / ZCA statistics after fit(x), standardize on
                    an image and on a batch, fit(augment=True, rounds, seed)
  apply_transform   fixed parameter sets (affine, flips, channel shift, brightness)
  random_params     get_random_transform(shape, seed) for several configurations (NumPy's
                    legacy RandomState stream, which kiln reproduces)
  random_transform  random_transform(x, seed) values
  flow              NumpyArrayIterator batches: order with shuffle False/True + seed,
                    augmented values with a seed, subset, sample_weight
  directory         flow_from_directory on tools/golden/fixtures/dirtree (made by
                    gen_directory.py): class_indices, filenames, classes, batches

    /work/venv-tf/bin/python tools/golden/gen_image_generator.py
"""

import json
import os
import zlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
from keras.src.legacy.preprocessing.image import ImageDataGenerator  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "fixtures")
TREE = os.path.join(FIX, "dirtree")


def rng(name):
    return np.random.RandomState(zlib.crc32(name.encode()))


def arr(a):
    a = np.asarray(a)
    return {"shape": list(a.shape), "data": a.astype(np.float64).ravel().tolist()}


def jsonable(v):
    if isinstance(v, (np.floating, float)):
        return float(v)
    if isinstance(v, (np.integer, int, np.bool_, bool)):
        return int(v) if not isinstance(v, (bool, np.bool_)) else bool(v)
    return v


def params(p):
    return {k: (None if v is None else jsonable(v)) for k, v in p.items()}


def fit_cases():
    x = (rng("fit/x").rand(20, 2, 2, 3) * 255).astype(np.float32)
    probe = (rng("fit/probe").rand(3, 2, 2, 3) * 255).astype(np.float32)
    configs = {
        "featurewise": dict(featurewise_center=True, featurewise_std_normalization=True,
                            rescale=1 / 255.0),
        "samplewise": dict(samplewise_center=True, samplewise_std_normalization=True),
        "all_four": dict(featurewise_center=True, featurewise_std_normalization=True,
                         samplewise_center=True, samplewise_std_normalization=True),
        "center_only": dict(featurewise_center=True),
        "zca": dict(zca_whitening=True),
        "zca_eps": dict(zca_whitening=True, zca_epsilon=0.1, rescale=0.01),
        "augment": dict(featurewise_center=True, featurewise_std_normalization=True,
                        rotation_range=30, horizontal_flip=True, augment=True),
    }
    out = []
    for name, cfg in configs.items():
        cfg = dict(cfg)
        augment = cfg.pop("augment", False)
        g = ImageDataGenerator(**cfg)
        if augment:
            g.fit(x, augment=True, rounds=2, seed=5)
        else:
            g.fit(x)
        case = {"name": name, "config": cfg, "augment": augment}
        case["mean"] = None if g.mean is None else arr(g.mean)
        case["std"] = None if g.std is None else arr(g.std)
        case["zca"] = None if g.zca_whitening_matrix is None else arr(g.zca_whitening_matrix)
        case["image"] = arr(g.standardize(np.copy(probe[0])))
        case["batch"] = arr(g.standardize(np.copy(probe)))
        out.append(case)
    return {"x": arr(x), "probe": arr(probe), "cases": out}


def transform_cases():
    x = (rng("transform/x").rand(5, 6, 3) * 255).astype(np.float32)
    neg = (rng("transform/neg").rand(5, 6, 3) * 4 - 2).astype(np.float32)
    sets = [
        ("affine", dict(theta=20.0, tx=1.0, ty=-1.5, shear=10.0, zx=0.9, zy=1.2), {}),
        ("affine_reflect", dict(theta=-35.0, zx=1.3, zy=0.8), dict(fill_mode="reflect")),
        ("affine_constant", dict(tx=2.0, ty=2.0), dict(fill_mode="constant", cval=7.0)),
        ("affine_wrap", dict(theta=90.0, ty=1.0), dict(fill_mode="wrap")),
        ("flip_h", dict(flip_horizontal=True), {}),
        ("flip_v", dict(flip_vertical=True), {}),
        ("flip_both_shift", dict(flip_horizontal=True, flip_vertical=True,
                                 channel_shift_intensity=40.0), {}),
        ("channel_shift_neg", dict(channel_shift_intensity=-30.0), {}),
        ("brightness", dict(brightness=1.3), {}),
        ("brightness_dark", dict(brightness=0.45), {}),
        ("nearest_order0", dict(theta=33.0, zx=0.7, zy=0.7), dict(interpolation_order=0)),
    ]
    out = []
    for name, p, cfg in sets:
        g = ImageDataGenerator(**cfg)
        out.append({"name": name, "params": p, "config": cfg, "input": "x",
                    "y": arr(g.apply_transform(np.copy(x), p))})
    for name, p in [("brightness_scaled", dict(brightness=0.8)),
                    ("channel_shift_small", dict(channel_shift_intensity=0.5))]:
        g = ImageDataGenerator()
        out.append({"name": name, "params": p, "config": {}, "input": "neg",
                    "y": arr(g.apply_transform(np.copy(neg), p))})
    return {"x": arr(x), "neg": arr(neg), "cases": out}


RANDOM_CONFIGS = {
    "geometric": dict(rotation_range=40, width_shift_range=0.2, height_shift_range=0.2,
                      shear_range=0.2, zoom_range=0.2, horizontal_flip=True),
    "int_shift": dict(width_shift_range=3, height_shift_range=2, vertical_flip=True),
    "list_shift": dict(width_shift_range=[-2.0, 0.5, 4.0], height_shift_range=[0.1, 0.3]),
    "zoom_pair_colour": dict(zoom_range=[0.5, 1.5], channel_shift_range=20.0,
                             brightness_range=[0.5, 1.5]),
    "nothing": dict(),
}


def random_cases():
    out = []
    shape = (6, 8, 3)
    for name, cfg in RANDOM_CONFIGS.items():
        g = ImageDataGenerator(**cfg)
        for seed in (0, 1, 1234):
            out.append({"config_name": name, "seed": seed, "shape": list(shape),
                        "params": params(g.get_random_transform(shape, seed=seed))})
    x = (rng("random/x").rand(*shape) * 255).astype(np.float32)
    rt = []
    for name in ("geometric", "int_shift", "zoom_pair_colour"):
        g = ImageDataGenerator(**RANDOM_CONFIGS[name])
        rt.append({"config_name": name, "seed": 7,
                   "y": arr(g.random_transform(np.copy(x), seed=7))})
    return {"configs": RANDOM_CONFIGS, "params": out, "x": arr(x), "random_transform": rt}


def flow_cases():
    x = (rng("flow/x").rand(7, 4, 5, 3) * 255).astype(np.float32)
    y = np.arange(7) * 10
    sw = np.linspace(0.5, 2.0, 7)
    out = []

    def take(it, n):
        res = []
        for _ in range(n):
            b = next(it)
            if isinstance(b, tuple):
                res.append([arr(v) for v in b])
            else:
                res.append([arr(b)])
        return res

    plain = ImageDataGenerator()
    out.append({"name": "noshuffle", "config": {}, "kwargs": dict(batch_size=3, shuffle=False),
                "batches": take(plain.flow(x, y, batch_size=3, shuffle=False), 6)})
    out.append({"name": "shuffle_seed", "config": {},
                "kwargs": dict(batch_size=3, shuffle=True, seed=42),
                "batches": take(plain.flow(x, y, batch_size=3, shuffle=True, seed=42), 7)})
    out.append({"name": "no_y", "config": {}, "kwargs": dict(batch_size=4, shuffle=False),
                "batches": take(plain.flow(x, batch_size=4, shuffle=False), 2)})
    out.append({"name": "sample_weight", "config": {},
                "kwargs": dict(batch_size=5, shuffle=False, sample_weight=True),
                "batches": take(plain.flow(x, y, batch_size=5, shuffle=False,
                                           sample_weight=sw), 2)})
    vg = ImageDataGenerator(validation_split=0.3)
    yc = np.array([0, 1, 0, 1, 0, 1, 0])
    for subset in ("training", "validation"):
        out.append({"name": "subset_" + subset, "config": dict(validation_split=0.3),
                    "kwargs": dict(batch_size=2, shuffle=False, subset=subset), "y": "yc",
                    "batches": take(vg.flow(x, yc, batch_size=2, shuffle=False,
                                            subset=subset), 3)})
    aug_cfg = dict(rotation_range=25, width_shift_range=0.1, height_shift_range=0.1,
                   horizontal_flip=True, rescale=1 / 255.0)
    ag = ImageDataGenerator(**aug_cfg)
    out.append({"name": "augment_seed", "config": aug_cfg,
                "kwargs": dict(batch_size=3, shuffle=True, seed=9),
                "batches": take(ag.flow(x, y, batch_size=3, shuffle=True, seed=9), 4)})
    errors = {}
    for label, fn in [
        ("rank", lambda: plain.flow(x[0], y[:4])),
        ("len", lambda: plain.flow(x, y[:3])),
        ("split_classes", lambda: ImageDataGenerator(validation_split=0.5).flow(
            x, np.array([0, 0, 0, 1, 1, 1, 1]), subset="training")),
        ("bad_subset", lambda: vg.flow(x, yc, subset="test")),
    ]:
        try:
            fn()
            errors[label] = None
        except Exception as e:  # noqa: BLE001
            errors[label] = str(e)
    try:
        ImageDataGenerator(validation_split=1.5)
    except Exception as e:  # noqa: BLE001
        errors["validation_split"] = str(e)
    return {"x": arr(x), "y": arr(y), "yc": arr(yc), "sw": arr(sw), "cases": out,
            "errors": errors}


def directory_cases():
    out = []
    runs = [
        ("categorical", {}, dict(target_size=(4, 4), batch_size=5, shuffle=False)),
        ("sparse_gray", {}, dict(target_size=(3, 5), batch_size=4, shuffle=False,
                                 class_mode="sparse", color_mode="grayscale")),
        ("binary_classes", {}, dict(target_size=(2, 2), batch_size=8, shuffle=False,
                                    class_mode="binary", classes=["cherry", "apple"])),
        ("input_bilinear", {}, dict(target_size=(5, 3), batch_size=6, shuffle=False,
                                    class_mode="input", interpolation="bilinear")),
        ("none_rescale", dict(rescale=1 / 255.0), dict(target_size=(3, 3), batch_size=12,
                                                       shuffle=False, class_mode=None)),
        ("shuffle_seed", {}, dict(target_size=(2, 2), batch_size=5, shuffle=True, seed=3,
                                  class_mode="sparse")),
        ("subset_training", dict(validation_split=0.5),
         dict(target_size=(2, 2), batch_size=4, shuffle=False, subset="training",
              class_mode="sparse")),
        ("subset_validation", dict(validation_split=0.5),
         dict(target_size=(2, 2), batch_size=4, shuffle=False, subset="validation",
              class_mode="sparse")),
    ]
    for name, cfg, kw in runs:
        g = ImageDataGenerator(**cfg)
        it = g.flow_from_directory(TREE, **kw)
        batches = []
        for _ in range(len(it) + 1):
            b = next(it)
            if isinstance(b, tuple):
                batches.append([arr(v) for v in b])
            else:
                batches.append([arr(b)])
        out.append({
            "name": name, "config": cfg,
            "kwargs": {k: (list(v) if isinstance(v, tuple) else v) for k, v in kw.items()},
            "class_indices": list(it.class_indices.items()),
            "filenames": [f.replace(os.sep, "/") for f in it.filenames],
            "classes": [int(c) for c in it.classes],
            "len": len(it),
            "batches": batches,
        })
    errors = {}
    for label, fn in [
        ("class_mode", lambda: ImageDataGenerator().flow_from_directory(TREE, class_mode="x")),
        ("color_mode", lambda: ImageDataGenerator().flow_from_directory(TREE, color_mode="x")),
        ("subset", lambda: ImageDataGenerator(validation_split=0.2).flow_from_directory(
            TREE, subset="test")),
    ]:
        try:
            fn()
            errors[label] = None
        except Exception as e:  # noqa: BLE001
            errors[label] = str(e)
    return {"cases": out, "errors": errors}


def save_cases():
    """File names written by save_to_dir (the hash part is np.random.randint drawn from
    the seeded stream after the batch's transforms)."""
    import tempfile
    x = (rng("flow/x").rand(7, 4, 5, 3) * 255).astype(np.float32)
    out = {}
    with tempfile.TemporaryDirectory() as d:
        it = ImageDataGenerator(horizontal_flip=True).flow(
            x, batch_size=3, shuffle=True, seed=5, save_to_dir=d, save_prefix="aug")
        for _ in range(3):
            next(it)
        out["flow"] = sorted(os.listdir(d))
    with tempfile.TemporaryDirectory() as d:
        it = ImageDataGenerator().flow_from_directory(
            TREE, target_size=(2, 2), batch_size=5, shuffle=False, seed=1,
            save_to_dir=d, save_prefix="dir", save_format="jpeg")
        next(it)
        out["directory"] = sorted(os.listdir(d))
    return out


def main():
    data = {
        "save_to_dir": save_cases(),
        "fit": fit_cases(),
        "transform": transform_cases(),
        "random": random_cases(),
        "flow": flow_cases(),
        "directory": directory_cases(),
    }
    path = os.path.join(FIX, "image_generator.json")
    with open(path, "w") as f:
        json.dump(data, f, separators=(",", ":"))
    print("wrote", path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
