#!/usr/bin/env python3
"""Golden fixtures for kiln-learn: scikit-learn's metrics, splitters and NumPy's RandomState.

Pinned: scikit-learn 1.9.1, numpy 2.4.6, scipy 1.17.1, Python 3.11 (the ~/peers venv:
`pip install scikit-learn==1.9.1`). Run from the repository root:

    ~/peers/bin/python tools/golden/gen_sklearn_metrics.py

Writes tools/golden/fixtures/sklearn/{metrics,splitters,random,errors}.json, one case per
line. Each case names the function (`fn`), its arguments in scikit-learn's spelling and
the result (`expect`) or scikit-learn's message (`error`). Non-finite floats are the
strings "nan", "inf" and "-inf"; floats are Python's shortest round-trip repr. The
warnings scikit-learn issued (UndefinedMetricWarning and UserWarning only) are listed as
[class, message] pairs. Input data come from numpy generators seeded with
crc32("<file>/<case name>"), so the files are reproducible byte for byte.

kiln-learn's tests (crates/kiln-learn/tests/golden_sklearn.rs) compare floats within
1e-12 relative, indices and thresholds exactly, report text byte for byte, and error
messages exactly.
"""

import json
import math
import os
import warnings
import zlib

import numpy as np
import scipy
import sklearn
from sklearn import metrics as M
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.model_selection import (
    KFold,
    ShuffleSplit,
    StratifiedKFold,
    StratifiedShuffleSplit,
    train_test_split,
)

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
        if issubclass(w.category, UndefinedMetricWarning):
            kept.append(["UndefinedMetricWarning", str(w.message)])
        elif w.category is UserWarning:
            kept.append(["UserWarning", str(w.message)])
    return result, kept, error


class Family:
    def __init__(self, name):
        self.name = name
        self.cases = []

    def rng(self, case):
        return np.random.default_rng(zlib.crc32(f"{self.name}/{case}".encode()))

    def add(self, name, fn, args, call, post=lambda r: r):
        result, warns, error = run(call)
        case = {"name": name, "fn": fn, "args": enc(args)}
        if error is not None:
            case["error"] = error
        else:
            case["expect"] = enc(post(result))
        if warns:
            case["warnings"] = warns
        self.cases.append(case)

    def write(self):
        names = [c["name"] for c in self.cases]
        assert len(names) == len(set(names)), "duplicate case names"
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
# metrics


def prfs_dict(r):
    p, rc, f, s = r
    return {"precision": p, "recall": rc, "fbeta": f, "support": s}


def cm_case(fam, name, y_true, y_pred, **kw):
    fam.add(name, "confusion_matrix", dict(y_true=y_true, y_pred=y_pred, **kw),
            lambda: M.confusion_matrix(y_true, y_pred, **kw))


def acc_case(fam, name, y_true, y_pred, **kw):
    fam.add(name, "accuracy_score", dict(y_true=y_true, y_pred=y_pred, **kw),
            lambda: M.accuracy_score(y_true, y_pred, **kw))


def prf_case(fam, name, y_true, y_pred, **kw):
    """precision_recall_fscore_support plus the four single scores with the same options."""
    beta = kw.pop("beta", 1.0)
    fam.add(name, "precision_recall_fscore_support",
            dict(y_true=y_true, y_pred=y_pred, beta=beta, **kw),
            lambda: M.precision_recall_fscore_support(y_true, y_pred, beta=beta, **kw), prfs_dict)
    for fn, f in [("precision_score", M.precision_score), ("recall_score", M.recall_score),
                  ("f1_score", M.f1_score)]:
        fam.add(f"{name}/{fn}", fn, dict(y_true=y_true, y_pred=y_pred, **kw),
                lambda f=f: f(y_true, y_pred, **kw))
    fam.add(f"{name}/fbeta_score", "fbeta_score", dict(y_true=y_true, y_pred=y_pred, beta=beta, **kw),
            lambda: M.fbeta_score(y_true, y_pred, beta=beta, **kw))


def report_case(fam, name, y_true, y_pred, **kw):
    """The text report (whose warnings are recorded) and the dict form (warnings ignored)."""
    def both():
        text = M.classification_report(y_true, y_pred, **kw)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            as_dict = M.classification_report(y_true, y_pred, output_dict=True, **kw)
        return {"text": text, "dict": as_dict}
    fam.add(name, "classification_report", dict(y_true=y_true, y_pred=y_pred, **kw), both)


def curve_post(r):
    a, b, t = r
    return [a, b, t]


