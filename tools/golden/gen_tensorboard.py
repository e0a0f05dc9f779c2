#!/usr/bin/env python3
"""Golden TensorBoard logs from Keras 3.15's `keras.callbacks.TensorBoard` (TF backend).

Writes tools/golden/fixtures/tensorboard.json:

- "fits": for each case, the model, the callback's arguments and the fit's arguments,
  and what TensorBoard 2.21's own `EventAccumulator` reads back from each run directory
  (`train`, `validation`): for every tag its plugin, the serialized `SummaryMetadata` of
  its first event (hex), the tensor's dtype and shape, and its steps; whether an op graph
  (GraphDef) was written. Values are not stored: they depend on Keras's initial weights;
  kiln's test checks its own values against its own `History`.
- "histograms": TensorBoard's 30 buckets (`tensorboard.plugins.histogram.summary_v2`)
  of fixed arrays, as `[left, right, count]` rows (floats as `repr` strings).
- "images": what the callback's `write_images` stores for fixed weight arrays (width,
  height, channels and the decoded uint8 pixels of each PNG).

The steps depend on a detail of Keras's callback worth knowing: with an integer
`update_freq` it keeps a `record_if(step % update_freq == 0)` context open, with the
step of the last batch begun, so epoch summaries are dropped at epochs whose last batch
number is not a multiple of it. kiln reproduces that; the cases below catch it.

Run from the repository root: ~/peers/bin/python tools/golden/gen_tensorboard.py
"""

import json
import os
import shutil
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ["KERAS_BACKEND"] = "tensorflow"

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402
import tensorboard  # noqa: E402
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402
from tensorboard.plugins.histogram import summary_v2 as hist_v2  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "tensorboard.json")


def sequential():
    return keras.Sequential([
        keras.Input(shape=(4,)),
        keras.layers.Dense(3, activation="relu"),
        keras.layers.Dense(2, activation="softmax"),
    ])


def functional():
    x = keras.Input(shape=(4,), name="features")
    h = keras.layers.Dense(5, activation="tanh", name="hidden")(x)
    y = keras.layers.Dense(1, name="out")(h)
    return keras.Model(x, y, name="regressor")


# name, model builder, loss, metrics, TensorBoard kwargs, fit kwargs (validation: None,
# "data" (the last 20 rows given as validation_data) or a validation_split)
CASES = [
    ("defaults", "sequential", {}, {"epochs": 3, "batch_size": 16, "validation": "data"}),
    ("batch_histograms_images", "sequential",
     {"update_freq": "batch", "histogram_freq": 1, "write_images": True},
     {"epochs": 2, "batch_size": 16, "validation": "data"}),
    ("int_update_freq", "sequential", {"update_freq": 2, "histogram_freq": 2},
     {"epochs": 4, "batch_size": 16, "validation": "data"}),
    ("functional_steps_per_second", "functional",
     {"update_freq": 3, "histogram_freq": 1, "write_steps_per_second": True},
     {"epochs": 3, "batch_size": 20, "validation": None}),
    ("no_graph_validation_split", "sequential", {"write_graph": False},
     {"epochs": 2, "batch_size": 10, "validation": 0.25}),
]


def data(kind):
    rng = np.random.RandomState(0)
    x = rng.rand(100, 4).astype("float32")
    if kind == "sequential":
        y = (x.sum(axis=1) > 2.0).astype("int64")
    else:
        y = (x @ np.array([1.0, -2.0, 0.5, 3.0], dtype="float32"))[:, None]
    return x, y


def read_run(d):
    if not os.path.isdir(d):
        return None
    files = sorted(os.listdir(d))
    ea = EventAccumulator(d, size_guidance={"tensors": 0})
    ea.Reload()
    tags = []
    for tag in ea.Tags()["tensors"]:
        events = ea.Tensors(tag)
        proto = events[0].tensor_proto
        tags.append({
            "tag": tag,
            "plugin": ea.SummaryMetadata(tag).plugin_data.plugin_name,
            "metadata_hex": ea.SummaryMetadata(tag).SerializeToString().hex(),
            "dtype": tf.dtypes.as_dtype(proto.dtype).name,
            "shape": [dim.size for dim in proto.tensor_shape.dim],
            "steps": [e.step for e in events],
        })
    return {"n_files": len(files), "graph": bool(ea.Tags()["graph"]), "tags": tags}


