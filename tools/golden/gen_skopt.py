#!/usr/bin/env python3
"""Golden fixtures for kiln-learn's BayesSearchCV pieces (scikit-optimize 0.10.2).

Pinned: scikit-optimize 0.10.2, scikit-learn 1.9.1, numpy 2.4.6, scipy 1.17.1, Python
3.11 (the ~/peers venv). Run from the repository root:

    ~/peers/bin/python tools/golden/gen_skopt.py

Writes tools/golden/fixtures/skopt/bayes.json with what is deterministic:

- space: normalised transforms and inverse transforms of Integer / Real (uniform and
  log-uniform) and Categorical dimensions, as skopt's GP optimiser sets them
  (`normalize_dimensions`), and the error messages of bad dimensions;
- gp_fixed: skopt's GaussianProcessRegressor with its `cook_estimator("GP")` kernel at
  given hyper-parameters (`optimizer=None`): scikit-learn's log marginal likelihood and
  its gradient at theta, and skopt's predictions (mean, std and their gradients) with
  the white noise removed;
- acquisition: `_gaussian_acquisition` (EI, PI, LCB; xi=0.01, kappa=1.96) with gradients
  on that posterior;
- gp_fit: the GP `cook_estimator("GP", space)` fits (L-BFGS-B from 1 and two random
  restarts): its theta and log marginal likelihood, which kiln's own optimiser must
  reach;
- search: BayesSearchCV(DecisionTreeRegressor(random_state=0), random_state=0) on a
  small regression problem: every candidate in order with its mean test score (its
  first `n_initial_points` candidates come from the seeded stream alone, which kiln
  draws as skopt does).
"""

import json
import os

import numpy as np
import sklearn
import skopt
from sklearn.gaussian_process import GaussianProcessRegressor as SkGPR
from skopt.acquisition import _gaussian_acquisition, gaussian_acquisition_1D
from skopt.learning import GaussianProcessRegressor
from skopt.learning.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel
from skopt.space import Categorical, Integer, Real, Space
from skopt.utils import cook_estimator, normalize_dimensions

assert skopt.__version__ == "0.10.2", skopt.__version__
assert sklearn.__version__ == "1.9.1", sklearn.__version__


def space_cases():
    dims = [
        ("integer", Integer(2, 11), [2, 3, 7, 11], [[0.0], [0.05], [0.5], [0.944], [1.0]]),
        (
            "integer_log",
            Integer(1, 1000, prior="log-uniform"),
            [1, 10, 31, 1000],
            [[0.0], [0.25], [0.5], [0.9999]],
        ),
        ("real", Real(-1.5, 3.0), [-1.5, 0.0, 2.25, 3.0], [[0.0], [0.1], [0.77], [1.0]]),
        (
            "real_log",
            Real(1e-4, 1e-1, prior="log-uniform"),
            [1e-4, 3e-3, 0.1],
            [[0.0], [0.3], [1.0]],
        ),
        ("cat2", Categorical(["a", "b"]), ["a", "b"], [[0.2], [0.5], [0.51], [1.0]]),
        (
            "cat3",
            Categorical(["x", "y", "z"]),
            ["x", "y", "z"],
            [[1.0, 0.0, 0.0], [0.2, 0.7, 0.1], [0.3, 0.3, 0.4], [0.5, 0.5, 0.0]],
        ),
    ]
    out = []
    for name, dim, values, ts in dims:
        space = Space(normalize_dimensions([dim]))
        d = space.dimensions[0]
        fwd = [space.transform([[v]])[0].tolist() for v in values]
        inv = [space.inverse_transform(np.array([t]))[0][0] for t in ts]
        inv = [v.item() if hasattr(v, "item") else v for v in inv]
        out.append(
            {
                "name": name,
                "values": values,
                "transformed": fwd,
                "ts": ts,
                "inverse": inv,
                "transformed_size": d.transformed_size,
            }
        )
    return out


def errors():
    out = []
    for name, f in [
        ("integer_low_high", lambda: Integer(5, 2)),
        ("integer_equal", lambda: Integer(3, 3)),
        ("real_low_high", lambda: Real(1.0, 0.5)),
        ("real_prior", lambda: Real(0.1, 1.0, prior="normal")),
        ("real_log_zero", lambda: Real(0.0, 1.0, prior="log-uniform")),
    ]:
        try:
            f()
            raise AssertionError(name)
        except ValueError as e:
            out.append({"name": name, "message": str(e)})
    from sklearn.tree import DecisionTreeClassifier

    try:
        skopt.BayesSearchCV(DecisionTreeClassifier(), {}).fit(np.zeros((6, 1)), [0, 1] * 3)
    except ValueError as e:
        out.append({"name": "empty_space", "message": str(e)})
    return out


