#!/usr/bin/env python3
"""Golden fixtures for kiln-learn's trees, forests, cross-validation and searches.

Pinned: scikit-learn 1.9.1, numpy 2.4.6, scipy 1.17.1, Python 3.11 (the ~/peers venv).
Run from the repository root:

    ~/peers/bin/python tools/golden/gen_sklearn_search.py

Writes tools/golden/fixtures/sklearn/{datasets,trees,search}.json:

- datasets.json: scikit-learn's iris, wine, breast_cancer and diabetes (X, y) as shipped
  with scikit-learn (they are small), and the train/test split each forest case uses.
- trees.json: single DecisionTreeClassifier/Regressor fits (structure: feature,
  threshold, children, impurity; predictions, probabilities, feature importances),
  with max_features=None and with sampled features (max_features="sqrt"/int, which
  exercises scikit-learn's splitter random stream); RandomForest fits with their test
  accuracy / R2, predictions and feature importances.
- search.json: cross_val_score / cross_validate scores, GridSearchCV cv_results_ on
  deterministic trees, ParameterSampler draws (randint, uniform, loguniform, lists) and
  RandomizedSearchCV results, and error messages.

Everything is deterministic (fixed random_state everywhere); running twice gives the
same files. kiln-learn's tests (crates/kiln-learn/tests/golden_forest.rs) say what each
comparison's tolerance is.
"""

import os

os.environ["OMP_NUM_THREADS"] = "1"

import json  # noqa: E402
import math  # noqa: E402

import numpy as np  # noqa: E402
import scipy  # noqa: E402
import scipy.stats as st  # noqa: E402
import sklearn  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, load_wine  # noqa: E402
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor  # noqa: E402
from sklearn.model_selection import (  # noqa: E402
    GridSearchCV,
    KFold,
    ParameterGrid,
    ParameterSampler,
    RandomizedSearchCV,
    cross_val_score,
    cross_validate,
    train_test_split,
)
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "sklearn")


