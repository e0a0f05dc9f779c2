"""Golden fixtures for kiln-tuner from keras-tuner 1.4.7 (and scikit-learn 1.9.1).

Writes tools/golden/fixtures/keras_tuner.json:
  random_search   RandomSearchOracle's trial values for fixed seeds and spaces (log and
                  reverse-log sampling, conditional scopes, Choice of str/int, Boolean,
                  Fixed, an exhaustible space), with the oracle's value hashes
  grid_search     GridSearchOracle's candidate order until it stops
  hyperband       HyperbandOracle's schedule for max_epochs 10, 27, 81 (factor 3) under a
                  deterministic fake objective score(values, epochs)
  bayesian        BayesianOptimizationOracle's trials under a fake objective
  gp              sklearn GaussianProcessRegressor (Matern nu=2.5, alpha=1e-4,
                  normalize_y=True, n_restarts_optimizer=20) posterior mean/std
  directions      infer_metric_direction for metric names
  summaries       search_space_summary() / results_summary() output of a tuner
  conversions     prob_to_value / value_to_prob of each kind of hyperparameter

Every space is declared by the same calls in crates/kiln-tuner/tests/golden_keras_tuner.rs.
Run from the repository root: ~/peers/bin/python tools/golden/gen_keras_tuner.py
"""

import contextlib
import io
import json
import math
import os
import shutil
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras_tuner as kt  # noqa: E402
import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from keras_tuner.src.engine.metrics_tracking import infer_metric_direction  # noqa: E402
from sklearn.gaussian_process import GaussianProcessRegressor  # noqa: E402
from sklearn.gaussian_process.kernels import Matern  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "fixtures", "keras_tuner.json")


# --- the spaces (mirrored in Rust) -------------------------------------------------


def space_s003_42():
    hp = kt.HyperParameters()
    hp.Int("units", min_value=32, max_value=512, step=32)
    hp.Float("learning_rate", min_value=1e-4, max_value=1e-2, sampling="LOG")
    return hp


def space_conditional():
    hp = kt.HyperParameters()
    hp.Choice("model_type", ["mlp", "cnn"])
    with hp.conditional_scope("model_type", ["mlp"]):
        hp.Int("units", 16, 128, step=16)
        hp.Boolean("dropout")
    with hp.conditional_scope("model_type", ["cnn"]):
        hp.Int("filters", 8, 64, step=2, sampling="log")
        hp.Choice("kernel", [3, 5])
    hp.Float("momentum", 0.1, 0.9, sampling="reverse_log")
    hp.Int("width", 1, 1000, sampling="log")
    return hp


def space_mixed():
    hp = kt.HyperParameters()
    hp.Choice("activation", ["relu", "tanh", "gelu"])
    hp.Choice("batch", [16, 32, 64, 128])
    hp.Boolean("bn", default=True)
    hp.Fixed("version", 3)
    hp.Float("dropout", 0.0, 0.5, step=0.1)
    hp.Int("layers", 1, 4)
    hp.Choice("rate", [0.1, 0.01, 0.001])
    return hp


def space_small():
    hp = kt.HyperParameters()
    hp.Choice("opt", ["a", "b", "c"])
    return hp


def space_grid_basic():
    hp = kt.HyperParameters()
    hp.Int("a", 1, 3)
    hp.Choice("b", ["x", "y"], default="y")
    hp.Boolean("c")
    return hp


def space_grid_conditional():
    hp = kt.HyperParameters()
    hp.Choice("model", ["lin", "mlp"])
    with hp.conditional_scope("model", ["mlp"]):
        hp.Int("units", 8, 32, step=8)
    hp.Float("lr", 0.0, 1.0, step=0.25)
    return hp


def space_grid_stepless():
    hp = kt.HyperParameters()
    hp.Float("f", 0.0, 1.0)
    hp.Int("n", 1, 100, sampling="log")
    return hp


def space_hyperband():
    hp = kt.HyperParameters()
    hp.Float("x", 0.0, 1.0)
    hp.Int("u", 1, 10)
    return hp


def space_bayesian():
    hp = kt.HyperParameters()
    hp.Float("x", -2.0, 2.0)
    hp.Float("y", 1e-3, 1.0, sampling="log")
    hp.Int("k", 1, 8)
    return hp


SPACES = {
    "s003_42": space_s003_42,
    "conditional": space_conditional,
    "mixed": space_mixed,
    "small": space_small,
    "grid_basic": space_grid_basic,
    "grid_conditional": space_grid_conditional,
    "grid_stepless": space_grid_stepless,
    "hyperband": space_hyperband,
    "bayesian": space_bayesian,
}


def tag(v):
    """A value with its Python type, so 1, 1.0 and True stay apart in JSON."""
    if isinstance(v, bool):
        return ["bool", v]
    if isinstance(v, int):
        return ["int", v]
    if isinstance(v, float):
        return ["float", v]
    return ["str", str(v)]


def tagged(values):
    return [[k, tag(v)] for k, v in values.items()]


