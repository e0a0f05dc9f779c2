#!/usr/bin/env python3
"""S001-4 in scikit-learn 1.9.1 / scikit-optimize 0.10.2, on the data and with the
random_state the kiln port (s001_4_rf_search.rs) uses: breast cancer, random_state=0.

    ~/peers/bin/python crates/kiln-learn/examples/s001_4_sklearn.py [--full] [--show]

GridSearchCV and RandomizedSearchCV print the same best parameters and scores as kiln
(kiln's forests, splits and samplers are scikit-learn's for the same seeds);
BayesSearchCV's initial random candidates are the same too (kiln follows skopt's NumPy
stream); GP-guided ones agree while kiln's optimiser rounds to the same points as
scipy's L-BFGS-B (`--show` lists them on both sides).
"""

import sys

from scipy.stats import randint
from skopt import BayesSearchCV
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV

full = "--full" in sys.argv
X_train, y_train = load_breast_cancer(return_X_y=True)

if full:
    param_grid = {"n_estimators": [100, 200, 300], "max_depth": [10, 20, 30], "min_samples_split": [2, 5, 10]}
else:
    param_grid = {"n_estimators": [10, 20], "max_depth": [3, 10], "min_samples_split": [2, 10]}
grid_search = GridSearchCV(estimator=RandomForestClassifier(random_state=0), param_grid=param_grid, cv=3, n_jobs=-1, verbose=1)
grid_search.fit(X_train, y_train)
print("Best Hyperparameters:", grid_search.best_params_)
print("Best score: %.6f" % grid_search.best_score_)

n_iter, trees = (100, (100, 500)) if full else (5, (10, 30))
param_dist = {"n_estimators": randint(*trees), "max_depth": randint(10, 50), "min_samples_split": randint(2, 11)}
random_search = RandomizedSearchCV(
    estimator=RandomForestClassifier(random_state=0), param_distributions=param_dist, n_iter=n_iter, cv=3, n_jobs=-1, verbose=1, random_state=0
)
random_search.fit(X_train, y_train)
print("Best Hyperparameters:", random_search.best_params_)
print("Best score: %.6f" % random_search.best_score_)

n_iter, trees, initial = (32, (100, 500), 10) if full else (6, (10, 30), 3)
param_space = {"n_estimators": trees, "max_depth": (10, 50), "min_samples_split": (2, 11)}
bayes_search = BayesSearchCV(
    estimator=RandomForestClassifier(random_state=0), search_spaces=param_space, n_iter=n_iter, cv=3, n_jobs=-1,
    random_state=0, optimizer_kwargs={"n_initial_points": initial},
)
bayes_search.fit(X_train, y_train)
if "--show" in sys.argv:
    for p, m in zip(bayes_search.cv_results_["params"], bayes_search.cv_results_["mean_test_score"]):
        print(dict(p), m)
print("Best Hyperparameters:", dict(bayes_search.best_params_))
print("Best score: %.6f" % bayes_search.best_score_)
