#!/usr/bin/env python3
"""Golden fixtures for kiln-learn's t-SNE and trustworthiness (sklearn.manifold).

Pinned: scikit-learn 1.9.1, numpy 2.4.6, scipy 1.17.1, Python 3.11 (the ~/peers venv).
Run from the repository root:

    ~/peers/bin/python tools/golden/gen_sklearn_manifold.py

Writes tools/golden/fixtures/sklearn/manifold.json in the format of
gen_sklearn_cluster.py: one case per line naming the function (`fn`), its arguments
(`args`, scikit-learn's spelling) and the results (`expect`) or scikit-learn's message
(`error`). Input data come from numpy generators seeded with crc32("manifold/<case>").
The MNIST cases store no images: the tests read the first N training images from
datasets/mnist/train-images-idx3-ubyte.gz (pixels / 255 as float64), as this script
does; they store scikit-learn's KL divergence and trustworthiness only.

What is compared, and how closely, is stated in crates/kiln-learn/tests/golden_manifold.rs.
"""

import gzip
import json
import math
import os
import zlib

import numpy as np
import scipy
import sklearn
from sklearn.manifold import TSNE, trustworthiness
from sklearn.manifold import _t_sne
from sklearn.neighbors import NearestNeighbors

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tools", "golden", "fixtures", "sklearn", "manifold.json")


