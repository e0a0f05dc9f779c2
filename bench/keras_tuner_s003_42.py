"""S003-42 in keras-tuner + Keras: the peer of
crates/kiln-tuner/examples/s003_42_tuner_mnist.rs, with the same flags and the same
scaled-down default (3 trials x 1 execution x 1 epoch, 2 final epochs; --full is the
seed's 10 x 2 x 5 and 10 final epochs). Prints `[timing] search S s, total T s`.

~/peers/bin/python bench/keras_tuner_s003_42.py --full
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import keras_tuner as kt  # noqa: E402
from tensorflow.keras.layers import Dense, Flatten  # noqa: E402
from tensorflow.keras.models import Sequential  # noqa: E402
from tensorflow.keras.optimizers import Adam  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--full", action="store_true")
p.add_argument("--trials", type=int, default=3)
p.add_argument("--executions", type=int, default=1)
p.add_argument("--epochs", type=int, default=1)
p.add_argument("--final-epochs", type=int, default=2)
p.add_argument("--train", type=int, default=0)
p.add_argument("--dir", default="my_dir")
p.add_argument("--seed", type=int, default=None)
a = p.parse_args()
if a.full:
    a.trials, a.executions, a.epochs, a.final_epochs, a.train = 10, 2, 5, 10, 0

start = time.time()


def load_mnist():
    # the shipped IDX files (same data as kiln's loader), no download
    import gzip

    root = os.path.join(os.path.dirname(__file__), "..", "datasets", "mnist")

    def idx(name, offset):
        with gzip.open(os.path.join(root, name), "rb") as f:
            return np.frombuffer(f.read(), np.uint8, offset=offset)

    xtr = idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28)
    ytr = idx("train-labels-idx1-ubyte.gz", 8)
    xte = idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28)
    yte = idx("t10k-labels-idx1-ubyte.gz", 8)
    return (xtr, ytr), (xte, yte)


def build_model(hp):
    model = Sequential(
        [
            Flatten(input_shape=(28, 28)),
            Dense(units=hp.Int("units", min_value=32, max_value=512, step=32), activation="relu"),
            Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=Adam(learning_rate=hp.Float("learning_rate", min_value=1e-4, max_value=1e-2, sampling="LOG")),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


tuner = kt.RandomSearch(
    build_model,
    objective="val_accuracy",
    max_trials=a.trials,
    executions_per_trial=a.executions,
    directory=a.dir,
    project_name="intro_to_kt",
    overwrite=True,
    seed=a.seed,
)
(x_train, y_train), (x_val, y_val) = load_mnist()
x_train, x_val = x_train / 255.0, x_val / 255.0
if a.train:
    x_train, y_train = x_train[: a.train], y_train[: a.train]
tuner.search(x_train, y_train, epochs=a.epochs, validation_data=(x_val, y_val))
search_s = time.time() - start
best_hps = tuner.get_best_hyperparameters(num_trials=1)[0]
print(f"""
    The optimal number of units in the first dense layer
    is {best_hps.get('units')}.
    The optimal learning rate for the optimizer is
    {best_hps.get('learning_rate')}.
""")
model = tuner.hypermodel.build(best_hps)
model.summary()
model.fit(x_train, y_train, epochs=a.final_epochs, validation_split=0.2)
test_loss, test_acc = model.evaluate(x_val, y_val)
print(f"Test accuracy: {test_acc}")
print(f"[timing] search {search_s:.2f} s, total {time.time() - start:.2f} s")