def fit_case(name, kind, tb_kwargs, fit_kwargs, root):
    keras.utils.clear_session()
    keras.utils.set_random_seed(0)
    model = sequential() if kind == "sequential" else functional()
    if kind == "sequential":
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    else:
        model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse", metrics=["mae"])
    x, y = data(kind)
    log_dir = os.path.join(root, name)
    fit = dict(fit_kwargs)
    validation = fit.pop("validation")
    kw = {}
    if validation == "data":
        x, y, kw["validation_data"] = x[:80], y[:80], (x[80:], y[80:])
    elif validation is not None:
        kw["validation_split"] = validation
    history = model.fit(x, y, verbose=0, shuffle=False,
                        callbacks=[keras.callbacks.TensorBoard(log_dir=log_dir, **tb_kwargs)],
                        **fit, **kw)
    return {
        "name": name,
        "model": kind,
        "tensorboard": tb_kwargs,
        "fit": fit_kwargs,
        "n_train": int(x.shape[0]),
        "history_keys": sorted(history.history),
        "runs": {run: read_run(os.path.join(log_dir, run)) for run in ("train", "validation")},
    }


def histogram_cases():
    rng = np.random.RandomState(1)
    arrays = {
        "normal_float32_200": rng.standard_normal(200).astype("float32"),
        "uniform_float32_7x3": rng.rand(7, 3).astype("float32"),
        "integers_with_ties": np.array([0, 1, 1, 2, 3, 3, 3, 9, -4], dtype="float32"),
        "single_value": np.full((3, 2), 0.25, dtype="float32"),
        "two_values": np.array([-1.0, 2.0], dtype="float32"),
    }
    out = []
    for n, a in arrays.items():
        b = hist_v2._buckets(tf.constant(a), bucket_count=30).numpy()
        # floats as repr strings: a reader's default float parsing may be one ulp off
        out.append({"name": n, "data": [repr(float(v)) for v in a.ravel()], "shape": list(a.shape),
                    "buckets": [[repr(float(v)) for v in row] for row in b]})
    return out


def image_cases(root):
    rng = np.random.RandomState(2)
    arrays = {
        "kernel_4x3": rng.standard_normal((4, 3)).astype("float32") * 0.6,
        "kernel_2x5": rng.rand(2, 5).astype("float32") * 1.4 - 0.2,
        "bias_3": np.array([-0.5, 0.3, 1.5], dtype="float32"),
        "kernel_3x1_squeezed": np.array([[0.1], [0.5], [0.9]], dtype="float32"),
        "conv_2x2x1x3": rng.rand(2, 2, 1, 3).astype("float32"),
        "conv_3x3x2x4_as_rgba": rng.rand(3, 3, 2, 4).astype("float32"),
    }
    out = []
    cb = keras.callbacks.TensorBoard(log_dir=root)
    for n, a in arrays.items():
        d = os.path.join(root, "img_" + n)
        writer = tf.summary.create_file_writer(d)
        with writer.as_default():
            cb._log_weight_as_image(tf.constant(a), "w/image", 0)
        writer.close()
        ea = EventAccumulator(d, size_guidance={"tensors": 0})
        ea.Reload()
        images = []
        if "w/image" in ea.Tags()["tensors"]:
            t = tf.make_ndarray(ea.Tensors("w/image")[0].tensor_proto)
            width, height = int(t[0]), int(t[1])
            for png in t[2:]:
                px = tf.io.decode_png(png).numpy()
                images.append({"height": int(px.shape[0]), "width": int(px.shape[1]),
                               "channels": int(px.shape[2]), "pixels": px.ravel().tolist()})
            assert all(i["width"] == width and i["height"] == height for i in images)
        out.append({"name": n, "data": [repr(float(v)) for v in a.ravel()], "shape": list(a.shape),
                    "images": images})
    return out


def main():
    root = tempfile.mkdtemp(prefix="kiln_tb_golden_")
    try:
        fits = [fit_case(n, k, tb, fit, root) for n, k, tb, fit in CASES]
        doc = {
            "tf_version": tf.__version__,
            "keras_version": keras.__version__,
            "tensorboard_version": tensorboard.__version__,
            "fits": fits,
            "histograms": histogram_cases(),
            "images": image_cases(root),
        }
    finally:
        shutil.rmtree(root, ignore_errors=True)
    with open(OUT, "w") as f:
        f.write("{\n")
        keys = list(doc)
        for i, k in enumerate(keys):
            v = doc[k]
            if isinstance(v, list):
                f.write(f' "{k}": [\n')
                f.write(",\n".join("  " + json.dumps(c, sort_keys=True) for c in v))
                f.write("\n ]")
            else:
                f.write(f' "{k}": {json.dumps(v)}')
            f.write(",\n" if i + 1 < len(keys) else "\n")
        f.write("}\n")
    with open(OUT) as f:
        back = json.load(f)
    print(f"{OUT}: {len(back['fits'])} fits, {len(back['histograms'])} histograms, "
          f"{len(back['images'])} images, {os.path.getsize(OUT)} bytes")


if __name__ == "__main__":
    main()
