#!/usr/bin/env python3
"""S001-2 as the seed writes it, in Keras 3 (TensorFlow backend), for comparing kiln's
`s001_2_vae` example at seed scale: the same VAE (Flatten-512-{z_mean, z_log_var} latent
2 + Sampling; decoder 512-784 sigmoid-Reshape), KL through add_loss with the seed's
formula, adam / binary crossentropy, batch 128, the test set as validation data.

    python bench/quality/keras_s001_2_vae.py [EPOCHS]    (default 30)

Prints one JSON line per epoch: {"epoch", "loss", "val_loss", "seconds"}.
"""
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402
from keras import layers  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MNIST = os.environ.get("MNIST_DIR", os.path.join(HERE, "..", "..", "datasets", "mnist"))


def idx(name):
    """One gzip IDX file of the shipped MNIST."""
    import gzip

    with gzip.open(os.path.join(MNIST, name), "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load():
    return (idx("train-images-idx3-ubyte.gz"), None), (idx("t10k-images-idx3-ubyte.gz"), None)


class Sampling(layers.Layer):
    def call(self, inputs):
        z_mean, z_log_var = inputs
        eps = keras.random.normal(shape=tf.shape(z_mean))
        return z_mean + tf.exp(0.5 * z_log_var) * eps


class VAE(keras.Model):
    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder

    def call(self, inputs):
        z_mean, z_log_var, z = self.encoder(inputs)
        reconstructed = self.decoder(z)
        kl_loss = -0.5 * tf.reduce_mean(z_log_var - tf.square(z_mean) - tf.exp(z_log_var) + 1)
        self.add_loss(kl_loss)
        return reconstructed


def main():
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    keras.utils.set_random_seed(0)
    latent_dim = 2
    encoder_inputs = keras.Input(shape=(28, 28, 1))
    x = layers.Flatten()(encoder_inputs)
    x = layers.Dense(512, activation="relu")(x)
    z_mean = layers.Dense(latent_dim)(x)
    z_log_var = layers.Dense(latent_dim)(x)
    z = Sampling()([z_mean, z_log_var])
    encoder = keras.Model(encoder_inputs, [z_mean, z_log_var, z], name="encoder")
    decoder_inputs = keras.Input(shape=(latent_dim,))
    x = layers.Dense(512, activation="relu")(decoder_inputs)
    x = layers.Dense(28 * 28 * 1, activation="sigmoid")(x)
    decoder = keras.Model(decoder_inputs, layers.Reshape((28, 28, 1))(x), name="decoder")
    vae = VAE(encoder, decoder)
    vae.compile(optimizer="adam", loss="binary_crossentropy")
    (x_train, _), (x_test, _) = load()
    x_train = (x_train.astype("float32") / 255.0).reshape(-1, 28, 28, 1)
    x_test = (x_test.astype("float32") / 255.0).reshape(-1, 28, 28, 1)

    class Line(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            print(json.dumps({"epoch": epoch + 1, "loss": float(logs["loss"]),
                              "val_loss": float(logs["val_loss"]),
                              "seconds": round(time.perf_counter() - self.t, 2)}), flush=True)

    vae.fit(x_train, x_train, epochs=epochs, batch_size=128,
            validation_data=(x_test, x_test), verbose=0, callbacks=[Line()])


if __name__ == "__main__":
    main()
