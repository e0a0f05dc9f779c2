#!/usr/bin/env python3
"""Golden fixtures for kiln-learn's KMeans and PCA (scikit-learn's clustering and PCA).

Pinned: scikit-learn 1.9.1, numpy 2.4.6, scipy 1.17.1, Python 3.11 (the ~/peers venv:
`pip install scikit-learn==1.9.1`). Run from the repository root:

    ~/peers/bin/python tools/golden/gen_sklearn_cluster.py

Writes tools/golden/fixtures/sklearn/{cluster,decomposition}.json, one case per line, in
the format of gen_sklearn_metrics.py: each case names the estimator (`fn`), its
parameters and data (`args`, in scikit-learn's spelling) and the fitted attributes and
method results (`expect`), or scikit-learn's message (`error`). RuntimeWarning and
ConvergenceWarning messages are listed as [class, message] pairs. Input data come from
numpy generators seeded with crc32("<file>/<case name>"), so the files are reproducible
byte for byte. A data set used by several cases is stored once, as a case named
"data/<key>" (fn "data"), and the cases' args say {"$ref": "<key>"}; the two large data
sets are not stored at all but rebuilt by the tests from {"$synth": {...}} (see synth()).

OpenMP and BLAS run single-threaded here (the environment variables below are set before
numpy is imported): scikit-learn's k-means sums the per-thread partial centers and
inertias in whatever order the threads finish, so only one thread gives one well-defined
summation order (the samples in order), the one kiln-learn uses.

kiln-learn's tests (crates/kiln-learn/tests/golden_cluster.rs) state the tolerance of
each compared quantity.
"""

import os

os.environ["OMP_NUM_THREADS"] = "1"
os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"

import json  # noqa: E402
import math  # noqa: E402
import warnings  # noqa: E402
import zlib  # noqa: E402

import numpy as np  # noqa: E402
import scipy  # noqa: E402
import sklearn  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "sklearn")


def enc(v):
    """JSON-safe copy: numpy to Python, non-finite floats to strings."""
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


def run(fn):
    """Call fn, returning (result, warnings, error message)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result, error = fn(), None
        except Exception as e:  # noqa: BLE001 - the message is the fixture
            result, error = None, str(e)
    kept = []
    for w in caught:
        if issubclass(w.category, ConvergenceWarning):
            kept.append(["ConvergenceWarning", str(w.message)])
        elif w.category is RuntimeWarning and "encountered in" not in str(w.message):
            kept.append(["RuntimeWarning", str(w.message)])
    return result, kept, error


class Family:
    def __init__(self, name):
        self.name = name
        self.cases = []
        self.arrays = {}

    def ref(self, array):
        """A data set shared by several cases is stored once, as a case
        {"name": "data/<key>", "fn": "data", "expect": rows}; the cases' args hold
        {"$ref": "<key>"} in its place. Small arrays stay inline."""
        array = np.asarray(array, dtype=np.float64)
        if array.size <= 64:
            return array
        key = f"{array.shape[0]}x{array.shape[1]}-{zlib.crc32(array.tobytes()):08x}"
        if key not in self.arrays:
            self.arrays[key] = array
            self.cases.append({"name": f"data/{key}", "fn": "data", "expect": enc(array)})
        return {"$ref": key}

    def rng(self, case):
        return np.random.default_rng(zlib.crc32(f"{self.name}/{case}".encode()))

    def add(self, name, fn, args, call):
        result, warns, error = run(call)
        case = {"name": name, "fn": fn, "args": enc(args)}
        if error is not None:
            case["error"] = error
        else:
            case["expect"] = enc(result)
        if warns:
            case["warnings"] = warns
        self.cases.append(case)

    def write(self):
        names = [c["name"] for c in self.cases]
        assert len(names) == len(set(names)), "duplicate case names"
        self.cases.sort(key=lambda c: c["fn"] != "data")
        os.makedirs(OUT, exist_ok=True)
        path = os.path.join(OUT, f"{self.name}.json")
        head = {
            "sklearn_version": sklearn.__version__,
            "numpy_version": np.__version__,
            "scipy_version": scipy.__version__,
            "family": self.name,
        }
        lines = [json.dumps(c, separators=(",", ":"), allow_nan=False) for c in self.cases]
        with open(path, "w") as f:
            f.write(json.dumps(head, separators=(",", ":"))[:-1] + ',"cases":[\n')
            f.write(",\n".join(lines))
            f.write("\n]}\n")
        with open(path) as f:
            n = len(json.load(f)["cases"])
        print(f"{path}: {n} cases, {os.path.getsize(path)} bytes")


# ---------------------------------------------------------------------------------------
# data


def blobs(r, n, d, k, spread=1.0, box=10.0):
    """Gaussian blobs around k uniform centres in [-box, box]^d, plus an offset so that
    the data are not centred."""
    centres = r.uniform(-box, box, (k, d))
    which = r.integers(0, k, n)
    return centres[which] + r.normal(scale=spread, size=(n, d)) + r.uniform(-50, 50, d)


M64 = (1 << 64) - 1


def synth(n, d, k, seed, spread):
    """A data set too large to store, rebuilt by the tests from {"$synth": {...}}: k blobs
    from splitmix64 draws (exact in IEEE double arithmetic, so Rust computes the same
    values), feature f's noise scaled by spread * (1 + f / d)."""
    state = seed

    def draw():
        nonlocal state
        state = (state + 0x9E3779B97F4A7C15) & M64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        return ((z ^ (z >> 31)) >> 11) / 2.0**53

    centres = [draw() * 20.0 - 10.0 for _ in range(k * d)]
    X = np.empty((n, d))
    for i in range(n):
        c = min(int(draw() * k), k - 1)
        for f in range(d):
            noise = draw() + draw() + draw() - 1.5
            X[i, f] = centres[c * d + f] + noise * (spread * (1 + f / d))
    return X