def numeric_score(values):
    """A deterministic objective of the trial values (shared with Rust)."""
    s = 0.0
    for k in sorted(values):
        v = values[k]
        if k.startswith("tuner/"):
            continue
        if isinstance(v, bool):
            s += 0.5 if v else 0.0
        elif isinstance(v, (int, float)):
            s += math.sin(float(v) * 1.7 + len(k))
        else:
            s += 0.1 * len(v)
    return s


def drive(oracle, score, limit):
    oracle._display.verbose = 0
    trials = []
    for _ in range(limit):
        t = oracle.create_trial("tuner0")
        if t.status != "RUNNING":
            trials.append({"status": t.status})
            break
        values = dict(t.hyperparameters.values)
        s = score(values)
        oracle.update_trial(t.trial_id, {"score": s})
        t.status = "COMPLETED"
        oracle.end_trial(t)
        trials.append(
            {"trial_id": t.trial_id, "values": tagged(values), "score": s}
        )
    return trials


def with_dir(make):
    d = tempfile.mkdtemp()
    try:
        oracle = make()
        oracle._set_project_dir(d, "p")
        return oracle, d
    except Exception:
        shutil.rmtree(d)
        raise


def gen_random():
    cases = []
    for name, seed, max_trials in [
        ("s003_42", 1, 10),
        ("s003_42", 4242, 12),
        ("conditional", 7, 20),
        ("mixed", 123, 15),
        ("small", 5, 10),
    ]:
        oracle, d = with_dir(
            lambda: kt.oracles.RandomSearchOracle(
                objective=kt.Objective("score", "min"),
                max_trials=max_trials,
                seed=seed,
                hyperparameters=SPACES[name](),
            )
        )
        trials = drive(oracle, numeric_score, max_trials + 2)
        state = oracle.get_state()
        cases.append(
            {
                "space": name,
                "seed": seed,
                "max_trials": max_trials,
                "trials": trials,
                "tried_so_far": sorted(state["tried_so_far"]),
                "seed_state": state["seed_state"],
                "best": [t.trial_id for t in oracle.get_best_trials(3)],
            }
        )
        shutil.rmtree(d)
    return cases


def gen_grid():
    cases = []
    for name, max_trials in [
        ("grid_basic", None),
        ("grid_conditional", None),
        ("grid_stepless", None),
        ("s003_42", 20),
    ]:
        oracle, d = with_dir(
            lambda: kt.oracles.GridSearchOracle(
                objective=kt.Objective("score", "min"),
                max_trials=max_trials,
                seed=3,
                hyperparameters=SPACES[name](),
            )
        )
        trials = drive(oracle, numeric_score, 300)
        cases.append({"space": name, "max_trials": max_trials, "trials": trials})
        shutil.rmtree(d)
    return cases


def hb_score(values):
    x = values["x"]
    u = values["u"]
    e = values["tuner/epochs"]
    return (x - 0.3) ** 2 + u / (10.0 * e)


def gen_hyperband():
    cases = []
    for max_epochs in [10, 27, 81]:
        oracle, d = with_dir(
            lambda: kt.oracles.HyperbandOracle(
                objective=kt.Objective("score", "min"),
                max_epochs=max_epochs,
                factor=3,
                seed=11,
                hyperparameters=space_hyperband(),
            )
        )
        trials = drive(oracle, hb_score, 1000)
        cases.append({"max_epochs": max_epochs, "factor": 3, "trials": trials})
        shutil.rmtree(d)
    return cases


def bo_score(values):
    return (values["x"] - 0.5) ** 2 + math.log10(values["y"]) ** 2 / 4 + 0.1 * values["k"]


def gen_bayesian():
    oracle, d = with_dir(
        lambda: kt.oracles.BayesianOptimizationOracle(
            objective=kt.Objective("score", "min"),
            max_trials=14,
            seed=17,
            hyperparameters=space_bayesian(),
        )
    )
    trials = drive(oracle, bo_score, 20)
    shutil.rmtree(d)
    return {"space": "bayesian", "seed": 17, "max_trials": 14, "trials": trials}


def gen_gp():
    rng = np.random.RandomState(0)
    cases = []
    for n, dim in [(6, 2), (10, 3), (15, 4)]:
        x = rng.uniform(0, 1, size=(n, dim))
        y = np.sin(3 * x).sum(axis=1) + 0.3 * x[:, 0] ** 2
        xt = rng.uniform(0, 1, size=(5, dim))
        fitted = GaussianProcessRegressor(
            kernel=Matern(nu=2.5),
            n_restarts_optimizer=20,
            normalize_y=True,
            alpha=1e-4,
            random_state=1,
        ).fit(x, y)
        ls = float(fitted.kernel_.length_scale)
        m, s = fitted.predict(xt, return_std=True)
        fixed = []
        for fls in [1.0, 0.37, ls]:
            g = GaussianProcessRegressor(
                kernel=Matern(length_scale=fls, nu=2.5),
                optimizer=None,
                normalize_y=True,
                alpha=1e-4,
            ).fit(x, y)
            fm, fs = g.predict(xt, return_std=True)
            fixed.append(
                {
                    "length_scale": fls,
                    "mean": fm.tolist(),
                    "std": fs.tolist(),
                    "lml": float(g.log_marginal_likelihood_value_),
                }
            )
        cases.append(
            {
                "x": x.tolist(),
                "y": y.tolist(),
                "x_test": xt.tolist(),
                "fitted_length_scale": ls,
                "fitted_mean": m.tolist(),
                "fitted_std": s.tolist(),
                "fixed": fixed,
            }
        )
    return cases


