#!/usr/bin/env python3
"""Golden fixtures for kiln_data's directory loaders from Keras 3.15 / TF 2.21.

Writes
  tools/golden/fixtures/dirtree/        a tiny class-folder tree (PNG and JPEG files, a
                                        nested folder, a file with another extension)
  tools/golden/fixtures/texttree/       a tiny class-folder tree of .txt files
  tools/golden/fixtures/directory.json  keras.utils.image_dataset_from_directory and
                                        text_dataset_from_directory on those trees with
                                        several option sets: file order, labels,
                                        class names, batch shapes and image values, and
                                        the error messages of bad calls

    /work/venv-tf/bin/python tools/golden/gen_directory.py

The trees are rebuilt from np.random.RandomState(crc32(file name)) on every run, so the
committed files are reproducible byte for byte (Pillow's PNG/JPEG encoders).

With `shuffle=True` Keras shuffles the file list with np.random.RandomState(seed) (which
kiln reproduces; recorded as `file_paths`) and then the tf.data elements with TF's own
shuffle (which it does not; only the batch shapes and the multiset of labels are kept).
"""

import json
import os
import shutil
import zlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
import keras  # noqa: E402
from PIL import Image  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "fixtures")
TREE = os.path.join(FIX, "dirtree")
TEXT = os.path.join(FIX, "texttree")

# (relative path, height, width) of each image; JPEGs are flat 8x8 colour blocks so that
# the decoders agree closely.
IMAGES = [
    ("apple/a0.png", 6, 8),
    ("apple/a1.png", 5, 5),
    ("apple/a2.png", 4, 7),
    ("apple/b3.jpg", 8, 16),
    ("banana/b0.png", 7, 4),
    ("banana/b1.png", 6, 6),
    ("banana/b2.png", 3, 9),
    ("banana/nested/n0.png", 5, 6),
    ("cherry/c0.png", 4, 4),
    ("cherry/c1.png", 8, 5),
    ("cherry/C2.jpg", 16, 8),
    ("cherry/c3.png", 6, 3),
]
TEXTS = [
    ("neg/n0.txt", "terrible film, would not watch again"),
    ("neg/n1.txt", "boring"),
    ("neg/n2.txt", "the plot made no sense at all"),
    ("pos/p0.txt", "a delight from start to finish"),
    ("pos/p1.txt", "great acting"),
    ("pos/p2.txt", "I laughed, I cried"),
    ("pos/extra/p3.txt", "nested review, still positive"),
]


def rng(name):
    return np.random.RandomState(zlib.crc32(name.encode()))


