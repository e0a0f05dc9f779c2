#!/usr/bin/env python3
"""Golden `model.summary()` texts from Keras 3.15 (80-column console, no terminal).

Writes tools/golden/fixtures/summaries.json: {"cases": [{"name", "text"}]}. Each model is
built after `keras.utils.clear_session()` so auto-names start fresh, as kiln's test does.
Run from the repository root: /work/venv-tf/bin/python tools/golden/gen_summaries.py
"""

import json
import os

os.environ["COLUMNS"] = "80"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import keras  # noqa: E402
from keras import layers  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "summaries.json")


def mnist_mlp():
    return keras.Sequential([
        keras.Input(shape=(28, 28)),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.2),
        layers.Dense(10),
    ])


def s002_mlp():
    # S002-1: Dense(64, relu, input_shape=(784,)) -> Dense(10, softmax)
    return keras.Sequential([
        keras.Input(shape=(784,)),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])


def multi_io():
    a = keras.Input(shape=(32,), name="a")
    b = keras.Input(shape=(16,), name="b")
    shared = layers.Dense(8, name="shared")
    x = layers.concatenate([shared(layers.Dense(16)(a)), shared(b)])
    o1 = layers.Dense(1, name="o1")(x)
    o2 = layers.Dense(3, name="o2")(x)
    return keras.Model([a, b], [o1, o2])


def linear_functional():
    x = keras.Input(shape=(4,))
    h = layers.Dense(8, activation="relu")(x)
    y = layers.Dense(1)(h)
    return keras.Model(x, y)


class LinearRegression(keras.Model):
    def __init__(self, n, **kw):
        super().__init__(**kw)
        self.w = self.add_weight(shape=(n, 1), initializer="random_uniform")

    def call(self, x):
        return keras.ops.matmul(x, self.w)


def s004_linear():
    return LinearRegression(5)


def frozen():
    m = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(4, name="frozen"), layers.Dense(2)])
    m.get_layer("frozen").trainable = False
    return m


def trained(opt):
    # After fit, Keras adds the optimizer's variables to the totals.
    def build():
        import numpy as np
        m = keras.Sequential([keras.Input((4,)), layers.Dense(3), layers.Dense(2)])
        m.compile(optimizer=opt(), loss="mse")
        m.fit(np.zeros((8, 4)), np.zeros((8, 2)), verbose=0)
        return m
    return build


def trained_adam():
    return trained(lambda: "adam")()


def trained_sgd():
    return trained(lambda: "sgd")()


def trained_sgd_momentum():
    return trained(lambda: keras.optimizers.SGD(momentum=0.9))()


def trained_rmsprop_centered():
    return trained(lambda: keras.optimizers.RMSprop(momentum=0.5, centered=True))()


def trained_nadam():
    return trained(lambda: "nadam")()


def s002_2_cnn():
    i = keras.Input((28, 28, 1))
    x = layers.Conv2D(32, (3, 3), activation="relu", padding="same")(i)
    x = layers.MaxPooling2D((2, 2))(x)
    x = layers.Conv2D(64, (3, 3), activation="relu", padding="same")(x)
    x = layers.MaxPooling2D((2, 2))(x)
    x = layers.Flatten()(x)
    x = layers.Dense(128, activation="relu")(x)
    return keras.Model(i, layers.Dense(10, activation="softmax")(x))


def s003_8_cnn():
    return keras.Sequential([
        keras.Input((64, 64, 3)),
        layers.Conv2D(32, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
        layers.Flatten(), layers.Dense(128, activation="relu"), layers.Dense(10, activation="softmax"),
    ])


def s003_10_resnet_like():
    def block(x, f):
        s = x
        x = layers.Conv2D(f, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.Conv2D(f, 3, strides=1, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Add()([x, s])
        return layers.Activation("relu")(x)
    i = keras.Input((64, 64, 3))
    x = layers.Conv2D(64, (7, 7), strides=2, padding="same")(i)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = block(x, 64)
    x = block(x, 64)
    x = layers.Flatten()(x)
    return keras.Model(i, layers.Dense(10, activation="softmax")(x))


def s003_17_transpose():
    i = keras.Input((28, 28, 1))
    x = layers.Conv2DTranspose(32, (3, 3), strides=(2, 2), padding="same", activation="relu")(i)
    return keras.Model(i, layers.Conv2DTranspose(1, (3, 3), activation="sigmoid", padding="same")(x))


def s003_18_upsampling():
    i = keras.Input((28, 28, 1))
    x = layers.UpSampling2D(size=(2, 2))(i)
    return keras.Model(i, layers.Conv2D(64, (3, 3), padding="same")(x))


def s003_44_bn_mlp():
    return keras.Sequential([
        keras.Input((28, 28)), layers.Flatten(), layers.Dense(128, activation="relu"),
        layers.BatchNormalization(), layers.Dense(10, activation="softmax"),
    ])


def s000_4_imdb_rnn():
    # S000-4: Embedding(10000, 128) -> SimpleRNN(128) -> Dense(1, sigmoid) on padded length 500
    return keras.Sequential([
        keras.Input((500,)), layers.Embedding(10000, 128), layers.SimpleRNN(128),
        layers.Dense(1, activation="sigmoid"),
    ])


def s003_28_sine_rnn():
    return keras.Sequential([keras.Input((10, 1)), layers.SimpleRNN(50, activation="relu"), layers.Dense(1)])


def s003_29_sine_lstm():
    return keras.Sequential([keras.Input((10, 1)), layers.LSTM(50, activation="relu"), layers.Dense(1)])


def sine_gru():
    return keras.Sequential([keras.Input((10, 1)), layers.GRU(50, activation="relu"), layers.Dense(1)])


def bidi_td_stack():
    i = keras.Input((12, 8))
    x = layers.Bidirectional(layers.LSTM(16, return_sequences=True))(i)
    x = layers.TimeDistributed(layers.Dense(4))(x)
    x = layers.GRU(6, reset_after=False)(x)
    return keras.Model(i, layers.Dense(1)(x))


BUILDERS = [mnist_mlp, s002_mlp, multi_io, linear_functional, s004_linear, frozen,
            trained_adam, trained_sgd, trained_sgd_momentum, trained_rmsprop_centered,
            trained_nadam, s002_2_cnn, s003_8_cnn, s003_10_resnet_like, s003_17_transpose,
            s003_18_upsampling, s003_44_bn_mlp, s000_4_imdb_rnn, s003_28_sine_rnn,
            s003_29_sine_lstm, sine_gru, bidi_td_stack]


def main():
    cases = []
    for b in BUILDERS:
        keras.utils.clear_session()
        m = b()
        lines = []
        m.summary(print_fn=lambda s, line_break=True: lines.append(s))
        cases.append({"name": b.__name__, "text": "".join(lines)})
    with open(OUT, "w") as f:
        json.dump({"keras_version": keras.__version__, "cases": cases}, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print("summaries.json: %d cases" % len(cases))


if __name__ == "__main__":
    main()
