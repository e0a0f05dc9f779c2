#!/usr/bin/env python3
"""Golden fixture for a VAE whose KL term reaches fit through add_loss (Keras 3.15).

Writes tools/golden/fixtures/vae_add_loss.json. Run from the repository root:
    python tools/golden/gen_vae_add_loss.py

A subclassed model: encoder Dense(8, relu) -> Dense(2) z_mean, Dense(2) z_log_var;
z = z_mean + exp(0.5 * z_log_var) * eps; decoder Dense(8, relu) -> Dense(D, sigmoid).
`call` adds the KL divergence -0.5 * mean_b(sum_k(1 + lv - mu^2 - exp(lv))) with
add_loss; compile gives binary cross-entropy for the reconstruction and Adam(1e-2).
The sampling noise `eps` is drawn here and fed as the last 2 input columns, so both
frameworks see the same z. 3 epochs, 96 samples in batches of 32, no shuffle.
"""

import json
import os
import sys
import zlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402
from keras import ops  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generate import tensor_json  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "vae_add_loss.json")
N, D, H, Z = 96, 12, 8, 2


class VAE(keras.Model):
    def __init__(self):
        super().__init__()
        self.enc = keras.layers.Dense(H, activation="relu")
        self.mu = keras.layers.Dense(Z)
        self.lv = keras.layers.Dense(Z)
        self.dec = keras.layers.Dense(H, activation="relu")
        self.out = keras.layers.Dense(D, activation="sigmoid")

    def call(self, inputs):
        x, eps = inputs[:, :D], inputs[:, D:]
        h = self.enc(x)
        mu, lv = self.mu(h), self.lv(h)
        z = mu + ops.exp(0.5 * lv) * eps
        kl = -0.5 * ops.mean(ops.sum(1.0 + lv - ops.square(mu) - ops.exp(lv), axis=1))
        self.add_loss(kl)
        return self.out(self.dec(z))


def main():
    rng = np.random.default_rng(zlib.crc32(b"vae_add_loss/vae"))
    x = rng.random((N, D), dtype=np.float32)
    eps = rng.standard_normal((N, Z)).astype(np.float32)
    inputs = np.concatenate([x, eps], axis=1)
    keras.utils.clear_session()
    model = VAE()
    model(inputs[:2])
    weights = {}
    for name, fan_in, units in [("enc", D, H), ("mu", H, Z), ("lv", H, Z), ("dec", Z, H), ("out", H, D)]:
        k = rng.uniform(-0.5, 0.5, (fan_in, units)).astype(np.float32)
        b = rng.uniform(-0.1, 0.1, (units,)).astype(np.float32)
        getattr(model, name).set_weights([k, b])
        weights[name] = [tensor_json(k), tensor_json(b)]
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy")
    h = model.fit(inputs, x, epochs=3, batch_size=32, shuffle=False, verbose=0)
    ev = model.evaluate(inputs, x, batch_size=32, verbose=0, return_dict=True)
    doc = {
        "tf_version": tf.__version__,
        "keras_version": keras.__version__,
        "inputs": tensor_json(inputs),
        "weights": weights,
        "history": {k: [float(v) for v in vs] for k, vs in h.history.items()},
        "evaluate": {k: float(v) for k, v in ev.items()},
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")
    print(OUT, os.path.getsize(OUT), doc["history"], doc["evaluate"])


if __name__ == "__main__":
    main()