DIRECTION_NAMES = (
    "loss val_loss accuracy val_accuracy acc val_acc mse val_mse mae mean_squared_error "
    "binary_accuracy val_sparse_categorical_accuracy categorical_accuracy auc val_auc "
    "precision recall AUC Precision top_k_categorical_accuracy crossentropy ce "
    "weighted_loss val_weighted_accuracy categorical_crossentropy binary_crossentropy "
    "sparse_categorical_crossentropy mean_absolute_error rmse root_mean_squared_error "
    "hinge kl_divergence cosine_similarity f1_score r2_score foo val_foo true_positives "
    "false_negatives iou mape msle log_cosh logcosh poisson BinaryAccuracy "
    "MeanSquaredError squared_hinge"
).split()


def gen_directions():
    return [[n, infer_metric_direction(n)] for n in DIRECTION_NAMES]


class ScoreTuner(kt.RandomSearch):
    def run_trial(self, trial, *args, **kwargs):
        return {"score": numeric_score(trial.hyperparameters.values)}


def build_conditional(hp):
    hp.Choice("model_type", ["mlp", "cnn"])
    with hp.conditional_scope("model_type", ["mlp"]):
        hp.Int("units", 16, 128, step=16)
        hp.Boolean("dropout")
    with hp.conditional_scope("model_type", ["cnn"]):
        hp.Int("filters", 8, 64, step=2, sampling="log")
        hp.Choice("kernel", [3, 5])
    hp.Float("momentum", 0.1, 0.9, sampling="reverse_log")
    hp.Int("width", 1, 1000, sampling="log")
    hp.Fixed("version", "v1")
    return None


def gen_summaries():
    d = tempfile.mkdtemp()
    cwd = os.getcwd()
    os.chdir(d)
    try:
        tuner = ScoreTuner(
            build_conditional,
            objective=kt.Objective("score", "min"),
            max_trials=4,
            seed=9,
            directory="kt_dir",
            project_name="proj",
        )
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            tuner.search_space_summary()
        space = buf.getvalue().splitlines()
        with contextlib.redirect_stdout(io.StringIO()):
            tuner.search(verbose=0)
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            tuner.results_summary(3)
        results = buf.getvalue().splitlines()
        trials = [
            {"trial_id": t.trial_id, "values": tagged(t.hyperparameters.values)}
            for t in tuner.oracle.trials.values()
        ]
    finally:
        os.chdir(cwd)
        shutil.rmtree(d)
    return {
        "search_space_summary": space,
        "results_summary": results,
        "trials": trials,
    }


def gen_conversions():
    hp = kt.HyperParameters()
    hp.Int("i_lin", 32, 512, step=32)
    hp.Int("i_free_log", 1, 1000, sampling="log")
    hp.Int("i_step_log", 2, 64, step=2, sampling="log")
    hp.Int("i_rev", 1, 100, step=3, sampling="reverse_log")
    hp.Float("f_log", 1e-4, 1e-2, sampling="log")
    hp.Float("f_rev", 0.1, 0.9, sampling="reverse_log")
    hp.Float("f_step", 0.0, 1.0, step=0.1)
    hp.Float("f_step_log", 1e-3, 10.0, step=10, sampling="log")
    hp.Choice("c_str", ["a", "b", "c"])
    hp.Choice("c_int", [1, 2, 4, 8, 16])
    hp.Boolean("b")
    probs = [0.0, 0.03, 0.1, 0.25, 0.333, 0.5, 0.61, 0.75, 0.9, 0.99, 0.999999]
    out = []
    for p in hp.space:
        vals = [p.prob_to_value(q) for q in probs]
        back = [p.value_to_prob(v) for v in vals]
        out.append(
            {
                "name": p.name,
                "to_value": [tag(v) for v in vals],
                "to_prob": back,
                "values": [tag(v) for v in p.values],
                "default": tag(p.default),
            }
        )
    return {"probs": probs, "hps": out}


def main():
    fixture = {
        "keras_tuner_version": kt.__version__,
        "sklearn_version": sklearn.__version__,
        "python_version": sys.version.split()[0],
        "random_search": gen_random(),
        "grid_search": gen_grid(),
        "hyperband": gen_hyperband(),
        "bayesian": gen_bayesian(),
        "gp": gen_gp(),
        "directions": gen_directions(),
        "summaries": gen_summaries(),
        "conversions": gen_conversions(),
    }
    with open(OUT, "w") as f:
        json.dump(fixture, f, indent=1, sort_keys=True)
        f.write("\n")
    with open(OUT) as f:
        back = json.load(f)
    print(f"{OUT}: {os.path.getsize(OUT)} bytes, keys {sorted(back)}")


if __name__ == "__main__":
    main()