def synth_ref(n, d, k, seed, spread):
    return synth(n, d, k, seed, spread), {"$synth": {"n": n, "d": d, "k": k, "seed": seed,
                                                      "spread": spread}}


def uniform(r, n, d):
    return r.uniform(-3.0, 7.0, (n, d))


def rows_init(r, X, k, jitter=0.5):
    """An explicit initialisation: k distinct rows of X, moved a little."""
    idx = r.choice(X.shape[0], k, replace=False)
    return X[idx] + r.normal(scale=jitter, size=(k, X.shape[1]))


# ---------------------------------------------------------------------------------------
# KMeans


def kmeans_result(km, X, X_new):
    return {
        "cluster_centers_": km.cluster_centers_,
        "labels_": km.labels_,
        "inertia_": km.inertia_,
        "n_iter_": km.n_iter_,
        "score": km.score(X),
        "predict": km.predict(X_new),
        "transform_new": km.transform(X_new),
        "score_new": km.score(X_new),
    }


def kmeans_case(fam, name, X, X_new=None, sample_weight=None, **params):
    """A fitted KMeans: its attributes, its score on X, and predict, transform and score
    on X_new (by default the first rows of X, moved a little)."""
    if X_new is None:
        X_new = X[:6] + 0.125
    if isinstance(X, tuple):
        X, x_arg = X
    else:
        x_arg = fam.ref(X)
    args = {"X": x_arg, **params}
    if isinstance(params.get("init"), np.ndarray):
        args["init"] = fam.ref(params["init"])
    if sample_weight is not None:
        args["sample_weight"] = sample_weight
    args["X_new"] = X_new

    def call():
        km = KMeans(**params).fit(X, sample_weight=sample_weight)
        return kmeans_result(km, X, X_new)

    fam.add(name, "KMeans", args, call)


def kmeans_case_f32(fam, name, X, **params):
    """A KMeans fit on the float32 copy of X (scikit-learn then computes in float32):
    its centres (float32), labels, inertia (float32) and iteration count. The args say
    {"dtype": "float32"}; X and init are stored as float64 (the float32 values exactly,
    for X; init is rounded to float32 by scikit-learn's check_array and by kiln)."""
    if isinstance(X, tuple):
        X, x_arg = X
    else:
        x_arg = None
    X32 = X.astype(np.float32)
    args = {"X": x_arg if x_arg is not None else fam.ref(X32), "dtype": "float32", **params}
    if isinstance(params.get("init"), np.ndarray):
        args["init"] = fam.ref(params["init"])

    def call():
        km = KMeans(**params).fit(X32)
        assert km.cluster_centers_.dtype == np.float32
        return {
            "cluster_centers_": km.cluster_centers_,
            "labels_": km.labels_,
            "inertia_": km.inertia_,
            "n_iter_": km.n_iter_,
        }

    fam.add(name, "KMeans", args, call)


