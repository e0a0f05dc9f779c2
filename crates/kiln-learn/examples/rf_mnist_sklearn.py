"""scikit-learn's side of the rf_mnist bench (see rf_mnist.rs): same data, same
parameters, n_jobs=-1."""
import gzip
import os
import sys
import time

import numpy as np
from sklearn.ensemble import RandomForestClassifier

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "datasets", "mnist")


def read(name, offset):
    with gzip.open(os.path.join(ROOT, name)) as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


n = int(sys.argv[1]) if len(sys.argv) > 1 else 60000
x = read("train-images-idx3-ubyte.gz", 16).reshape(-1, 784)[:n] / 255.0
y = read("train-labels-idx1-ubyte.gz", 8)[:n].astype(np.int64)
xt = read("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 784) / 255.0
yt = read("t10k-labels-idx1-ubyte.gz", 8).astype(np.int64)
f = RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=-1)
t = time.perf_counter()
f.fit(x, y)
fit = time.perf_counter() - t
t = time.perf_counter()
acc = f.score(xt, yt)
pred = time.perf_counter() - t
print(f"sklearn rf_mnist n_train={n} n_jobs=-1 fit {fit:.2f} s predict {pred:.2f} s test accuracy {acc:.4f}")