def enc(v):
    if isinstance(v, dict):
        return {str(k): enc(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [enc(x) for x in v]
    if isinstance(v, np.ndarray):
        return enc(v.tolist())
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if math.isnan(f):
            return "nan"
        if math.isinf(f):
            return "inf" if f > 0 else "-inf"
        return f
    return v


def write(name, cases):
    names = [c["name"] for c in cases]
    assert len(names) == len(set(names)), "duplicate case names"
    doc = {"sklearn_version": sklearn.__version__, "numpy_version": np.__version__,
           "scipy_version": scipy.__version__, "cases": enc(cases)}
    path = os.path.join(OUT, f"{name}.json")
    with open(path, "w") as f:
        f.write("{\n")
        f.write(f'"sklearn_version": {json.dumps(doc["sklearn_version"])},\n')
        f.write(f'"numpy_version": {json.dumps(doc["numpy_version"])},\n')
        f.write(f'"scipy_version": {json.dumps(doc["scipy_version"])},\n')
        f.write('"cases": [\n')
        f.write(",\n".join(json.dumps(c, separators=(",", ":")) for c in doc["cases"]))
        f.write("\n]}\n")
    with open(path) as f:
        json.load(f)
    print(f"{path}: {len(cases)} cases, {os.path.getsize(path)} bytes")


DATA = {
    "iris": load_iris(return_X_y=True),
    "wine": load_wine(return_X_y=True),
    "breast_cancer": load_breast_cancer(return_X_y=True),
    "diabetes": load_diabetes(return_X_y=True),
}


def split(key):
    X, y = DATA[key]
    idx = np.arange(len(y))
    tr, te = train_test_split(idx, test_size=0.25, random_state=0)
    return tr, te


def tree_struct(t):
    tr = t.tree_
    return {
        "node_count": tr.node_count,
        "feature": tr.feature,
        "threshold": tr.threshold,
        "children_left": tr.children_left,
        "children_right": tr.children_right,
        "impurity": tr.impurity,
        "n_node_samples": tr.n_node_samples,
        "max_depth": tr.max_depth,
    }


def datasets():
    cases = []
    for key, (X, y) in DATA.items():
        tr, te = split(key)
        cases.append({"name": key, "X": X, "y": y, "train": tr, "test": te})
    return cases


def trees():
    cases = []
    tree_params = [
        ("iris", {"random_state": 0}),
        ("iris", {"max_depth": 3, "random_state": 5}),
        ("iris", {"criterion": "entropy", "min_samples_leaf": 3, "random_state": 0}),
        ("iris", {"max_features": "sqrt", "random_state": 0}),
        ("wine", {"random_state": 0}),
        ("wine", {"max_features": "sqrt", "random_state": 3}),
        ("wine", {"criterion": "log_loss", "max_depth": 4, "min_samples_split": 10,
                  "random_state": 1}),
        ("breast_cancer", {"random_state": 0}),
        ("breast_cancer", {"max_features": 0.3, "random_state": 7}),
        ("breast_cancer", {"max_features": "log2", "min_samples_leaf": 0.02,
                           "random_state": 2}),
    ]
    for i, (key, params) in enumerate(tree_params):
        X, y = DATA[key]
        tr, te = split(key)
        t = DecisionTreeClassifier(**params).fit(X[tr], y[tr])
        cases.append({
            "name": f"tree_clf/{i}/{key}", "kind": "DecisionTreeClassifier", "data": key,
            "params": params, "tree": tree_struct(t), "predict": t.predict(X[te]),
            "predict_proba": t.predict_proba(X[te]),
            "feature_importances": t.feature_importances_,
            "score": t.score(X[te], y[te]),
        })
    reg_params = [
        ("diabetes", {"max_depth": 4, "random_state": 0}),
        ("diabetes", {"min_samples_leaf": 5, "random_state": 0}),
        ("diabetes", {"max_features": "sqrt", "max_depth": 6, "random_state": 4}),
    ]
    for i, (key, params) in enumerate(reg_params):
        X, y = DATA[key]
        tr, te = split(key)
        t = DecisionTreeRegressor(**params).fit(X[tr], y[tr])
        cases.append({
            "name": f"tree_reg/{i}/{key}", "kind": "DecisionTreeRegressor", "data": key,
            "params": params, "tree": tree_struct(t), "predict": t.predict(X[te]),
            "feature_importances": t.feature_importances_,
            "score": t.score(X[te], y[te]),
        })
    forest_params = [
        ("iris", {"random_state": 0}),
        ("wine", {"random_state": 0}),
        ("breast_cancer", {"random_state": 0}),
        ("breast_cancer", {"n_estimators": 30, "max_depth": 5, "max_features": 0.5,
                           "oob_score": True, "random_state": 11}),
    ]
    for i, (key, params) in enumerate(forest_params):
        X, y = DATA[key]
        tr, te = split(key)
        f = RandomForestClassifier(**params).fit(X[tr], y[tr])
        case = {
            "name": f"forest_clf/{i}/{key}", "kind": "RandomForestClassifier", "data": key,
            "params": params, "predict": f.predict(X[te]),
            "predict_proba": f.predict_proba(X[te]),
            "feature_importances": f.feature_importances_,
            "score": f.score(X[te], y[te]),
            "first_tree": tree_struct(f.estimators_[0]),
        }
        if params.get("oob_score"):
            case["oob_score"] = f.oob_score_
        cases.append(case)
    X, y = DATA["diabetes"]
    tr, te = split("diabetes")
    params = {"n_estimators": 50, "random_state": 0}
    f = RandomForestRegressor(**params).fit(X[tr], y[tr])
    cases.append({
        "name": "forest_reg/0/diabetes", "kind": "RandomForestRegressor", "data": "diabetes",
        "params": params, "predict": f.predict(X[te]),
        "feature_importances": f.feature_importances_, "score": f.score(X[te], y[te]),
        "first_tree": tree_struct(f.estimators_[0]),
    })
    return cases


def cv_results(gs, n_splits):
    r = gs.cv_results_
    out = {
        "params": r["params"],
        "split_test_scores": [r[f"split{k}_test_score"] for k in range(n_splits)],
        "mean_test_score": r["mean_test_score"],
        "std_test_score": r["std_test_score"],
        "rank_test_score": r["rank_test_score"],
        "best_index": gs.best_index_,
        "best_score": gs.best_score_,
        "best_params": gs.best_params_,
    }
    if "mean_train_score" in r:
        out["split_train_scores"] = [r[f"split{k}_train_score"] for k in range(n_splits)]
        out["mean_train_score"] = r["mean_train_score"]
    return out


def search():
    cases = []
    # cross_val_score on deterministic trees
    for key, scoring, cv in [
        ("iris", None, 5), ("iris", "f1_macro", 3), ("wine", "accuracy", 4),
        ("breast_cancer", "roc_auc", 5), ("breast_cancer", "f1", 3),
        ("breast_cancer", "precision_weighted", 5), ("wine", "roc_auc_ovr", 3),
        ("wine", "balanced_accuracy", 5),
    ]:
        X, y = DATA[key]
        est = DecisionTreeClassifier(max_depth=3, random_state=0)
        s = cross_val_score(est, X, y, scoring=scoring, cv=cv)
        cases.append({"name": f"cross_val_score/{key}/{scoring}/{cv}", "fn": "cross_val_score",
                      "data": key, "estimator": "DecisionTreeClassifier",
                      "params": {"max_depth": 3, "random_state": 0}, "scoring": scoring,
                      "cv": cv, "expect": s})
    X, y = DATA["diabetes"]
    for scoring in [None, "neg_mean_squared_error", "neg_mean_absolute_error",
                    "neg_root_mean_squared_error", "r2"]:
        est = DecisionTreeRegressor(max_depth=3, random_state=0)
        s = cross_val_score(est, X, y, scoring=scoring, cv=5)
        cases.append({"name": f"cross_val_score/diabetes/{scoring}/5", "fn": "cross_val_score",
                      "data": "diabetes", "estimator": "DecisionTreeRegressor",
                      "params": {"max_depth": 3, "random_state": 0}, "scoring": scoring,
                      "cv": 5, "expect": s})
    # cross_validate with shuffled KFold, train scores, several metrics
    X, y = DATA["wine"]
    res = cross_validate(DecisionTreeClassifier(max_depth=2, random_state=0), X, y,
                         cv=KFold(4, shuffle=True, random_state=0),
                         scoring=["accuracy", "f1_macro"], return_train_score=True)
    cases.append({"name": "cross_validate/wine", "fn": "cross_validate", "data": "wine",
                  "estimator": "DecisionTreeClassifier",
                  "params": {"max_depth": 2, "random_state": 0},
                  "kfold": {"n_splits": 4, "shuffle": True, "random_state": 0},
                  "scoring": ["accuracy", "f1_macro"],
                  "expect": {k: v for k, v in res.items() if "time" not in k}})
    # GridSearchCV
    grids = [
        ("iris", {"max_depth": [1, 2, 3, None], "min_samples_leaf": [1, 5],
                  "criterion": ["gini", "entropy"]}, None, 5, False),
        ("wine", [{"max_depth": [2, 4], "max_features": [None, "sqrt"]},
                  {"min_samples_split": [2, 10, 0.2]}], "f1_macro", 3, True),
        ("breast_cancer", {"max_depth": [1, 2, 3, 4, 5]}, "roc_auc", 5, False),
    ]
    for key, grid, scoring, cv, train in grids:
        X, y = DATA[key]
        gs = GridSearchCV(DecisionTreeClassifier(random_state=0), grid, scoring=scoring,
                          cv=cv, return_train_score=train).fit(X, y)
        cases.append({"name": f"grid/{key}", "fn": "GridSearchCV", "data": key,
                      "estimator": "DecisionTreeClassifier", "params": {"random_state": 0},
                      "grid": grid, "scoring": scoring, "cv": cv,
                      "return_train_score": train,
                      "expect": cv_results(gs, cv),
                      "best_predict": gs.best_estimator_.predict(X)})
    X, y = DATA["diabetes"]
    grid = {"max_depth": [2, 3, 5], "min_samples_leaf": [1, 10]}
    gs = GridSearchCV(DecisionTreeRegressor(random_state=0), grid,
                      scoring="neg_mean_squared_error", cv=4).fit(X, y)
    cases.append({"name": "grid/diabetes", "fn": "GridSearchCV", "data": "diabetes",
                  "estimator": "DecisionTreeRegressor", "params": {"random_state": 0},
                  "grid": grid, "scoring": "neg_mean_squared_error", "cv": 4,
                  "return_train_score": False, "expect": cv_results(gs, 4),
                  "best_predict": gs.best_estimator_.predict(X)})
    # ParameterGrid order
    pg = [{"b": [1, 2], "a": ["x", "y", "z"]}, {"c": [0.5]}, {}]
    cases.append({"name": "parameter_grid", "fn": "ParameterGrid", "grid": pg,
                  "expect": list(ParameterGrid(pg))})
    # ParameterSampler draws
    samplers = [
        ("dists", [{"max_depth": ("randint", 1, 20), "min_impurity_decrease": ("uniform", 0.0, 0.1),
                    "alpha": ("loguniform", 1e-4, 1e2), "criterion": ("list", ["gini", "entropy"])}],
         12, 0),
        ("two_dicts", [{"a": ("randint", -5, 5)}, {"b": ("uniform", 2.0, 3.0),
                                                     "c": ("list", [1, 2, 3])}], 10, 42),
        ("lists_perm", [{"a": ("list", [1, 2, 3, 4]), "b": ("list", ["u", "v", "w"])}], 5, 3),
        ("lists_reservoir", [{"a": ("list", [1, 2, 3]), "b": ("list", [True, False])}], 6, 1),
        ("lists_small_grid", [{"a": ("list", [1, 2])}], 5, 0),
        ("lists_tracking", [{"a": ("list", list(range(40))), "b": ("list", list(range(10)))}], 3, 5),
    ]
    for name, dists, n_iter, seed in samplers:
        py = []
        for d in dists:
            pd = {}
            for k, spec in d.items():
                kind = spec[0]
                if kind == "randint":
                    pd[k] = st.randint(spec[1], spec[2])
                elif kind == "uniform":
                    pd[k] = st.uniform(spec[1], spec[2])
                elif kind == "loguniform":
                    pd[k] = st.loguniform(spec[1], spec[2])
                else:
                    pd[k] = spec[1]
            py.append(pd)
        import warnings
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            drawn = list(ParameterSampler(py if len(py) > 1 else py[0], n_iter=n_iter,
                                          random_state=seed))
        cases.append({"name": f"sampler/{name}", "fn": "ParameterSampler", "dists": dists,
                      "n_iter": n_iter, "random_state": seed, "expect": drawn,
                      "warnings": [str(x.message) for x in w]})
    # RandomizedSearchCV
    X, y = DATA["wine"]
    rs = RandomizedSearchCV(DecisionTreeClassifier(random_state=0),
                            {"max_depth": st.randint(1, 8), "min_samples_leaf": st.randint(1, 20),
                             "min_impurity_decrease": st.uniform(0.0, 0.05)},
                            n_iter=8, cv=3, random_state=0, scoring="accuracy").fit(X, y)
    cases.append({"name": "randomized/wine", "fn": "RandomizedSearchCV", "data": "wine",
                  "estimator": "DecisionTreeClassifier", "params": {"random_state": 0},
                  "dists": [{"max_depth": ("randint", 1, 8), "min_samples_leaf": ("randint", 1, 20),
                             "min_impurity_decrease": ("uniform", 0.0, 0.05)}],
                  "n_iter": 8, "cv": 3, "random_state": 0, "scoring": "accuracy",
                  "expect": cv_results(rs, 3)})
    # errors
    X, y = DATA["iris"]
    errs = []

    def err(name, f):
        try:
            f()
        except Exception as e:  # noqa: BLE001
            errs.append({"name": f"error/{name}", "fn": "error", "error": str(e)})
        else:
            raise AssertionError(name)

    err("n_estimators_0", lambda: RandomForestClassifier(n_estimators=0).fit(X, y))
    err("max_depth_0", lambda: DecisionTreeClassifier(max_depth=0).fit(X, y))
    err("forest_max_depth_0", lambda: RandomForestRegressor(max_depth=0).fit(X, y * 1.0))
    err("not_fitted_tree", lambda: DecisionTreeClassifier().predict(X))
    err("not_fitted_forest", lambda: RandomForestClassifier().predict(X))
    err("not_fitted_reg", lambda: RandomForestRegressor().predict(X))
    err("tree_length", lambda: DecisionTreeClassifier().fit(X, y[:-1]))
    err("forest_length", lambda: RandomForestClassifier().fit(X, y[:-1]))
    err("grid_unknown", lambda: GridSearchCV(DecisionTreeClassifier(), {"foo": [1]}).fit(X, y))
    err("set_params_unknown", lambda: RandomForestClassifier(max_depth=3).set_params(foo=1))
    from sklearn.metrics import get_scorer
    err("unknown_scoring", lambda: get_scorer("foo"))
    err("min_samples_split_1", lambda: DecisionTreeClassifier(min_samples_split=1).fit(X, y))
    err("max_features_0", lambda: RandomForestClassifier(max_features=0).fit(X, y))
    err("oob_without_bootstrap",
        lambda: RandomForestClassifier(bootstrap=False, oob_score=True).fit(X, y))
    err("feature_mismatch", lambda: DecisionTreeClassifier().fit(X, y).predict(X[:, :2]))
    cases.extend(errs)
    return cases


if __name__ == "__main__":
    write("datasets", datasets())
    write("trees", trees())
    write("search", search())