def build_trees():
    for d in (TREE, TEXT):
        if os.path.exists(d):
            shutil.rmtree(d)
    for rel, h, w in IMAGES:
        path = os.path.join(TREE, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        r = rng(rel)
        if rel.endswith(".png"):
            px = r.randint(0, 256, size=(h, w, 3)).astype(np.uint8)
            Image.fromarray(px).save(path, format="PNG")
        else:
            px = np.zeros((h, w, 3), np.uint8)
            for by in range(0, h, 8):
                for bx in range(0, w, 8):
                    px[by : by + 8, bx : bx + 8] = r.randint(0, 256, size=3)
            Image.fromarray(px).save(path, format="JPEG", quality=95)
    # Not images: skipped by the image loaders.
    with open(os.path.join(TREE, "cherry", "notes.md"), "w") as f:
        f.write("not an image\n")
    os.makedirs(os.path.join(TREE, "empty_class"), exist_ok=True)
    with open(os.path.join(TREE, "empty_class", ".keep"), "w") as f:
        f.write("")
    for rel, text in TEXTS:
        path = os.path.join(TEXT, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)


def rel(p, root):
    return os.path.relpath(p, root).replace(os.sep, "/")


def arr(a):
    a = np.asarray(a)
    return {
        "shape": list(a.shape),
        "dtype": str(a.dtype),
        "data": a.astype(np.float64).ravel().tolist(),
    }


def image_case(name, kwargs, record_values=True):
    out = {"name": name, "kwargs": kwargs}
    try:
        res = keras.utils.image_dataset_from_directory(TREE, verbose=False, **kwargs)
    except Exception as e:  # noqa: BLE001
        out["error"] = str(e).replace(TREE, "{dir}")
        return out
    parts = res if isinstance(res, list) else [res]
    out["datasets"] = []
    try:
        image_batches(out, parts, record_values)
    except Exception as e:  # noqa: BLE001
        out["iter_error"] = str(e).split("\n")[0]
    return out


def image_batches(out, parts, record_values):
    for ds in parts:
        d = {
            "class_names": ds.class_names,
            "file_paths": [rel(p, TREE) for p in ds.file_paths],
            "batches": [],
        }
        for el in ds:
            if isinstance(el, tuple):
                x, y = el
                b = {"x_shape": list(x.shape), "x_dtype": x.dtype.name, "y": arr(y.numpy())}
            else:
                x = el
                b = {"x_shape": list(x.shape), "x_dtype": x.dtype.name}
            if record_values:
                b["x"] = arr(x.numpy())
            d["batches"].append(b)
        out["datasets"].append(d)


def text_case(name, kwargs):
    out = {"name": name, "kwargs": kwargs}
    try:
        res = keras.utils.text_dataset_from_directory(TEXT, verbose=False, **kwargs)
    except Exception as e:  # noqa: BLE001
        out["error"] = str(e)
        return out
    parts = res if isinstance(res, tuple) or isinstance(res, list) else [res]
    out["datasets"] = []
    for ds in parts:
        d = {"class_names": ds.class_names, "batches": []}
        for el in ds:
            if isinstance(el, tuple):
                x, y = el
                b = {"y": arr(y.numpy())}
            else:
                x, b = el, {}
            xs = np.asarray(x.numpy())
            b["x"] = [s.decode() for s in np.atleast_1d(xs).tolist()]
            b["x_shape"] = list(xs.shape)
            d["batches"].append(b)
        out["datasets"].append(d)
    return out


def main():
    build_trees()
    img = [
        image_case("int_noshuffle", dict(image_size=(4, 4), batch_size=5, shuffle=False)),
        image_case(
            "shuffle_seed",
            dict(image_size=(3, 3), batch_size=4, shuffle=True, seed=7),
            record_values=False,
        ),
        image_case(
            "split_both_shuffle",
            dict(image_size=(3, 3), batch_size=4, shuffle=True, seed=3,
                 validation_split=0.25, subset="both"),
            record_values=False,
        ),
        image_case(
            "split_training_noshuffle",
            dict(image_size=(4, 5), batch_size=3, shuffle=False,
                 validation_split=0.3, subset="training"),
        ),
        image_case(
            "split_validation_noshuffle",
            dict(image_size=(4, 5), batch_size=3, shuffle=False,
                 validation_split=0.3, subset="validation"),
        ),
        image_case(
            "categorical_grayscale",
            dict(image_size=(3, 5), batch_size=6, shuffle=False,
                 label_mode="categorical", color_mode="grayscale"),
        ),
        image_case(
            "binary_class_names",
            dict(image_size=(5, 5), batch_size=4, shuffle=False, label_mode="binary",
                 class_names=["banana", "apple"]),
        ),
        image_case("no_labels", dict(image_size=(2, 3), batch_size=8, shuffle=False,
                                     labels=None)),
        image_case("explicit_labels",
                   dict(image_size=(2, 2), batch_size=16, shuffle=False,
                        labels=[0, 1, 1, 0, 2, 2, 1, 0, 1, 2, 0, 1])),
        image_case("unbatched_rgba",
                   dict(image_size=(3, 4), batch_size=None, shuffle=False,
                        color_mode="rgba", class_names=["banana"])),
        image_case("error_rgba_jpeg",
                   dict(image_size=(3, 4), batch_size=None, shuffle=False,
                        color_mode="rgba")),
        image_case("nearest", dict(image_size=(7, 3), batch_size=12, shuffle=False,
                                   interpolation="nearest")),
        image_case("crop_to_aspect_ratio",
                   dict(image_size=(4, 6), batch_size=12, shuffle=False,
                        crop_to_aspect_ratio=True)),
        image_case("pad_to_aspect_ratio",
                   dict(image_size=(4, 6), batch_size=12, shuffle=False,
                        pad_to_aspect_ratio=True)),
        image_case("pad_to_aspect_ratio_tall",
                   dict(image_size=(7, 3), batch_size=12, shuffle=False,
                        pad_to_aspect_ratio=True, interpolation="nearest")),
        image_case("error_binary_3_classes",
                   dict(label_mode="binary", shuffle=False)),
        image_case("error_subset_without_split", dict(subset="training", shuffle=False)),
        image_case("error_split_without_subset",
                   dict(validation_split=0.2, shuffle=False)),
        image_case("error_bad_subset",
                   dict(validation_split=0.2, subset="test", shuffle=False)),
        image_case("error_split_shuffle_no_seed",
                   dict(validation_split=0.2, subset="training")),
        image_case("error_split_range", dict(validation_split=1.5, subset="training",
                                             seed=1)),
        image_case("error_class_names", dict(class_names=["apple", "kiwi"])),
        image_case("error_label_count", dict(labels=[0, 1, 2])),
        image_case("error_label_mode", dict(label_mode="sparse")),
        image_case("error_color_mode", dict(color_mode="cmyk")),
    ]
    # Errors on other directories (the path is replaced by {dir} in the message).
    empty = os.path.join(FIX, "_empty_tmp")
    os.makedirs(empty, exist_ok=True)
    errs = {}
    for label, d in [("empty_dir", empty), ("no_class_folders", os.path.join(TREE, "apple"))]:
        try:
            keras.utils.image_dataset_from_directory(d, verbose=False)
            errs[label] = None
        except Exception as e:  # noqa: BLE001
            errs[label] = str(e).replace(d, "{dir}")
    shutil.rmtree(empty)
    txt = [
        text_case("text_noshuffle", dict(batch_size=3, shuffle=False)),
        text_case("text_max_length_categorical",
                  dict(batch_size=4, shuffle=False, max_length=5, label_mode="categorical")),
        text_case("text_split_both",
                  dict(batch_size=2, shuffle=True, seed=11, validation_split=0.3,
                       subset="both")),
        text_case("text_unbatched_binary",
                  dict(batch_size=None, shuffle=False, label_mode="binary")),
    ]
    # For shuffled cases, record index_directory's shuffled order (what kiln matches).
    from keras.src.utils import dataset_utils
    idx = {}
    for seed in (7, 3, 11):
        paths, labels, names = dataset_utils.index_directory(
            TEXT if seed == 11 else TREE, "inferred",
            formats=(".txt",) if seed == 11 else (".bmp", ".gif", ".jpeg", ".jpg", ".png"),
            shuffle=True, seed=seed, verbose=False)
        idx[str(seed)] = {
            "file_paths": [rel(p, TEXT if seed == 11 else TREE) for p in paths],
            "labels": [int(v) for v in labels],
        }
    with open(os.path.join(FIX, "directory.json"), "w") as f:
        json.dump({"image": img, "text": txt, "dir_errors": errs, "index_directory": idx},
                  f, separators=(",", ":"))
    print("wrote", os.path.join(FIX, "directory.json"))


if __name__ == "__main__":
    main()