def kmeans_error(fam, name, X, sample_weight=None, method=None, X_new=None, **params):
    args = {"X": X, **params}
    if sample_weight is not None:
        args["sample_weight"] = sample_weight
    if method is not None:
        args["method"] = method
        args["X_new"] = X_new

    def call():
        km = KMeans(**params).fit(X, sample_weight=sample_weight)
        if method is not None:
            return getattr(km, method)(X_new)
        return km.n_iter_

    fam.add(name, "KMeans", args, call)


def cluster_family():
    fam = Family("cluster")

    # explicit initialisation, Lloyd and Elkan on the same data
    for name, n, d, k, kind in [
        ("blobs_30x2_k3", 30, 2, 3, "blobs"),
        ("blobs_300x4_k5", 300, 4, 5, "blobs"),
        ("uniform_200x3_k4", 200, 3, 4, "uniform"),
        ("uniform_600x9_k8", 600, 9, 8, "uniform"),
        ("blobs_120x1_k3", 120, 1, 3, "blobs"),
        ("blobs_80x12_k10", 80, 12, 10, "blobs"),
    ]:
        r = fam.rng(name)
        X = blobs(r, n, d, k) if kind == "blobs" else uniform(r, n, d)
        init = rows_init(r, X, k)
        X_new = (blobs(r, 7, d, k) if kind == "blobs" else uniform(r, 7, d))
        for algorithm in ["lloyd", "elkan"]:
            kmeans_case(fam, f"{name}_explicit_{algorithm}", X, X_new, n_clusters=k, init=init,
                        algorithm=algorithm)
        # the same fits on float32 data (scikit-learn's float32 Cython kernels)
        for algorithm in ["lloyd", "elkan"]:
            kmeans_case_f32(fam, f"f32_{name}_explicit_{algorithm}", X, n_clusters=k,
                            init=init, algorithm=algorithm)

    # larger data (rebuilt by the tests): several chunks of 256 samples in scikit-learn,
    # several threads in kiln
    big = synth_ref(4000, 32, 20, 5, 2.0)
    init = big[0][::200][:20] + 0.5
    for algorithm in ["lloyd", "elkan"]:
        kmeans_case(fam, f"synth_4000x32_k20_explicit_{algorithm}", big, big[0][:6] - 0.25,
                    n_clusters=20, init=init, algorithm=algorithm)
    kmeans_case(fam, "synth_4000x32_k20_kmeanspp_seed0", big, big[0][:6] - 0.25,
                n_clusters=20, random_state=0)
    for algorithm in ["lloyd", "elkan"]:
        kmeans_case_f32(fam, f"f32_synth_4000x32_k20_explicit_{algorithm}", big,
                        n_clusters=20, init=init, algorithm=algorithm)
    kmeans_case_f32(fam, "f32_synth_4000x32_k20_kmeanspp_seed0", big, n_clusters=20,
                    random_state=0)

    # k-means++ (greedy, n_init="auto" = 1) over five seeds, Lloyd and Elkan
    r = fam.rng("kmeanspp_blobs")
    X = blobs(r, 400, 5, 6, spread=2.5)
    for seed in range(5):
        kmeans_case(fam, f"kmeanspp_blobs_400x5_k6_seed{seed}", X, n_clusters=6, random_state=seed)
    kmeans_case(fam, "kmeanspp_blobs_400x5_k6_seed3_elkan", X, n_clusters=6, random_state=3,
                algorithm="elkan")
    for seed in range(5):
        kmeans_case_f32(fam, f"f32_kmeanspp_blobs_400x5_k6_seed{seed}", X, n_clusters=6,
                        random_state=seed)
    kmeans_case_f32(fam, "f32_kmeanspp_blobs_400x5_k6_seed3_elkan", X, n_clusters=6,
                    random_state=3, algorithm="elkan")
    r = fam.rng("kmeanspp_uniform")
    X = uniform(r, 250, 2)
    for seed in range(5):
        kmeans_case(fam, f"kmeanspp_uniform_250x2_k8_seed{seed}", X, n_clusters=8,
                    random_state=seed)
    kmeans_case(fam, "kmeanspp_uniform_250x2_default_k", X, random_state=11)

    # random initialisation, several runs
    r = fam.rng("random_init")
    X = blobs(r, 150, 3, 4, spread=3.0)
    for seed in [0, 1]:
        kmeans_case(fam, f"random_init_n_init3_seed{seed}", X, n_clusters=4, init="random",
                    n_init=3, random_state=seed)
    kmeans_case(fam, "random_init_auto_n_init_seed5", X, n_clusters=4, init="random",
                random_state=5)
    kmeans_case(fam, "kmeanspp_n_init4_seed2_elkan", X, n_clusters=5, n_init=4, random_state=2,
                algorithm="elkan")

    # sample weights
    r = fam.rng("weights")
    X = blobs(r, 90, 3, 3, spread=2.0)
    w = r.uniform(0.1, 3.0, 90)
    w[r.choice(90, 10, replace=False)] = 0.0
    init = rows_init(r, X, 3)
    for algorithm in ["lloyd", "elkan"]:
        kmeans_case(fam, f"weights_explicit_{algorithm}", X, sample_weight=w, n_clusters=3,
                    init=init, algorithm=algorithm)
    kmeans_case(fam, "weights_kmeanspp_seed7", X, sample_weight=w, n_clusters=3, random_state=7)
    kmeans_case(fam, "weights_random_n_init2_seed4", X, sample_weight=w, n_clusters=3,
                init="random", n_init=2, random_state=4)

    # empty clusters: centres far from every sample are moved to the farthest points
    r = fam.rng("empty")
    X = uniform(r, 60, 2)
    init = np.vstack([rows_init(r, X, 3), [[100.0, 100.0]]])
    for algorithm in ["lloyd", "elkan"]:
        kmeans_case(fam, f"empty_one_{algorithm}", X, n_clusters=4, init=init, algorithm=algorithm)
    init2 = np.vstack([rows_init(r, X, 2), [[-80.0, 90.0]], [[100.0, 100.0]], [[60.0, -70.0]]])
    for algorithm in ["lloyd", "elkan"]:
        kmeans_case(fam, f"empty_three_{algorithm}", X, n_clusters=5, init=init2,
                    algorithm=algorithm)

    r = fam.rng("empty_d9")
    X = uniform(r, 50, 9)
    init = np.vstack([rows_init(r, X, 2), np.full((1, 9), 40.0)])
    for algorithm in ["lloyd", "elkan"]:
        kmeans_case(fam, f"empty_one_d9_{algorithm}", X, n_clusters=3, init=init,
                    algorithm=algorithm)

    # stopping rules: max_iter reached (final E-step), tol=0, a large tol
    r = fam.rng("stopping")
    X = uniform(r, 120, 3)
    init = rows_init(r, X, 5)
    for algorithm in ["lloyd", "elkan"]:
        kmeans_case(fam, f"max_iter2_{algorithm}", X, n_clusters=5, init=init, max_iter=2,
                    algorithm=algorithm)
    kmeans_case(fam, "tol0", X, n_clusters=5, init=init, tol=0.0)
    kmeans_case(fam, "tol_large", X, n_clusters=5, init=init, tol=0.5)

    # warnings
    r = fam.rng("warnings")
    X = uniform(r, 20, 2)
    kmeans_case(fam, "single_cluster_elkan", X, n_clusters=1, algorithm="elkan", random_state=0)
    kmeans_case(fam, "explicit_init_n_init3", X, n_clusters=2, init=X[:2] + 0.25, n_init=3)
    dup = np.array([[0.0, 0.0]] * 3 + [[1.0, 1.0]] * 3 + [[5.0, -2.0]] * 2)
    kmeans_case(fam, "duplicates_fewer_distinct", dup, n_clusters=4, random_state=0)

    # errors, with scikit-learn's messages
    X5 = r.normal(size=(5, 2))
    kmeans_error(fam, "err_more_clusters_than_samples", X5, n_clusters=8)
    kmeans_error(fam, "err_no_samples", np.zeros((0, 2)), n_clusters=2)
    kmeans_error(fam, "err_no_features", np.zeros((3, 0)), n_clusters=2)
    Xnan = X5.copy()
    Xnan[2, 1] = np.nan
    kmeans_error(fam, "err_nan", Xnan, n_clusters=2)
    Xinf = X5.copy()
    Xinf[0, 0] = np.inf
    kmeans_error(fam, "err_inf", Xinf, n_clusters=2)
    for method in ["predict", "transform", "score"]:
        kmeans_error(fam, f"err_{method}_features", X5, n_clusters=2, random_state=0, method=method,
                     X_new=np.zeros((2, 3)))
    kmeans_error(fam, "err_predict_no_samples", X5, n_clusters=2, random_state=0, method="predict",
                 X_new=np.zeros((0, 2)))
    kmeans_error(fam, "err_init_rows", X5, n_clusters=2, init=np.zeros((3, 2)))
    kmeans_error(fam, "err_init_cols", X5, n_clusters=2, init=np.zeros((2, 3)))
    kmeans_error(fam, "err_n_clusters_zero", X5, n_clusters=0)
    kmeans_error(fam, "err_max_iter_zero", X5, n_clusters=2, max_iter=0)
    kmeans_error(fam, "err_tol_negative", X5, n_clusters=2, tol=-1.0)
    kmeans_error(fam, "err_n_init_zero", X5, n_clusters=2, n_init=0)
    kmeans_error(fam, "err_sample_weight_length", X5, n_clusters=2, sample_weight=[1.0, 1.0, 1.0])
    kmeans_error(fam, "err_sample_weight_zero", X5, n_clusters=2, sample_weight=[0.0] * 5)
    kmeans_error(fam, "err_sample_weight_nan", X5, n_clusters=2,
                 sample_weight=[1.0, float("nan"), 1.0, 1.0, 1.0])
    kmeans_error(fam, "err_negative_weight_kmeanspp", X5, n_clusters=2, random_state=0,
                 sample_weight=[1.0, 1.0, -1.0, 1.0, 1.0])
    kmeans_error(fam, "err_random_init_few_nonzero_weights", X5, n_clusters=3, init="random",
                 random_state=0, sample_weight=[1.0, 0.0, 0.0, 2.0, 0.0])
    return fam


