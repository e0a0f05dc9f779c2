#!/usr/bin/env python3
"""Small .npz files and numpy's RandomState(113) shuffle, for kiln-data's .npz reader and
Keras's boston_housing split. Writes tools/golden/fixtures/npz/: mini.npz (np.savez),
mini_compressed.npz (np.savez_compressed), and expected.json (the arrays, the shuffled
index order Keras's loader uses for 506 samples, and the split of the mini file).
Run: /work/venv-tf/bin/python tools/golden/gen_npz.py
"""
import json
import os

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "npz")
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(7)
x = np.round(rng.normal(size=(10, 13)), 4).astype(np.float64)
y = np.round(rng.uniform(5, 50, size=(10,)), 2).astype(np.float64)
np.savez(os.path.join(OUT, "mini.npz"), x=x, y=y)
np.savez_compressed(os.path.join(OUT, "mini_compressed.npz"), x=x, y=y)

def keras_split(x, y, test_split=0.2, seed=113):
    r = np.random.RandomState(seed)
    idx = np.arange(len(x))
    r.shuffle(idx)
    x, y = x[idx], y[idx]
    n = int(len(x) * (1 - test_split))
    return idx, x[:n], y[:n], x[n:], y[n:]

idx506 = keras_split(np.zeros((506, 1)), np.zeros(506))[0]
idx10, xtr, ytr, xte, yte = keras_split(x, y)
doc = {
    "x": x.reshape(-1).tolist(), "y": y.tolist(),
    "perm_506_seed_113": idx506.tolist(),
    "perm_10_seed_113": idx10.tolist(),
    "n_train_10": int(len(xtr)),
}
with open(os.path.join(OUT, "expected.json"), "w") as f:
    json.dump(doc, f)
print("written", sorted(os.listdir(OUT)))
