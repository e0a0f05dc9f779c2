#!/usr/bin/env python3
"""Golden fixtures for kiln_data's Dataset.padded_batch, Dataset.window and
keras.utils.split_dataset (TF 2.21 / Keras 3.15). Writes tools/golden/fixtures/dataset_ops.json:
- padded_batch: ragged int64/float32 elements (rank 1 and 2, and (sequence, label) tuples)
  from a generator, batched with and without padded_shapes / padding_values / drop_remainder;
  every output batch.
- window: range(n).window(size, shift, stride, drop_remainder).flat_map(batch(size)),
  i.e. each window stacked (how kiln represents a window), for many parameter sets.
- split: keras.utils.split_dataset(np.arange(n), ...) left/right values, with and without
  shuffle (Python `random` seeded), and the error messages of invalid sizes.
    /work/venv-tf/bin/python tools/golden/gen_dataset_ops.py
"""

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "dataset_ops.json")


def arr(a):
    a = np.asarray(a)
    return {"shape": list(a.shape), "dtype": str(a.dtype), "data": a.reshape(-1).tolist()}


def padded_cases():
    rng = np.random.default_rng(7)
    seqs_i = [rng.integers(1, 50, size=int(n)).astype(np.int64) for n in [3, 1, 5, 2, 4, 4, 1]]
    seqs_f = [rng.standard_normal((int(r), int(c))).astype(np.float32)
              for r, c in [(2, 3), (1, 1), (3, 2), (2, 2), (1, 3)]]
    labels = np.arange(len(seqs_i), dtype=np.int64)
    cases = []

    def run(name, elems, spec, batch, kwargs, kiln):
        ds = tf.data.Dataset.from_generator(lambda: iter(elems), output_signature=spec)
        out = []
        for b in ds.padded_batch(batch, **kwargs):
            out.append([arr(t) for t in (b if isinstance(b, tuple) else (b,))])
        cases.append({
            "name": name,
            "elements": [[arr(t) for t in (e if isinstance(e, tuple) else (e,))] for e in elems],
            "tuple": isinstance(elems[0], tuple),
            "batch_size": batch,
            "kiln": kiln,
            "batches": out,
        })

    s_i = tf.TensorSpec([None], tf.int64)
    s_f = tf.TensorSpec([None, None], tf.float32)
    run("int_max", seqs_i, s_i, 3, {}, {})
    run("int_drop", seqs_i, s_i, 3, {"drop_remainder": True}, {"drop_remainder": True})
    run("int_shape_value", seqs_i, s_i, 2, {"padded_shapes": [6], "padding_values": np.int64(-1)},
        {"padded_shapes": [[6]], "padding_values": -1})
    run("float_2d", seqs_f, s_f, 2, {}, {})
    run("float_2d_partial_shape", seqs_f, s_f, 3,
        {"padded_shapes": [4, None], "padding_values": 0.5},
        {"padded_shapes": [[4, None]], "padding_values": 0.5})
    pairs = [(s, l) for s, l in zip(seqs_i, labels)]
    run("tuple", pairs, (s_i, tf.TensorSpec([], tf.int64)), 4, {}, {})
    return cases


def window_cases():
    cases = []
    for n, size, shift, stride, drop in [
        (7, 3, None, 1, False), (7, 3, 2, 1, False), (7, 3, 1, 2, False), (7, 3, 1, 2, True),
        (10, 4, 3, 2, False), (10, 4, 3, 2, True), (5, 2, 5, 1, False), (5, 6, 1, 1, False),
        (5, 6, 1, 1, True), (9, 1, 2, 3, False), (0, 2, 1, 1, False), (8, 3, 4, 1, True),
    ]:
        ds = tf.data.Dataset.range(n).window(size, shift=shift, stride=stride, drop_remainder=drop)
        ds = ds.flat_map(lambda w: w.batch(size))
        cases.append({"n": n, "size": size, "shift": shift, "stride": stride, "drop": drop,
                      "windows": [w.numpy().tolist() for w in ds],
                      "cardinality": int(tf.data.Dataset.range(n).window(
                          size, shift=shift, stride=stride, drop_remainder=drop).cardinality())})
    return cases


def split_cases():
    cases = []
    for n, left, right, shuffle, seed in [
        (10, 0.8, None, False, None), (10, None, 3, False, None), (10, 4, 0.3, False, None),
        (10, 0.25, None, False, None), (10, 0.5, None, True, 1337), (12, 5, 4, True, 42),
        (7, None, 0.5, True, 0), (5, 0.5, 0.5, False, None),
        (10, 0, None, False, None), (10, None, None, False, None), (10, 10, None, False, None),
        (10, 1.5, None, False, None), (10, 0.6, 0.6, False, None), (10, 6, 6, False, None),
        (10, 0.01, None, False, None), (10, None, 0.0, False, None), (10, 0, 0, False, None),
    ]:
        case = {"n": n, "left": left, "right": right, "shuffle": shuffle, "seed": seed}
        try:
            l, r = keras.utils.split_dataset(np.arange(n, dtype=np.int64), left_size=left,
                                             right_size=right, shuffle=shuffle, seed=seed)
            case["left_out"] = [int(v.numpy()) for v in l]
            case["right_out"] = [int(v.numpy()) for v in r]
        except (ValueError, TypeError) as e:
            case["error"] = str(e)
        cases.append(case)
    return cases


def main():
    root = {"padded_batch": padded_cases(), "window": window_cases(), "split": split_cases()}
    with open(OUT, "w") as f:
        json.dump(root, f, indent=1)
    print("wrote", OUT, os.path.getsize(OUT), "bytes")


if __name__ == "__main__":
    main()