# ---------------------------------------------------------------------------------------
# PCA


def correlated(r, n, d, scales):
    """Gaussian data with distinct variances along a random rotation, plus an offset."""
    q, _ = np.linalg.qr(r.normal(size=(d, d)))
    z = r.normal(size=(n, d)) * np.asarray(scales)
    return z @ q.T + r.uniform(-5, 5, d)


HEAD = 12


def pca_result(p, X, X_new, Xt):
    out = {
        "components_": p.components_,
        "explained_variance_": p.explained_variance_,
        "explained_variance_ratio_": p.explained_variance_ratio_,
        "singular_values_": p.singular_values_,
        "mean_": p.mean_,
        "noise_variance_": p.noise_variance_,
        "n_components_": p.n_components_,
        "n_samples_": p.n_samples_,
        # the first rows only, to keep the files small
        "fit_transform_head": Xt[:HEAD],
        "transform_head": p.transform(X[:HEAD]),
    }
    if X_new is not None:
        out["transform_new"] = p.transform(X_new)
        out["inverse_transform_new"] = p.inverse_transform(p.transform(X_new))
    return out


def pca_case(fam, name, X, X_new=None, **params):
    if isinstance(X, tuple):
        X, x_arg = X
    else:
        x_arg = fam.ref(X)
    args = {"X": x_arg, **params}
    if X_new is not None:
        args["X_new"] = X_new

    def call():
        p = PCA(**params)
        Xt = p.fit_transform(X)
        return pca_result(p, X, X_new, Xt)

    fam.add(name, "PCA", args, call)