def metrics_family():
    fam = Family("metrics")
    r = fam.rng("multiclass")
    y3_true = r.integers(0, 3, 40).tolist()
    y3_pred = np.where(r.random(40) < 0.6, y3_true, r.integers(0, 3, 40)).tolist()
    w40 = np.round(r.uniform(0.1, 3.0, 40), 3).tolist()
    r = fam.rng("binary")
    y2_true = r.integers(0, 2, 30).tolist()
    y2_pred = np.where(r.random(30) < 0.7, y2_true, 1 - np.array(y2_true)).tolist()
    w30 = r.uniform(0.0, 2.0, 30).tolist()
    animals = ["cat", "dog", "pig", "cat", "dog", "pig", "cat", "cat", "emu", "dog", "pig", "cat"]
    guesses = ["cat", "pig", "dog", "cat", "cat", "pig", "dog", "cat", "emu", "dog", "emu", "cat"]

    # confusion_matrix
    cm_case(fam, "cm_binary", y2_true, y2_pred)
    cm_case(fam, "cm_multiclass", y3_true, y3_pred)
    cm_case(fam, "cm_weighted", y3_true, y3_pred, sample_weight=w40)
    cm_case(fam, "cm_strings", animals, guesses)
    cm_case(fam, "cm_strings_labels_reordered_subset", animals, guesses, labels=["pig", "cat", "ant"])
    cm_case(fam, "cm_labels_with_absent", y3_true, y3_pred, labels=[2, 0, 5])
    for norm in ["true", "pred", "all"]:
        cm_case(fam, f"cm_normalize_{norm}", y3_true, y3_pred, normalize=norm)
        cm_case(fam, f"cm_normalize_{norm}_weighted_zero_row", [0, 0, 1, 1, 2], [0, 1, 1, 0, 0],
                labels=[0, 1, 2, 3], sample_weight=[0.5, 1.5, 2.0, 0.25, 1.0], normalize=norm)
    cm_case(fam, "cm_single_label", [1, 1, 1], [1, 1, 1])
    cm_case(fam, "cm_negative_labels", [-1, 1, -1, 3], [1, 1, -1, 3])

    # accuracy_score
    acc_case(fam, "accuracy_multiclass", y3_true, y3_pred)
    acc_case(fam, "accuracy_count", y3_true, y3_pred, normalize=False)
    acc_case(fam, "accuracy_weighted", y3_true, y3_pred, sample_weight=w40)
    acc_case(fam, "accuracy_weighted_count", y3_true, y3_pred, sample_weight=w40, normalize=False)
    acc_case(fam, "accuracy_strings", animals, guesses)

    # precision / recall / F
    prf_case(fam, "prf_binary", y2_true, y2_pred)
    prf_case(fam, "prf_binary_pos_label_0", y2_true, y2_pred, pos_label=0)
    prf_case(fam, "prf_binary_weighted", y2_true, y2_pred, sample_weight=w30, beta=2.0)
    prf_case(fam, "prf_binary_strings", ["no", "yes", "yes", "no", "yes"], ["yes", "yes", "no", "no", "yes"],
             pos_label="yes", beta=0.5)
    for avg in ["micro", "macro", "weighted", None]:
        prf_case(fam, f"prf_multiclass_{avg}", y3_true, y3_pred, average=avg)
        prf_case(fam, f"prf_multiclass_{avg}_weighted_beta", y3_true, y3_pred, average=avg,
                 sample_weight=w40, beta=0.5)
        prf_case(fam, f"prf_strings_{avg}", animals, guesses, average=avg)
    prf_case(fam, "prf_labels_subset_absent", y3_true, y3_pred, average="macro", labels=[2, 7, 0])
    prf_case(fam, "prf_labels_subset_per_class", animals, guesses, average=None, labels=["pig", "ant", "cat"])
    prf_case(fam, "prf_pos_label_ignored", y3_true, y3_pred, average="micro", pos_label=2)
    prf_case(fam, "prf_beta_zero", y3_true, y3_pred, average="macro", beta=0.0)
    prf_case(fam, "prf_beta_inf", y3_true, y3_pred, average="macro", beta=float("inf"))
    # zero divisions: class 2 never predicted, class 3 never true, a binary task with no positives
    zt, zp = [0, 1, 2, 0, 1, 2, 0], [0, 1, 1, 0, 3, 1, 0]
    for zd in ["warn", 0.0, 1.0, float("nan")]:
        tag = "nan" if isinstance(zd, float) and math.isnan(zd) else str(zd)
        for avg in ["macro", "weighted", "micro", None]:
            prf_case(fam, f"prf_zero_division_{tag}_{avg}", zt, zp, average=avg, zero_division=zd)
        prf_case(fam, f"prf_zero_division_{tag}_binary_no_positives", [0, 0, 0], [0, 0, 0], zero_division=zd)
        prf_case(fam, f"prf_zero_division_{tag}_binary_no_predictions", [0, 1, 0, 1], [0, 0, 0, 0],
                 zero_division=zd)
    prf_case(fam, "prf_weighted_all_true_absent", [0, 0, 1], [1, 1, 0], average="weighted", labels=[2, 3])

    # classification_report
    report_case(fam, "report_multiclass", y3_true, y3_pred)
    report_case(fam, "report_digits_4", y3_true, y3_pred, digits=4)
    report_case(fam, "report_weighted", y3_true, y3_pred, sample_weight=w40)
    report_case(fam, "report_strings", animals, guesses)
    report_case(fam, "report_target_names", y3_true, y3_pred, target_names=["setosa", "versicolor", "virginica"])
    report_case(fam, "report_labels_subset_micro", y3_true, y3_pred, labels=[0, 2])
    report_case(fam, "report_labels_extra_micro", y3_true, y3_pred, labels=[0, 1, 2, 3])
    report_case(fam, "report_labels_names_short", y3_true, y3_pred, labels=[0, 1, 2], target_names=["a", "b"])
    report_case(fam, "report_zero_division_1", zt, zp, zero_division=1.0)
    report_case(fam, "report_zero_division_warn", zt, zp)
    report_case(fam, "report_binary", y2_true, y2_pred, digits=3)
    report_case(fam, "report_long_names_digits_14", ["a-very-long-class-name", "b"] * 3,
                ["b", "b", "a-very-long-class-name", "b", "b", "a-very-long-class-name"], digits=14)

    # curves
    r = fam.rng("scores")
    yb = r.integers(0, 2, 60).tolist()
    sb = np.round(r.random(60), 1).tolist()  # heavy ties
    sc = (r.random(60) + 0.6 * np.array(yb)).tolist()  # no ties
    wb = np.where(r.random(60) < 0.2, 0.0, r.uniform(0.5, 2.0, 60)).tolist()  # some zero weights
    collinear_y = [1] * 8 + [0] * 8 + [1] * 5 + [0] * 3 + [1, 0] * 4
    collinear_s = list(np.linspace(1.0, 0.0, len(collinear_y)))
    for drop in [True, False]:
        tag = "drop" if drop else "keep"
        for n, (y, s, kw) in {
            "simple": ([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], {}),
            "ties": (yb, sb, {}),
            "no_ties": (yb, sc, {}),
            "weighted": (yb, sc, {"sample_weight": wb}),
            "weighted_ties": (yb, sb, {"sample_weight": wb}),
            "collinear": (collinear_y, collinear_s, {}),
            "strings": (["neg", "pos", "pos", "neg", "pos"], [0.2, 0.9, 0.4, 0.4, 0.1], {"pos_label": "pos"}),
            "minus_one": ([-1, 1, 1, -1, -1, 1], [0.3, 0.6, 0.6, 0.1, 0.6, 0.9], {}),
            "multiclass_pos_label": ([0, 1, 2, 2, 1, 0], [0.1, 0.5, 0.9, 0.7, 0.5, 0.2], {"pos_label": 2}),
            "no_negatives": ([1, 1, 1], [0.1, 0.5, 0.3], {}),
            "no_positives": ([0, 0, 0], [0.1, 0.5, 0.3], {}),
        }.items():
            fam.add(f"roc_{n}_{tag}", "roc_curve", dict(y_true=y, y_score=s, drop_intermediate=drop, **kw),
                    lambda y=y, s=s, kw=kw: M.roc_curve(y, s, drop_intermediate=drop, **kw), curve_post)
            fam.add(f"pr_{n}_{tag}", "precision_recall_curve",
                    dict(y_true=y, y_score=s, drop_intermediate=drop, **kw),
                    lambda y=y, s=s, kw=kw: M.precision_recall_curve(y, s, drop_intermediate=drop, **kw),
                    curve_post)
    fam.add("thresholds_weighted", "confusion_matrix_at_thresholds",
            dict(y_true=yb, y_score=sb, sample_weight=wb),
            lambda: M.confusion_matrix_at_thresholds(yb, sb, sample_weight=wb), list)

    # auc
    fam.add("auc_increasing", "auc", dict(x=[0.0, 0.1, 0.4, 0.4, 1.0], y=[0.0, 0.3, 0.5, 0.8, 1.0]),
            lambda: M.auc([0.0, 0.1, 0.4, 0.4, 1.0], [0.0, 0.3, 0.5, 0.8, 1.0]))
    xs = np.sort(r.random(200)).tolist()
    ys = r.random(200).tolist()
    fam.add("auc_random_200", "auc", dict(x=xs, y=ys), lambda: M.auc(xs, ys))
    fam.add("auc_decreasing", "auc", dict(x=xs[::-1], y=ys[::-1]), lambda: M.auc(xs[::-1], ys[::-1]))

    # roc_auc_score
    fam.add("roc_auc_binary", "roc_auc_score", dict(y_true=yb, y_score=sc), lambda: M.roc_auc_score(yb, sc))
    fam.add("roc_auc_ties", "roc_auc_score", dict(y_true=yb, y_score=sb), lambda: M.roc_auc_score(yb, sb))
    fam.add("roc_auc_weighted", "roc_auc_score", dict(y_true=yb, y_score=sb, sample_weight=wb),
            lambda: M.roc_auc_score(yb, sb, sample_weight=wb))
    ys_str = ["b" if v else "a" for v in yb]
    fam.add("roc_auc_strings", "roc_auc_score", dict(y_true=ys_str, y_score=sc),
            lambda: M.roc_auc_score(ys_str, sc))
    for mf in [0.1, 0.35, 0.5, 1.0]:
        fam.add(f"roc_auc_max_fpr_{mf}", "roc_auc_score", dict(y_true=yb, y_score=sb, max_fpr=mf),
                lambda mf=mf: M.roc_auc_score(yb, sb, max_fpr=mf))
    fam.add("roc_auc_max_fpr_no_weighted_positive", "roc_auc_score",
            dict(y_true=[0, 0, 1], y_score=[0.1, 0.5, 0.7], sample_weight=[1.0, 1.0, 0.0], max_fpr=0.5),
            lambda: M.roc_auc_score([0, 0, 1], [0.1, 0.5, 0.7], sample_weight=[1.0, 1.0, 0.0], max_fpr=0.5))
    fam.add("roc_auc_no_weighted_negative", "roc_auc_score",
            dict(y_true=[0, 1, 1], y_score=[0.1, 0.5, 0.7], sample_weight=[0.0, 1.0, 1.0]),
            lambda: M.roc_auc_score([0, 1, 1], [0.1, 0.5, 0.7], sample_weight=[0.0, 1.0, 1.0]))
    r = fam.rng("proba")
    y4 = r.integers(0, 4, 50)
    logits = r.normal(size=(50, 4)) + 1.5 * np.eye(4)[y4]
    p4 = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    p4[:5] = np.round(p4[:5], 1)  # a few tied, exact-sum rows
    p4[:5, 3] = 1.0 - p4[:5, :3].sum(axis=1)
    w50 = r.uniform(0.2, 2.0, 50).tolist()
    y4l, p4l = y4.tolist(), p4.tolist()
    for mc, avg, kw in [("ovr", "macro", {}), ("ovr", "weighted", {}), ("ovr", "micro", {}), ("ovr", None, {}),
                        ("ovr", "macro", {"sample_weight": w50}), ("ovr", "weighted", {"sample_weight": w50}),
                        ("ovr", "micro", {"sample_weight": w50}),
                        ("ovo", "macro", {}), ("ovo", "weighted", {})]:
        name = f"roc_auc_{mc}_{avg}" + ("_sample_weight" if kw else "")
        fam.add(name, "roc_auc_score_multiclass", dict(y_true=y4l, y_score=p4l, multi_class=mc, average=avg, **kw),
                lambda mc=mc, avg=avg, kw=kw: M.roc_auc_score(y4l, p4l, multi_class=mc, average=avg, **kw))
    y4s = [["w", "x", "y", "z"][v] for v in y4l]
    fam.add("roc_auc_ovr_strings_labels", "roc_auc_score_multiclass",
            dict(y_true=y4s, y_score=p4l, multi_class="ovr", labels=["w", "x", "y", "z"]),
            lambda: M.roc_auc_score(y4s, p4l, multi_class="ovr", labels=["w", "x", "y", "z"]))
    y_missing = [0 if v == 3 else v for v in y4l]
    for avg in ["macro", "weighted", None]:
        fam.add(f"roc_auc_ovr_absent_class_{avg}", "roc_auc_score_multiclass",
                dict(y_true=y_missing, y_score=p4l, multi_class="ovr", average=avg, labels=[0, 1, 2, 3]),
                lambda avg=avg: M.roc_auc_score(y_missing, p4l, multi_class="ovr", average=avg,
                                                labels=[0, 1, 2, 3]))
    fam.add("roc_auc_ovo_absent_class", "roc_auc_score_multiclass",
            dict(y_true=y_missing, y_score=p4l, multi_class="ovo", labels=[0, 1, 2, 3]),
            lambda: M.roc_auc_score(y_missing, p4l, multi_class="ovo", labels=[0, 1, 2, 3]))

    # average_precision_score
    fam.add("ap_binary", "average_precision_score", dict(y_true=yb, y_score=sc),
            lambda: M.average_precision_score(yb, sc))
    fam.add("ap_ties_weighted", "average_precision_score", dict(y_true=yb, y_score=sb, sample_weight=wb),
            lambda: M.average_precision_score(yb, sb, sample_weight=wb))
    fam.add("ap_strings_pos_label", "average_precision_score", dict(y_true=ys_str, y_score=sc, pos_label="a"),
            lambda: M.average_precision_score(ys_str, sc, pos_label="a"))
    fam.add("ap_no_positive", "average_precision_score", dict(y_true=[0, 0, 0], y_score=[0.2, 0.1, 0.3]),
            lambda: M.average_precision_score([0, 0, 0], [0.2, 0.1, 0.3]))
    for avg in ["macro", "micro", "weighted", "samples", None]:
        for kw in [{}, {"sample_weight": w50}]:
            name = f"ap_multiclass_{avg}" + ("_sample_weight" if kw else "")
            fam.add(name, "average_precision_score_multiclass", dict(y_true=y4l, y_score=p4l, average=avg, **kw),
                    lambda avg=avg, kw=kw: M.average_precision_score(np.array(y4l), np.array(p4l), average=avg,
                                                                     **kw))

    # regression
    r = fam.rng("regression")
    yt = r.normal(size=37).tolist()
    yp = (np.array(yt) + r.normal(scale=0.5, size=37)).tolist()
    wr = r.uniform(0.0, 3.0, 37).tolist()
    big_t = r.normal(size=1000).tolist()
    big_p = (np.array(big_t) * 0.9 + r.normal(scale=0.3, size=1000)).tolist()
    for fn, f in [("mean_squared_error", M.mean_squared_error), ("mean_absolute_error", M.mean_absolute_error),
                  ("root_mean_squared_error", M.root_mean_squared_error), ("r2_score", M.r2_score)]:
        fam.add(f"{fn}_plain", fn, dict(y_true=yt, y_pred=yp), lambda f=f: f(yt, yp))
        fam.add(f"{fn}_weighted", fn, dict(y_true=yt, y_pred=yp, sample_weight=wr),
                lambda f=f: f(yt, yp, sample_weight=wr))
        fam.add(f"{fn}_1000", fn, dict(y_true=big_t, y_pred=big_p), lambda f=f: f(big_t, big_p))
    for ff in [True, False]:
        for name, (t, p) in {"constant_exact": ([2.0, 2.0, 2.0], [2.0, 2.0, 2.0]),
                             "constant_wrong": ([2.0, 2.0, 2.0], [2.0, 1.0, 2.0]),
                             "one_sample": ([1.0], [2.0])}.items():
            fam.add(f"r2_{name}_force_finite_{ff}", "r2_score", dict(y_true=t, y_pred=p, force_finite=ff),
                    lambda t=t, p=p, ff=ff: M.r2_score(t, p, force_finite=ff))
    return fam