def enc(v):
    if isinstance(v, dict):
        return {k: enc(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [enc(x) for x in v]
    if isinstance(v, np.ndarray):
        return enc(v.tolist())
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        v = float(v)
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return v
    return v


CASES = []


def rng(name):
    return np.random.default_rng(zlib.crc32(f"manifold/{name}".encode()))


def add(name, fn, args, call):
    case = {"name": name, "fn": fn, "args": enc(args)}
    try:
        case["expect"] = enc(call())
    except Exception as e:  # noqa: BLE001 - the message is the fixture
        case["error"] = str(e)
    CASES.append(case)


def mnist(n):
    with gzip.open(os.path.join(ROOT, "datasets", "mnist", "train-images-idx3-ubyte.gz")) as f:
        data = f.read()
    x = np.frombuffer(data, dtype=np.uint8, offset=16).reshape(-1, 784)[:n]
    return x.astype(np.float64) / 255.0


def blobs(r, n, d, k, spread=1.0):
    centres = r.uniform(-8, 8, (k, d))
    labels = r.integers(0, k, n)
    return centres[labels] + r.normal(0, spread, (n, d))


# ----------------------------------------------------------------- trustworthiness
for name, n, d, k, metric in [
    ("tw/euclidean_k5", 40, 6, 5, "euclidean"),
    ("tw/euclidean_k1", 25, 4, 1, "euclidean"),
    ("tw/euclidean_k9", 30, 10, 9, "euclidean"),
    ("tw/manhattan_k4", 35, 5, 4, "manhattan"),
    ("tw/cosine_k3", 30, 7, 3, "cosine"),
    ("tw/chebyshev_k6", 28, 3, 6, "chebyshev"),
]:
    r = rng(name)
    x = blobs(r, n, d, 3, spread=2.0)
    e = x[:, :2] @ r.normal(0, 1, (2, 2)) + r.normal(0, 0.5, (n, 2))
    add(name, "trustworthiness", {"X": x, "X_embedded": e, "n_neighbors": k, "metric": metric},
        lambda x=x, e=e, k=k, metric=metric: trustworthiness(x, e, n_neighbors=k, metric=metric))
r = rng("tw/precomputed")
x = r.normal(0, 1, (20, 4))
dx = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(-1))
e = x[:, :2] + r.normal(0, 0.3, (20, 2))
add("tw/precomputed", "trustworthiness", {"X": dx, "X_embedded": e, "n_neighbors": 4, "metric": "precomputed"},
    lambda: trustworthiness(dx, e, n_neighbors=4, metric="precomputed"))
x = rng("tw/too_many").normal(0, 1, (10, 3))
add("tw/too_many_neighbors", "trustworthiness", {"X": x, "X_embedded": x[:, :2], "n_neighbors": 5},
    lambda: trustworthiness(x, x[:, :2], n_neighbors=5))
add("tw/zero_neighbors", "trustworthiness", {"X": x, "X_embedded": x[:, :2], "n_neighbors": 0},
    lambda: trustworthiness(x, x[:, :2], n_neighbors=0))

# ----------------------------------------------------------------- joint probabilities
# integer coordinates: every squared distance is an exact integer below 2**24 in any
# summation order, so kiln and scikit-learn hand the same float32 distances to the
# binary search
r = rng("p/int")
xi = r.integers(0, 200, (40, 5)).astype(np.float64)


def p_nn(x, perplexity):
    n = x.shape[0]
    k = min(n - 1, int(3.0 * perplexity + 1))
    knn = NearestNeighbors(n_neighbors=k).fit(x)
    dist = knn.kneighbors_graph(mode="distance")
    dist.data **= 2
    p = _t_sne._joint_probabilities_nn(dist, perplexity, 0)
    p.sort_indices()
    return {"indptr": p.indptr, "indices": p.indices, "data": p.data}


def p_exact(x, perplexity):
    d = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    return _t_sne._joint_probabilities(d, perplexity, 0)


add("p/nn_perplexity5", "joint_probabilities_nn", {"X": xi, "perplexity": 5.0}, lambda: p_nn(xi, 5.0))
add("p/nn_perplexity12", "joint_probabilities_nn", {"X": xi, "perplexity": 12.5}, lambda: p_nn(xi, 12.5))
xs = xi[:25]
add("p/exact_perplexity6", "joint_probabilities", {"X": xs, "perplexity": 6.0}, lambda: p_exact(xs, 6.0))

# ----------------------------------------------------------------- t-SNE
def tsne(x, **kw):
    def call():
        t = TSNE(**kw)
        emb = t.fit_transform(x)
        return {
            "kl_divergence_": t.kl_divergence_,
            "n_iter_": t.n_iter_,
            "learning_rate_": float(t.learning_rate_),
            "trustworthiness": trustworthiness(x, emb, n_neighbors=5),
            "shape": list(emb.shape),
        }
    return call


xb = blobs(rng("tsne/blobs"), 60, 8, 3, spread=1.5)
for name, kw in [
    ("tsne/exact_pca", dict(method="exact", perplexity=10.0, init="pca", random_state=0)),
    ("tsne/exact_random", dict(method="exact", perplexity=10.0, init="random", random_state=0)),
    ("tsne/exact_250", dict(method="exact", perplexity=10.0, init="pca", random_state=0, max_iter=250)),
    ("tsne/bh_pca", dict(perplexity=10.0, init="pca", random_state=0)),
    ("tsne/bh_random_3d", dict(n_components=3, perplexity=10.0, init="random", random_state=1)),
    ("tsne/bh_lr100_400", dict(perplexity=8.0, init="pca", learning_rate=100.0, max_iter=400, random_state=0)),
]:
    add(name, "TSNE", {"X": xb, **kw}, tsne(xb, **kw))

xe = xb[:12]
for name, kw in [
    ("err/perplexity_ge_n", dict(perplexity=12.0)),
    ("err/bh_n_components_4", dict(n_components=4, perplexity=3.0)),
    ("err/perplexity_zero", dict(perplexity=0.0)),
    ("err/max_iter_100", dict(max_iter=100, perplexity=3.0)),
    ("err/angle", dict(angle=1.5, perplexity=3.0)),
    ("err/early_exaggeration", dict(early_exaggeration=0.5, perplexity=3.0)),
    ("err/learning_rate", dict(learning_rate=-1.0, perplexity=3.0)),
    ("err/n_components_0", dict(n_components=0, perplexity=3.0)),
    ("err/min_grad_norm", dict(min_grad_norm=-1.0, perplexity=3.0)),
    ("err/n_iter_without_progress", dict(n_iter_without_progress=-2, perplexity=3.0)),
    ("err/precomputed_pca", dict(metric="precomputed", perplexity=3.0)),
    ("err/pca_too_many_components", dict(method="exact", n_components=9, perplexity=3.0)),
]:
    add(name, "TSNE", {"X": xe, **kw}, tsne(xe, **kw))
xnan = xe.copy()
xnan[3, 2] = np.nan
add("err/nan", "TSNE", {"X": xnan, "perplexity": 3.0}, tsne(xnan, perplexity=3.0))
sq = np.ones((5, 4))
add("err/precomputed_not_square", "TSNE", {"X": sq, "metric": "precomputed", "init": "random", "perplexity": 2.0},
    tsne(sq, metric="precomputed", init="random", perplexity=2.0))

# ----------------------------------------------------------------- MNIST acceptance
for n in (500, 2000):
    x = mnist(n)
    add(f"mnist/first_{n}", "TSNE_mnist", {"n_images": n, "perplexity": 30.0, "init": "pca", "random_state": 0},
        tsne(x, n_components=2, perplexity=30.0, init="pca", random_state=0))

head = {"sklearn_version": sklearn.__version__, "numpy_version": np.__version__,
        "scipy_version": scipy.__version__, "family": "manifold"}
lines = [json.dumps(c, separators=(",", ":"), allow_nan=False) for c in CASES]
with open(OUT, "w") as f:
    f.write(json.dumps(head, separators=(",", ":"))[:-1] + ',"cases":[\n')
    f.write(",\n".join(lines))
    f.write("\n]}\n")
print(f"{OUT}: {len(CASES)} cases, {os.path.getsize(OUT)} bytes")