def pca_error(fam, name, X, method=None, X_new=None, **params):
    args = {"X": X, **params}
    if method is not None:
        args["method"] = method
        args["X_new"] = X_new

    def call():
        p = PCA(**params).fit(X)
        if method is not None:
            return getattr(p, method)(X_new)
        return p.n_components_

    fam.add(name, "PCA", args, call)


def decomposition_family():
    fam = Family("decomposition")
    r = fam.rng("tall")
    X = correlated(r, 60, 5, [5.0, 3.0, 2.0, 1.0, 0.5])
    X_new = correlated(r, 6, 5, [5.0, 3.0, 2.0, 1.0, 0.5])
    for solver in ["full", "covariance_eigh"]:
        pca_case(fam, f"tall_none_{solver}", X, X_new, svd_solver=solver)
        pca_case(fam, f"tall_int2_{solver}", X, X_new, n_components=2, svd_solver=solver)
        pca_case(fam, f"tall_fraction_{solver}", X, X_new, n_components=0.8, svd_solver=solver)
        pca_case(fam, f"tall_whiten3_{solver}", X, X_new, n_components=3, whiten=True,
                 svd_solver=solver)
    pca_case(fam, "tall_fraction_0.999", X, X_new, n_components=0.999, svd_solver="full")
    pca_case(fam, "tall_zero_components", X, n_components=0, svd_solver="full")
    pca_case(fam, "tall_whiten_all", X, X_new, whiten=True, svd_solver="full")

    r = fam.rng("mle")
    X = correlated(r, 200, 7, [6.0, 4.0, 3.0, 0.1, 0.1, 0.1, 0.1])
    pca_case(fam, "mle_200x7", X, X[:5] + 0.5, n_components="mle", svd_solver="full")
    r = fam.rng("mle_flat")
    X = correlated(r, 40, 4, [1.0, 1.0, 1.0, 1.0])
    pca_case(fam, "mle_40x4_isotropic", X, n_components="mle", svd_solver="full")

    r = fam.rng("wide")
    X = correlated(r, 8, 12, [9.0, 6.0, 4.0, 3.0, 2.0, 1.5, 1.0, 0.7, 0.5, 0.3, 0.2, 0.1])[:, :12]
    pca_case(fam, "wide_8x12_int4", X, X[:3] * 0.5, n_components=4, svd_solver="full")
    pca_case(fam, "wide_8x12_whiten5", X, X[:3] * 0.5, n_components=5, whiten=True,
             svd_solver="full")

    r = fam.rng("big")
    X = correlated(r, 300, 24, np.linspace(10.0, 0.5, 24))
    pca_case(fam, "big_300x24_int10", X, X[:4] * 1.5, n_components=10, svd_solver="full")
    pca_case(fam, "big_300x24_fraction", X, n_components=0.9, svd_solver="full")

    big = synth_ref(1500, 60, 9, 11, 1.0)
    pca_case(fam, "synth_1500x60_int8", big, big[0][:5] * 0.5, n_components=8,
             svd_solver="full")
    pca_case(fam, "synth_1500x60_mle", big, n_components="mle", svd_solver="full")

    r = fam.rng("one_feature")
    X = r.normal(loc=3.0, scale=2.0, size=(25, 1))
    pca_case(fam, "one_feature", X, X[:4] - 1.0, svd_solver="full")

    # errors
    r = fam.rng("errors")
    X = r.normal(size=(5, 2))
    pca_error(fam, "err_too_many_components", X, n_components=5, svd_solver="full")
    pca_error(fam, "err_too_many_components_eigh", X, n_components=3,
              svd_solver="covariance_eigh")
    pca_error(fam, "err_fraction_one", X, n_components=1.0, svd_solver="full")
    pca_error(fam, "err_fraction_above_one", X, n_components=1.5, svd_solver="full")
    pca_error(fam, "err_mle_wide", X.T, n_components="mle", svd_solver="full")
    pca_error(fam, "err_no_samples", np.zeros((0, 2)), n_components=1, svd_solver="full")
    pca_error(fam, "err_no_features", np.zeros((4, 0)), svd_solver="full")
    Xnan = X.copy()
    Xnan[1, 0] = np.nan
    pca_error(fam, "err_nan", Xnan, svd_solver="full")
    pca_error(fam, "err_transform_features", X, n_components=1, svd_solver="full",
              method="transform", X_new=np.zeros((2, 3)))
    pca_error(fam, "err_inverse_transform_width", X, n_components=1, svd_solver="full",
              method="inverse_transform", X_new=np.zeros((2, 3)))
    pca_error(fam, "err_transform_no_samples", X, n_components=1, svd_solver="full",
              method="transform", X_new=np.zeros((0, 2)))
    return fam


if __name__ == "__main__":
    assert sklearn.__version__ == "1.9.1", sklearn.__version__
    assert np.__version__ == "2.4.6", np.__version__
    for family in [cluster_family(), decomposition_family()]:
        family.write()