# ---------------------------------------------------------------------------------------
# splitters


def folds(splits):
    return [{"train": tr, "test": te} for tr, te in splits]


def splitters_family():
    fam = Family("splitters")
    for n, k in [(10, 3), (7, 5), (12, 4), (5, 5), (23, 2)]:
        fam.add(f"kfold_n{n}_k{k}", "KFold", dict(n_samples=n, n_splits=k, shuffle=False),
                lambda n=n, k=k: folds(KFold(k).split(np.zeros(n))))
        for seed in [0, 42, 2**32 - 1]:
            fam.add(f"kfold_n{n}_k{k}_seed{seed}", "KFold",
                    dict(n_samples=n, n_splits=k, shuffle=True, random_state=seed),
                    lambda n=n, k=k, seed=seed: folds(KFold(k, shuffle=True, random_state=seed).split(np.zeros(n))))

    r = fam.rng("stratified")
    uneven = r.choice([0, 1, 2], size=37, p=[0.6, 0.3, 0.1]).tolist()
    words = [["b", "a", "c"][v] for v in r.choice(3, size=29, p=[0.5, 0.3, 0.2])]
    for name, y in {"uneven": uneven, "strings": words, "two_classes": [1, 1, 0, 1, 0, 0, 1, 1, 1, 1, 0, 1],
                    "rare": [0] * 12 + [1] * 2}.items():
        for k in [2, 3, 5]:
            fam.add(f"skfold_{name}_k{k}", "StratifiedKFold", dict(y=y, n_splits=k, shuffle=False),
                    lambda y=y, k=k: folds(StratifiedKFold(k).split(np.zeros(len(y)), y)))
            for seed in [0, 7, 123456]:
                fam.add(f"skfold_{name}_k{k}_seed{seed}", "StratifiedKFold",
                        dict(y=y, n_splits=k, shuffle=True, random_state=seed),
                        lambda y=y, k=k, seed=seed: folds(
                            StratifiedKFold(k, shuffle=True, random_state=seed).split(np.zeros(len(y)), y)))

    for n, test, train, seed in [(10, None, None, 0), (20, 0.3, None, 1), (20, None, 0.45, 2), (15, 4, 6, 3),
                                 (100, 0.1, 0.5, 4), (9, 0.5, None, 2**31)]:
        fam.add(f"shuffle_split_n{n}_{test}_{train}_seed{seed}", "ShuffleSplit",
                dict(n_samples=n, n_splits=3, test_size=test, train_size=train, random_state=seed),
                lambda n=n, test=test, train=train, seed=seed: folds(
                    ShuffleSplit(3, test_size=test, train_size=train, random_state=seed).split(np.zeros(n))))

    tied = [0] * 4 + [1] * 4 + [2] * 4 + [3] * 3  # equal remainders: ties broken at random
    for name, y, test, train in [("uneven", uneven, 0.25, None), ("strings", words, 7, None),
                                 ("tied", tied, 5, None), ("tied_train", tied, None, 7), ("uneven_both", uneven, 9, 20)]:
        for seed in [0, 99]:
            fam.add(f"sss_{name}_seed{seed}", "StratifiedShuffleSplit",
                    dict(y=y, n_splits=3, test_size=test, train_size=train, random_state=seed),
                    lambda y=y, test=test, train=train, seed=seed: folds(
                        StratifiedShuffleSplit(3, test_size=test, train_size=train,
                                               random_state=seed).split(np.zeros(len(y)), y)))

    def tts(n, stratify=None, **kw):
        tr, te = train_test_split(np.arange(n), stratify=stratify, **kw)
        return {"train": tr, "test": te}

    for name, n, kw in [("default", 20, {"random_state": 0}), ("fraction", 17, {"test_size": 0.3, "random_state": 5}),
                        ("count", 17, {"test_size": 4, "random_state": 5}),
                        ("train_fraction", 17, {"train_size": 0.5, "random_state": 6}),
                        ("both", 30, {"train_size": 10, "test_size": 0.2, "random_state": 7}),
                        ("no_shuffle", 11, {"test_size": 0.3, "shuffle": False}),
                        ("big", 1000, {"test_size": 0.2, "random_state": 42})]:
        fam.add(f"tts_{name}", "train_test_split", dict(n_samples=n, **kw), lambda n=n, kw=kw: tts(n, **kw))
    for name, y, kw in [("uneven", uneven, {"test_size": 0.3, "random_state": 0}),
                        ("strings", words, {"random_state": 3}),
                        ("tied", tied, {"test_size": 0.5, "random_state": 11})]:
        fam.add(f"tts_stratified_{name}", "train_test_split", dict(n_samples=len(y), stratify=y, **kw),
                lambda y=y, kw=kw: tts(len(y), stratify=y, **kw))
    return fam