def kernel(c, ls, noise):
    return ConstantKernel(c, (0.01, 1000.0)) * Matern(
        length_scale=ls, length_scale_bounds=[(0.01, 100)] * len(ls), nu=2.5
    ) + WhiteKernel(noise, (1e-5, 1e5))


def gp_cases():
    rng = np.random.RandomState(3)
    X = rng.uniform(size=(9, 2))
    y = np.sin(4 * X[:, 0]) + X[:, 1] ** 2 - 0.3 * X[:, 0] * X[:, 1]
    Xt = np.vstack([rng.uniform(size=(5, 2)), X[2:3]])
    fixed = []
    for c, ls, noise in [(1.7, [0.3, 0.8], 0.05), (0.4, [2.0, 0.15], 1e-3)]:
        sk = SkGPR(kernel=kernel(c, ls, noise), optimizer=None, normalize_y=True, alpha=1e-10)
        sk.fit(X, y)
        theta = sk.kernel_.theta
        lml, grad = sk.log_marginal_likelihood(theta, eval_gradient=True)
        gp = GaussianProcessRegressor(
            kernel=kernel(c, ls, noise), optimizer=None, normalize_y=True, noise="gaussian"
        )
        gp.fit(X, y)
        mean, std = gp.predict(Xt, return_std=True)
        grads = []
        for x in Xt:
            m, s, gm, gs = gp.predict(
                x[None, :], return_std=True, return_mean_grad=True, return_std_grad=True
            )
            grads.append({"mean_grad": gm.tolist(), "std_grad": gs.tolist()})
        y_opt = float(np.min(y))
        acq = {}
        for f in ["EI", "PI", "LCB"]:
            vals = _gaussian_acquisition(Xt, gp, y_opt=y_opt, acq_func=f).tolist()
            g = [gaussian_acquisition_1D(x, gp, y_opt, f)[1].tolist() for x in Xt]
            acq[f] = {"values": vals, "grads": g}
        fixed.append(
            {
                "constant": c,
                "length_scale": ls,
                "noise_level": noise,
                "theta": theta.tolist(),
                "lml": float(lml),
                "lml_grad": grad.tolist(),
                "mean": mean.tolist(),
                "std": std.tolist(),
                "grads": grads,
                "y_opt": y_opt,
                "acquisition": acq,
            }
        )
    fits = []
    for seed in [0, 1]:
        est = cook_estimator("GP", space=[Real(0, 1), Real(0, 1)], random_state=seed)
        est.fit(X, y)
        fits.append(
            {
                "random_state": seed,
                # the white noise is zeroed after the fit (its log is -inf); `noise` has it
                "theta": est.kernel_.theta[:-1].tolist(),
                "lml": float(est.log_marginal_likelihood_value_),
                "noise": float(est.noise_),
            }
        )
    return {"X": X.tolist(), "y": y.tolist(), "X_test": Xt.tolist(), "fixed": fixed, "fits": fits}


def search_cases():
    """BayesSearchCV on a deterministic tree: the candidates in order and their scores."""
    from sklearn.tree import DecisionTreeRegressor

    i = np.arange(40)
    X = np.column_stack([i, (i * 7) % 13]).astype(float)
    y = np.sin(i / 6.0) * 3.0 + (i % 3) * 0.1
    out = []
    for name, space, n_iter in [
        ("tree_int", {"max_depth": Integer(1, 8), "min_samples_leaf": Integer(1, 8)}, 25),
        (
            "tree_mixed",
            {
                "max_depth": Integer(1, 6),
                "max_features": Categorical([None, "sqrt", 1]),
                "min_impurity_decrease": Real(1e-4, 1.0, prior="log-uniform"),
            },
            14,
        ),
    ]:
        bs = skopt.BayesSearchCV(
            DecisionTreeRegressor(random_state=0),
            space,
            n_iter=n_iter,
            cv=4,
            scoring="neg_mean_squared_error",
            random_state=0,
        )
        bs.fit(X, y)
        out.append(
            {
                "name": name,
                "n_iter": n_iter,
                "params": [dict(p) for p in bs.cv_results_["params"]],
                "mean_test_score": bs.cv_results_["mean_test_score"].tolist(),
                "best_params": dict(bs.best_params_),
                "best_score": float(bs.best_score_),
            }
        )
    return {"X": X.tolist(), "y": y.tolist(), "cases": out}


def main():
    doc = {
        "versions": {"skopt": skopt.__version__, "sklearn": sklearn.__version__, "numpy": np.__version__},
        "space": space_cases(),
        "errors": errors(),
        "gp": gp_cases(),
        "search": search_cases(),
    }
    path = os.path.join("tools", "golden", "fixtures", "skopt", "bayes.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print("wrote", path)


if __name__ == "__main__":
    main()
