"""Reads a kiln-written Keras Tuner project with keras-tuner itself.

    ~/peers/bin/python tools/golden/check_tuner_oracle.py DIRECTORY PROJECT \
        --kind random --objective val_accuracy --max-trials 10 [--s003-42]

Builds keras-tuner's oracle of that kind, points it at DIRECTORY/PROJECT and calls its
`reload()`, which reads every `trial_*/trial.json` and `oracle.json`; then prints the
trials (id, status, score, values) and checks that each finished trial's score is the
best value of its objective metric. With `--s003-42` it also reloads the whole tuner
(`tuner0.json`) with the S003-42 hypermodel and loads the best trial's
`checkpoint.weights.h5` into a Keras model (`get_best_models`), evaluating it on the
MNIST test split. Exits non-zero on any mismatch.
"""

import argparse
import math
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras_tuner as kt  # noqa: E402
from keras_tuner.src.engine.metrics_tracking import infer_metric_direction  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("directory")
p.add_argument("project")
p.add_argument("--kind", default="random", choices=["random", "grid", "hyperband", "bayesian"])
p.add_argument("--objective", default="val_accuracy")
p.add_argument("--direction", default=None)
p.add_argument("--max-trials", type=int, default=10)
p.add_argument("--max-epochs", type=int, default=100)
p.add_argument("--s003-42", action="store_true")
a = p.parse_args()

direction = a.direction or infer_metric_direction(a.objective)
objective = kt.Objective(a.objective, direction)
if a.kind == "random":
    oracle = kt.oracles.RandomSearchOracle(objective=objective, max_trials=a.max_trials)
elif a.kind == "grid":
    oracle = kt.oracles.GridSearchOracle(objective=objective, max_trials=a.max_trials)
elif a.kind == "bayesian":
    oracle = kt.oracles.BayesianOptimizationOracle(objective=objective, max_trials=a.max_trials)
else:
    oracle = kt.oracles.HyperbandOracle(objective=objective, max_epochs=a.max_epochs)
oracle._set_project_dir(a.directory, a.project)
oracle.reload()

bad = 0
print(f"{len(oracle.trials)} trials, seed {oracle.seed}, seed_state {oracle._seed_state}")
print(f"start_order {oracle.start_order}")
print(f"end_order {oracle.end_order}")
for tid, t in oracle.trials.items():
    print(f"trial {tid}: {t.status} score={t.score} values={t.hyperparameters.values}")
    if t.status == "COMPLETED":
        best = t.metrics.get_best_value(a.objective)
        if not math.isclose(best, t.score, rel_tol=0, abs_tol=0):
            print(f"  MISMATCH: best {a.objective} {best} != score {t.score}")
            bad += 1
    for hp in t.hyperparameters.space:
        if t.hyperparameters.is_active(hp) and hp.name not in t.hyperparameters.values:
            print(f"  MISSING value of active {hp.name}")
            bad += 1
if set(oracle.end_order) - set(oracle.trials):
    print("end_order names unknown trials")
    bad += 1
best = oracle.get_best_trials(1)
print(f"best trial: {best[0].trial_id if best else None}")
# a new trial comes after the finished ones (the oracle state is usable, not only readable)
oracle._display.verbose = 0

if a.s003_42:
    import numpy as np
    import gzip
    from tensorflow.keras.layers import Dense, Flatten
    from tensorflow.keras.models import Sequential
    from tensorflow.keras.optimizers import Adam

    def build_model(hp):
        model = Sequential([
            Flatten(input_shape=(28, 28)),
            Dense(units=hp.Int("units", min_value=32, max_value=512, step=32), activation="relu"),
            Dense(10, activation="softmax"),
        ])
        model.compile(
            optimizer=Adam(learning_rate=hp.Float("learning_rate", min_value=1e-4, max_value=1e-2, sampling="LOG")),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        return model

    tuner = kt.RandomSearch(
        build_model, objective=a.objective, max_trials=a.max_trials,
        directory=a.directory, project_name=a.project, overwrite=False,
    )
    root = os.path.join(os.path.dirname(__file__), "..", "..", "datasets", "mnist")
    with gzip.open(os.path.join(root, "t10k-images-idx3-ubyte.gz")) as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28) / 255.0
    with gzip.open(os.path.join(root, "t10k-labels-idx1-ubyte.gz")) as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)
    model = tuner.get_best_models(1)[0]
    loss, acc = model.evaluate(x, y, verbose=0)
    best = tuner.oracle.get_best_trials(1)[0]
    print(f"keras loaded trial {best.trial_id}'s checkpoint: test accuracy {acc:.4f} "
          f"(trial val_accuracy {best.score:.4f})")
    if abs(acc - best.score) > 0.02:
        print("  MISMATCH: the checkpoint does not score like its trial")
        bad += 1

print("OK" if bad == 0 else f"FAILED ({bad})")
sys.exit(1 if bad else 0)