# ---------------------------------------------------------------------------------------
# RandomState


def random_family():
    fam = Family("random")
    for seed in [0, 1, 42, 5489, 2**32 - 1]:
        def draws(seed=seed):
            bg = np.random.MT19937()
            bg._legacy_seeding(seed)
            raw = bg.random_raw(700)  # crosses a state reload
            key = np.random.RandomState(seed).get_state()[1]
            return {"raw_first": raw[:20], "raw_600_700": raw[600:700],
                    "key_first": key[:8], "key_last": key[-8:],
                    "random_sample": np.random.RandomState(seed).random_sample(10),
                    "randint_uint32": np.random.RandomState(seed).randint(0, 2**32, size=5, dtype=np.uint64)}
        fam.add(f"seed_{seed}", "RandomState", {"seed": seed}, draws)
        for n in [0, 1, 2, 10, 100, 1000]:
            fam.add(f"seed_{seed}_permutation_{n}", "permutation", {"seed": seed, "n": n},
                    lambda seed=seed, n=n: np.random.RandomState(seed).permutation(n))
        def shuffled(seed=seed):
            x = np.arange(30) * 3
            rs = np.random.RandomState(seed)
            rs.shuffle(x)
            rs.shuffle(x)
            return x
        fam.add(f"seed_{seed}_shuffle_twice", "shuffle_twice", {"seed": seed, "data": (np.arange(30) * 3).tolist()},
                shuffled)
        fam.add(f"seed_{seed}_choice", "choice", {"seed": seed, "population": 17, "size": 5},
                lambda seed=seed: np.random.RandomState(seed).choice(17, size=5, replace=False))
    for arr in [[1, 2, 3], [0], [2**32 - 1, 0, 12345, 7], list(range(700))]:
        def by_array(arr=arr):
            rs = np.random.RandomState(arr)
            key = rs.get_state()[1]
            return {"key_first": key[:8], "key_last": key[-8:],
                    "raw_first": rs.randint(0, 2**32, size=20, dtype=np.uint64)}
        fam.add(f"array_{len(arr)}_{arr[0]}", "RandomState_from_array", {"seed": arr}, by_array)
    return fam


