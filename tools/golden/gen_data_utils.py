#!/usr/bin/env python3
"""Golden fixtures for kiln_data::utils from keras.utils (Keras 3.15): pad_sequences
(every padding/truncating/maxlen/value combination, empty sequences), to_categorical
(ranks, trailing-1 squeeze, num_classes) and normalize (axes, orders).
Writes tools/golden/fixtures/data_utils.json.
    /work/venv-tf/bin/python tools/golden/gen_data_utils.py
"""

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import keras  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "data_utils.json")


def main():
    seqs = [[1, 2, 3, 4, 5], [6], [], [7, 8, 9], [10, 11]]
    pads = []
    for maxlen in [None, 3, 1, 7]:
        for padding in ["pre", "post"]:
            for truncating in ["pre", "post"]:
                for value in [0.0, -1.0]:
                    out = keras.utils.pad_sequences(seqs, maxlen=maxlen, padding=padding,
                                                    truncating=truncating, value=value)
                    pads.append({"maxlen": maxlen, "padding": padding, "truncating": truncating,
                                 "value": value, "shape": list(out.shape),
                                 "data": out.ravel().tolist()})
    cats = []
    for y, n in [([0, 2, 1], None), ([[0], [3], [1]], None), ([[1, 2], [0, 1]], 4), ([2, 0], 5)]:
        out = keras.utils.to_categorical(np.array(y), num_classes=n)
        cats.append({"y": y, "num_classes": n, "shape": list(out.shape), "data": out.ravel().tolist()})
    norms = []
    x = np.array([[3.0, -4.0, 0.0], [0.0, 0.0, 0.0], [1.0, 2.0, 2.0]], dtype=np.float32)
    for axis in [-1, 0]:
        for order in [1, 2, 3]:
            # The backend-tensor path (ops.nn.normalize): Keras's NumPy path expands the
            # norms at axis -1 whatever `axis` is (`axis = axis or -1`), which mis-scales
            # axis=0; kiln follows the tensor path.
            out = keras.utils.normalize(keras.ops.convert_to_tensor(x), axis=axis, order=order)
            norms.append({"axis": axis, "order": order, "data": np.asarray(out).ravel().tolist()})
    with open(OUT, "w") as f:
        json.dump({"keras": keras.__version__, "sequences": seqs, "pad_sequences": pads,
                   "to_categorical": cats, "normalize_x": x.ravel().tolist(), "normalize": norms}, f)
    print(f"wrote {OUT}: {len(pads)} pad, {len(cats)} categorical, {len(norms)} normalize")


if __name__ == "__main__":
    main()
