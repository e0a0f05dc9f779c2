#!/usr/bin/env python3
"""Tiny imdb.npz / reuters.npz files in Keras's layout (object arrays of token-id lists,
int64 labels) and what keras.datasets.imdb/reuters.load_data return for them.

Writes tools/golden/fixtures/sequence_datasets/: imdb.npz (np.savez: numpy's pickle
protocol 4), imdb_protocol3.npz (the same arrays pickled with protocol 3: GLOBAL, BINPUT and BINBYTES opcodes, as older
files are, with ids beyond 2^16 and 2^31), reuters.npz, word_index.json, and
expected.json with the loaders' outputs for several option sets.
Run: /work/venv-tf/bin/python tools/golden/gen_sequence_datasets.py
"""
import io
import json
import os
import pickle
import zipfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import keras  # noqa: E402
from keras.src.datasets import imdb as imdb_mod  # noqa: E402
from keras.src.datasets import reuters as reuters_mod  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "sequence_datasets")
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(2026)


def ragged(n, vocab, big=False):
    seqs = []
    for i in range(n):
        s = [int(v) for v in rng.integers(1, vocab, size=int(rng.integers(1, 14)))]
        if big and i % 3 == 0:
            s.append(70000 + i)        # BININT
            s.append(3_000_000_000 + i)  # LONG1
        seqs.append(s)
    arr = np.empty(n, dtype=object)
    for i, s in enumerate(seqs):
        arr[i] = s
    return arr


def npy_protocol3(arr):
    f = io.BytesIO()
    np.lib.format.write_array_header_1_0(f, np.lib.format.header_data_from_array_1_0(arr))
    pickle.dump(arr, f, protocol=3)
    return f.getvalue()


def save_protocol3(path, arrays):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for k, a in arrays.items():
            if a.dtype == object:
                z.writestr(k + ".npy", npy_protocol3(a))
            else:
                f = io.BytesIO()
                np.save(f, a)
                z.writestr(k + ".npy", f.getvalue())


imdb = {
    "x_train": ragged(12, 30), "y_train": rng.integers(0, 2, 12).astype(np.int64),
    "x_test": ragged(9, 30), "y_test": rng.integers(0, 2, 9).astype(np.int64),
}
np.savez(os.path.join(OUT, "imdb.npz"), **imdb)
imdb_big = {
    "x_train": ragged(6, 30, big=True), "y_train": rng.integers(0, 2, 6).astype(np.int64),
    "x_test": ragged(4, 30, big=True), "y_test": rng.integers(0, 2, 4).astype(np.int64),
}
save_protocol3(os.path.join(OUT, "imdb_protocol3.npz"), imdb_big)
reuters = {"x": ragged(20, 40), "y": rng.integers(0, 46, 20).astype(np.int64)}
np.savez(os.path.join(OUT, "reuters.npz"), **reuters)
# Raw .npy members for the reader's robustness tests: a protocol-3 object array, and one
# whose pickle names a global outside numpy's array reconstruction (never executed).
with open(os.path.join(OUT, "x_protocol3.npy"), "wb") as f:
    f.write(npy_protocol3(imdb_big["x_train"]))


class Evil:
    def __reduce__(self):
        return (os.system, ("true",))


evil = np.empty(1, dtype=object)
evil[0] = Evil()
with open(os.path.join(OUT, "evil.npy"), "wb") as f:
    f.write(npy_protocol3(evil))
with open(os.path.join(OUT, "word_index.json"), "w") as f:
    json.dump({"the": 1, "and": 2, "a": 3, "of": 4, "movie": 17}, f)

OPTIONS = [
    {},
    {"num_words": 10},
    {"num_words": 12, "skip_top": 3},
    {"maxlen": 8},
    {"start_char": None, "oov_char": None, "index_from": 0, "num_words": 15},
    {"seed": 7, "oov_char": None, "num_words": 20},
    {"start_char": None, "index_from": 2},
]


def as_json(split):
    (xtr, ytr), (xte, yte) = split
    return {"x_train": [list(map(int, s)) for s in xtr], "y_train": [int(v) for v in ytr],
            "x_test": [list(map(int, s)) for s in xte], "y_test": [int(v) for v in yte]}


cases = []
for fname, mod, extra in [("imdb.npz", imdb_mod, {}), ("imdb_protocol3.npz", imdb_mod, {}),
                          ("reuters.npz", reuters_mod, {}),
                          ("reuters.npz", reuters_mod, {"test_split": 0.35})]:
    path = os.path.join(OUT, fname)
    mod.get_file = lambda *a, _p=path, **k: _p  # no download: the local fixture
    for opts in OPTIONS:
        kw = dict(opts, **extra)
        cases.append({"file": fname, "loader": mod.__name__.split(".")[-1], "options": kw,
                      "result": as_json(mod.load_data(**kw))})
with open(os.path.join(OUT, "expected.json"), "w") as f:
    json.dump({"keras_version": keras.__version__, "cases": cases}, f)
print(len(cases), "cases", sorted(os.listdir(OUT)))