# ---------------------------------------------------------------------------------------
# errors (scikit-learn's messages; kiln-learn returns them as Err)


def errors_family():
    fam = Family("errors")
    E = fam.add
    E("inconsistent_lengths", "accuracy_score", dict(y_true=[1, 2, 3], y_pred=[1, 2, 3, 4]),
      lambda: M.accuracy_score([1, 2, 3], [1, 2, 3, 4]))
    E("inconsistent_sample_weight", "accuracy_score", dict(y_true=[1, 2, 3], y_pred=[1, 2, 3], sample_weight=[1.0, 2.0]),
      lambda: M.accuracy_score([1, 2, 3], [1, 2, 3], sample_weight=[1.0, 2.0]))
    E("empty_input", "accuracy_score", dict(y_true=[], y_pred=[]), lambda: M.accuracy_score([], []))
    E("all_zero_weights", "accuracy_score", dict(y_true=[0, 1], y_pred=[0, 0], sample_weight=[0.0, 0.0]),
      lambda: M.accuracy_score([0, 1], [0, 0], sample_weight=[0.0, 0.0]))
    E("weights_sum_to_zero", "accuracy_score", dict(y_true=[0, 1], y_pred=[0, 0], sample_weight=[1.0, -1.0]),
      lambda: M.accuracy_score([0, 1], [0, 0], sample_weight=[1.0, -1.0]))
    E("nan_weight", "confusion_matrix", dict(y_true=[0, 1], y_pred=[0, 0], sample_weight=[1.0, float("nan")]),
      lambda: M.confusion_matrix([0, 1], [0, 0], sample_weight=[1.0, float("nan")]))
    E("cm_empty_labels", "confusion_matrix", dict(y_true=[1, 2], y_pred=[1, 2], labels=[]),
      lambda: M.confusion_matrix([1, 2], [1, 2], labels=[]))
    E("cm_labels_not_in_y_true", "confusion_matrix", dict(y_true=[1, 2], y_pred=[1, 5], labels=[5]),
      lambda: M.confusion_matrix([1, 2], [1, 5], labels=[5]))
    E("binary_average_on_multiclass", "precision_score", dict(y_true=[1, 2, 3], y_pred=[1, 2, 3]),
      lambda: M.precision_score([1, 2, 3], [1, 2, 3]))
    E("pos_label_missing_ints", "precision_score", dict(y_true=[0, 10, 0], y_pred=[0, 10, 10]),
      lambda: M.precision_score([0, 10, 0], [0, 10, 10]))
    E("pos_label_missing_strings", "recall_score", dict(y_true=["a", "b"], y_pred=["a", "b"]),
      lambda: M.recall_score(["a", "b"], ["a", "b"]))
    E("pos_label_wrong_string", "f1_score", dict(y_true=["a", "b"], y_pred=["a", "b"], pos_label="c"),
      lambda: M.f1_score(["a", "b"], ["a", "b"], pos_label="c"))
    E("samples_average", "precision_recall_fscore_support",
      dict(y_true=[1, 2, 3], y_pred=[1, 2, 3], average="samples", beta=1.0),
      lambda: M.precision_recall_fscore_support([1, 2, 3], [1, 2, 3], average="samples"))
    E("negative_beta", "fbeta_score", dict(y_true=[0, 1], y_pred=[0, 1], beta=-1.0),
      lambda: M.fbeta_score([0, 1], [0, 1], beta=-1.0))
    E("report_target_names", "classification_report", dict(y_true=[0, 1, 2], y_pred=[0, 1, 1], target_names=["a", "b"]),
      lambda: M.classification_report([0, 1, 2], [0, 1, 1], target_names=["a", "b"]))
    E("roc_curve_multiclass", "roc_curve", dict(y_true=[1, 2, 3], y_score=[0.1, 0.2, 0.3]),
      lambda: M.roc_curve([1, 2, 3], [0.1, 0.2, 0.3]))
    E("roc_curve_strings_no_pos_label", "roc_curve", dict(y_true=["a", "b"], y_score=[0.1, 0.2]),
      lambda: M.roc_curve(["a", "b"], [0.1, 0.2]))
    E("roc_curve_2_3_no_pos_label", "precision_recall_curve", dict(y_true=[2, 3, 3], y_score=[0.1, 0.2, 0.3]),
      lambda: M.precision_recall_curve([2, 3, 3], [0.1, 0.2, 0.3]))
    E("roc_curve_nan_score", "roc_curve", dict(y_true=[0, 1], y_score=[0.1, float("nan")]),
      lambda: M.roc_curve([0, 1], [0.1, float("nan")]))
    E("roc_curve_inf_score", "roc_curve", dict(y_true=[0, 1], y_score=[0.1, float("inf")]),
      lambda: M.roc_curve([0, 1], [0.1, float("inf")]))
    E("roc_curve_lengths", "roc_curve", dict(y_true=[0, 1, 1], y_score=[0.1, 0.2]),
      lambda: M.roc_curve([0, 1, 1], [0.1, 0.2]))
    E("auc_one_point", "auc", dict(x=[0.0], y=[1.0]), lambda: M.auc([0.0], [1.0]))
    E("auc_not_monotonic", "auc", dict(x=[0.0, 1.0, 0.5], y=[1.0, 2.0, 3.0]),
      lambda: M.auc([0.0, 1.0, 0.5], [1.0, 2.0, 3.0]))
    xs = np.linspace(0, 1, 40)[::-1].tolist() + [0.5]
    E("auc_not_monotonic_wrapped", "auc", dict(x=xs, y=[0.0] * 41), lambda: M.auc(xs, [0.0] * 41))
    E("auc_not_monotonic_sci", "auc", dict(x=[1e-05, 1.0, 0.5], y=[0.0] * 3), lambda: M.auc([1e-05, 1.0, 0.5], [0.0] * 3))
    E("auc_not_monotonic_sci_mixed", "auc", dict(x=[1.5e-07, 12345.678, -3.25, 2.0], y=[0.0] * 4),
      lambda: M.auc([1.5e-07, 12345.678, -3.25, 2.0], [0.0] * 4))
    E("auc_not_monotonic_nan", "auc", dict(x=[3.0, 1.0, 2.0, float("nan")], y=[0.0] * 4),
      lambda: M.auc([3.0, 1.0, 2.0, float("nan")], [0.0] * 4))
    E("auc_not_monotonic_negative", "auc", dict(x=[-3.0, 1.0, 2.0, -1.5], y=[0.0] * 4),
      lambda: M.auc([-3.0, 1.0, 2.0, -1.5], [0.0] * 4))
    long_x = np.concatenate([np.linspace(0, 1, 1500), [0.5]]).tolist()
    E("auc_not_monotonic_summarized", "auc", dict(x=long_x, y=[0.0] * len(long_x)),
      lambda: M.auc(long_x, [0.0] * len(long_x)))
    # scikit-learn 1.9 warns and returns NaN here; kiln-learn returns the warning's text as an Err
    E("roc_auc_one_class", "roc_auc_score", dict(y_true=[1, 1, 1], y_score=[0.1, 0.2, 0.3]),
      lambda: M.roc_auc_score([1, 1, 1], [0.1, 0.2, 0.3]))
    E("roc_auc_max_fpr", "roc_auc_score", dict(y_true=[0, 1], y_score=[0.1, 0.2], max_fpr=1.5),
      lambda: M.roc_auc_score([0, 1], [0.1, 0.2], max_fpr=1.5))
    E("roc_auc_max_fpr_no_weighted_negative", "roc_auc_score",
      dict(y_true=[0, 1, 1], y_score=[0.1, 0.5, 0.7], sample_weight=[0.0, 1.0, 1.0], max_fpr=0.5),
      lambda: M.roc_auc_score([0, 1, 1], [0.1, 0.5, 0.7], sample_weight=[0.0, 1.0, 1.0], max_fpr=0.5))
    E("roc_auc_multiclass_1d", "roc_auc_score", dict(y_true=[0, 1, 2], y_score=[0.1, 0.2, 0.3]),
      lambda: M.roc_auc_score([0, 1, 2], [0.1, 0.2, 0.3]))
    p3 = [[0.2, 0.3, 0.5], [0.1, 0.6, 0.3], [0.7, 0.2, 0.1]]
    E("roc_auc_raise", "roc_auc_score_multiclass", dict(y_true=[0, 1, 2], y_score=p3),
      lambda: M.roc_auc_score([0, 1, 2], p3))
    E("roc_auc_partial_multiclass", "roc_auc_score_multiclass",
      dict(y_true=[0, 1, 2], y_score=p3, multi_class="ovr", max_fpr=0.5),
      lambda: M.roc_auc_score([0, 1, 2], p3, multi_class="ovr", max_fpr=0.5))
    bad = [[0.2, 0.3, 0.6], [0.1, 0.6, 0.3], [0.7, 0.2, 0.1]]
    E("roc_auc_not_probabilities", "roc_auc_score_multiclass", dict(y_true=[0, 1, 2], y_score=bad, multi_class="ovo"),
      lambda: M.roc_auc_score([0, 1, 2], bad, multi_class="ovo"))
    E("roc_auc_ovr_samples", "roc_auc_score_multiclass",
      dict(y_true=[0, 1, 2], y_score=p3, multi_class="ovr", average="samples"),
      lambda: M.roc_auc_score([0, 1, 2], p3, multi_class="ovr", average="samples"))
    E("roc_auc_ovo_micro", "roc_auc_score_multiclass",
      dict(y_true=[0, 1, 2], y_score=p3, multi_class="ovo", average="micro"),
      lambda: M.roc_auc_score([0, 1, 2], p3, multi_class="ovo", average="micro"))
    E("roc_auc_ovo_none", "roc_auc_score_multiclass", dict(y_true=[0, 1, 2], y_score=p3, multi_class="ovo", average=None),
      lambda: M.roc_auc_score([0, 1, 2], p3, multi_class="ovo", average=None))
    E("roc_auc_ovo_weights", "roc_auc_score_multiclass",
      dict(y_true=[0, 1, 2], y_score=p3, multi_class="ovo", sample_weight=[1.0, 1.0, 1.0]),
      lambda: M.roc_auc_score([0, 1, 2], p3, multi_class="ovo", sample_weight=[1.0, 1.0, 1.0]))
    for name, labels in [("not_unique", [0, 1, 1]), ("not_ordered", [0, 2, 1]), ("too_many", [0, 1, 2, 3]),
                         ("missing", [0, 1, 3])]:
        E(f"roc_auc_labels_{name}", "roc_auc_score_multiclass",
          dict(y_true=[0, 1, 2], y_score=p3, multi_class="ovr", labels=labels),
          lambda labels=labels: M.roc_auc_score([0, 1, 2], p3, multi_class="ovr", labels=labels))
    E("roc_auc_classes_columns", "roc_auc_score_multiclass",
      dict(y_true=[0, 1, 2, 3], y_score=p3 + [[0.2, 0.2, 0.6]], multi_class="ovr"),
      lambda: M.roc_auc_score([0, 1, 2, 3], p3 + [[0.2, 0.2, 0.6]], multi_class="ovr"))
    E("roc_auc_ragged", "roc_auc_score_multiclass",
      dict(y_true=[0, 1, 2], y_score=[[0.2, 0.3, 0.5], [0.4, 0.6], [0.1, 0.1, 0.8]], multi_class="ovr"),
      lambda: M.roc_auc_score([0, 1, 2], [[0.2, 0.3, 0.5], [0.4, 0.6], [0.1, 0.1, 0.8]], multi_class="ovr"))
    E("roc_auc_binary_2d", "roc_auc_score_multiclass",
      dict(y_true=[0, 1, 0], y_score=[[0.2, 0.8], [0.3, 0.7], [0.1, 0.9]], multi_class="ovr"),
      lambda: M.roc_auc_score([0, 1, 0], [[0.2, 0.8], [0.3, 0.7], [0.1, 0.9]], multi_class="ovr"))
    E("ap_pos_label_multiclass", "average_precision_score", dict(y_true=[0, 1, 2], y_score=[0.1, 0.2, 0.3], pos_label=2),
      lambda: M.average_precision_score(np.array([0, 1, 2]), np.array([0.1, 0.2, 0.3]), pos_label=2))
    E("ap_multiclass_1d", "average_precision_score", dict(y_true=[0, 1, 2], y_score=[0.1, 0.2, 0.3]),
      lambda: M.average_precision_score(np.array([0, 1, 2]), np.array([0.1, 0.2, 0.3])))
    E("ap_pos_label_strings", "average_precision_score", dict(y_true=["a", "b"], y_score=[0.1, 0.2]),
      lambda: M.average_precision_score(["a", "b"], [0.1, 0.2]))
    E("mse_lengths", "mean_squared_error", dict(y_true=[1.0, 2.0], y_pred=[1.0]),
      lambda: M.mean_squared_error([1.0, 2.0], [1.0]))
    E("mse_nan", "mean_squared_error", dict(y_true=[0.0, 1.0], y_pred=[0.1, float("nan")]),
      lambda: M.mean_squared_error([0.0, 1.0], [0.1, float("nan")]))
    E("r2_inf", "r2_score", dict(y_true=[0.0, float("inf")], y_pred=[0.1, 0.2]),
      lambda: M.r2_score([0.0, float("inf")], [0.1, 0.2]))
    E("mae_empty", "mean_absolute_error", dict(y_true=[], y_pred=[]), lambda: M.mean_absolute_error([], []))
    E("kfold_one_split", "KFold", dict(n_samples=5, n_splits=1, shuffle=False), lambda: KFold(1))
    E("kfold_random_state_no_shuffle", "KFold", dict(n_samples=5, n_splits=3, shuffle=False, random_state=0),
      lambda: KFold(3, random_state=0))
    E("kfold_too_many_splits", "KFold", dict(n_samples=3, n_splits=5, shuffle=False),
      lambda: list(KFold(5).split(np.zeros(3))))
    E("skfold_too_many_splits", "StratifiedKFold", dict(y=[0, 1], n_splits=3, shuffle=False),
      lambda: list(StratifiedKFold(3).split(np.zeros(2), [0, 1])))
    E("skfold_class_members", "StratifiedKFold", dict(y=[0, 0, 1, 1], n_splits=3, shuffle=False),
      lambda: list(StratifiedKFold(3).split(np.zeros(4), [0, 0, 1, 1])))
    for name, kw in [("test_size_zero", {"test_size": 0}), ("test_size_big_fraction", {"test_size": 1.5}),
                     ("train_size_zero_fraction", {"train_size": 0.0}), ("fraction_sum", {"test_size": 0.7, "train_size": 0.4}),
                     ("count_sum", {"test_size": 6, "train_size": 5}), ("test_size_all", {"test_size": 10}),
                     ("train_size_all", {"train_size": 10}), ("empty_train", {"train_size": 0.01}),
                     ("no_shuffle_stratify", {"shuffle": False, "stratify": list(range(10))}),
                     ("single_member_class", {"stratify": [0] * 9 + [1]}),
                     ("single_member_classes_strings", {"stratify": ["x"] * 8 + ["y", "z"]}),
                     ("test_below_classes", {"stratify": [0, 0, 1, 1, 2, 2, 3, 3, 4, 4], "test_size": 3}),
                     ("train_below_classes", {"stratify": [0] * 5 + [1] * 5, "train_size": 1}),
                     ("stratify_lengths", {"stratify": [0] * 9})]:
        E(f"tts_{name}", "train_test_split", dict(n_samples=10, **kw),
          lambda kw=kw: train_test_split(np.arange(10), **kw))
    E("tts_no_samples", "train_test_split", dict(n_samples=0), lambda: train_test_split(np.arange(0)))
    return fam


if __name__ == "__main__":
    assert sklearn.__version__ == "1.9.1", sklearn.__version__
    for family in [metrics_family(), splitters_family(), random_family(), errors_family()]:
        family.write()
