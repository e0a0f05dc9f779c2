#!/usr/bin/env python3
"""Reads kiln-written TensorBoard logs with TensorBoard's own `EventAccumulator`.

    KILN_TENSORBOARD_KEEP=/tmp/kiln_tb cargo test -p kiln --test tensorboard
    ~/peers/bin/python tools/golden/check_tensorboard_logs.py /tmp/kiln_tb

For each case of fixtures/tensorboard.json (Keras 3.15's logs for the same models and
arguments), checks that TensorBoard 2.21 loads kiln's `train` and `validation` runs with
Keras's tags, plugins, dtypes, shapes and steps, and that the scalar values equal kiln's
History (`kiln_history.json`, written next to the logs by the test), the batch scalars
kiln's batch logs; histograms and images are decoded (counts, PNG sizes). Exits 1 on the
first difference.
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402
from tensorboard.util import tensor_util  # noqa: E402
import tensorflow as tf  # noqa: E402

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "tensorboard.json")


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def main(root):
    fx = json.load(open(FIXTURE))
    n_checked = 0
    for case in fx["fits"]:
        name = case["name"]
        kiln = json.load(open(os.path.join(root, name, "kiln_history.json")))
        hist, spe = kiln["history"], kiln["steps_per_epoch"]
        for run, want in case["runs"].items():
            d = os.path.join(root, name, run)
            if want is None:
                if os.path.exists(d):
                    fail(f"{name}/{run}: Keras writes no such run")
                continue
            ea = EventAccumulator(d, size_guidance={"tensors": 0})
            ea.Reload()
            tags = ea.Tags()
            if sorted(tags["tensors"]) != sorted(t["tag"] for t in want["tags"]):
                fail(f"{name}/{run}: tags {sorted(tags['tensors'])}")
            for t in want["tags"]:
                tag = t["tag"]
                events = ea.Tensors(tag)
                steps = [e.step for e in events]
                if steps != t["steps"]:
                    fail(f"{name}/{run}/{tag}: steps {steps} != {t['steps']}")
                if ea.SummaryMetadata(tag).plugin_data.plugin_name != t["plugin"]:
                    fail(f"{name}/{run}/{tag}: plugin")
                for e in events:
                    arr = tensor_util.make_ndarray(e.tensor_proto)
                    if list(arr.shape) != t["shape"]:
                        fail(f"{name}/{run}/{tag}: shape {arr.shape}")
                    value = arr.item() if arr.shape == () and arr.dtype != object else None
                    prefix = "val_" if run == "validation" else ""
                    if tag.startswith("epoch_"):
                        m = tag[len("epoch_"):]
                        if m == "learning_rate":
                            want_v = kiln["learning_rate"]
                        elif m == "steps_per_second":
                            want_v = None
                        else:
                            want_v = hist[prefix + m][e.step]
                    elif tag.startswith("evaluation_"):
                        m = tag[len("evaluation_"):-len("_vs_iterations")]
                        want_v = hist["val_" + m][e.step // spe - 1]
                    elif tag.startswith("batch_"):
                        m = tag[len("batch_"):]
                        want_v = None if m == "steps_per_second" else kiln["batch_logs"][e.step - 1][m]
                    elif tag.endswith("/histogram"):
                        want_v = None
                        if arr[:, 2].sum() <= 0 or not np.all(arr[:, 0] <= arr[:, 1]):
                            fail(f"{name}/{tag}: histogram {arr}")
                    elif tag.endswith("/image"):
                        want_v = None
                        w, h = int(arr[0]), int(arr[1])
                        for png in arr[2:]:
                            px = tf.io.decode_png(png).numpy()
                            if px.shape[:2] != (h, w):
                                fail(f"{name}/{tag}: PNG {px.shape} for {w}x{h}")
                    elif tag == "keras":
                        want_v = None
                        cfg = json.loads(arr.item())
                        if cfg["class_name"] not in ("Sequential", "Functional"):
                            fail(f"{name}: graph config {cfg['class_name']}")
                    else:
                        fail(f"{name}/{tag}: unexpected")
                    if want_v is not None and np.float32(want_v) != np.float32(value):
                        fail(f"{name}/{run}/{tag} at {e.step}: {value} != {want_v}")
                    n_checked += 1
            if tags["graph"] != want["graph"]:
                fail(f"{name}/{run}: graph {tags['graph']}")
        print(f"{name}: ok")
    print(f"all {len(fx['fits'])} cases: TensorBoard reads kiln's logs with Keras's tags and steps; "
          f"{n_checked} events checked")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/kiln_tb")
