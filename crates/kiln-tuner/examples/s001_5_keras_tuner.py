#!/usr/bin/env python3
"""S001-5 in keras-tuner 1.4.8 / Keras 3.15.1 (TensorFlow 2.21), on the data the kiln
port (s001_5_hyperband.rs) uses: breast cancer standardised per feature, input_dim 30.

    ~/peers/bin/python crates/kiln-tuner/examples/s001_5_keras_tuner.py [--full]

Default max_epochs=4, --full the seed's 10; seed=1 as the port's default, so both
Hyperband oracles hand out the same trials (units and epochs); the best trial can
differ because TF and kiln train the networks with different random initial weights.
"""

import os
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from keras_tuner.tuners import Hyperband  # noqa: E402
from sklearn.datasets import load_breast_cancer  # noqa: E402
from tensorflow.keras.layers import Dense, Input  # noqa: E402
from tensorflow.keras.models import Sequential  # noqa: E402

full = "--full" in sys.argv
X, y = load_breast_cancer(return_X_y=True)
X_train = ((X - X.mean(axis=0)) / X.std(axis=0)).astype("float32")
y_train = y.astype("float32")
input_dim = X_train.shape[1]


def build_model(hp):
    model = Sequential()
    model.add(Input((input_dim,)))
    model.add(Dense(units=hp.Int("units", min_value=32, max_value=512, step=32), activation="relu"))
    model.add(Dense(1, activation="sigmoid"))
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


tuner = Hyperband(
    build_model,
    objective="val_accuracy",
    max_epochs=10 if full else 4,
    factor=3,
    seed=1,
    directory=tempfile.mkdtemp(),
    project_name="helloworld",
)
tuner.search(X_train, y_train, epochs=50, validation_split=0.2, verbose=1 if full else 0)
print("Trials:", len(tuner.oracle.trials))
print("Best Hyperparameters:", tuner.get_best_hyperparameters()[0].values)
