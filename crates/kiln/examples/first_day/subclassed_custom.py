# A Keras user's first day, program 3: a subclassed model with a custom layer, a custom
# loss and a custom metric, saved, reloaded, checked and trained on.
import numpy as np
import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="demo")
class Scale(layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

    def call(self, x):
        return x * self.w * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


@keras.saving.register_keras_serializable(package="demo")
class Classifier(keras.Model):
    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden = layers.Dense(units, activation="relu")
        self.scale = Scale(0.5)
        self.head = layers.Dense(3)

    def call(self, x):
        return self.head(self.scale(self.hidden(x)))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="demo")
def penalized_ce(y_true, y_pred):
    ce = keras.losses.sparse_categorical_crossentropy(y_true, y_pred, from_logits=True)
    return ce + 0.01 * ops.mean(ops.square(y_pred), axis=-1)


@keras.saving.register_keras_serializable(package="demo")
def max_logit(y_true, y_pred):
    return ops.max(y_pred, axis=-1)


rng = np.random.default_rng(0)
x = rng.random((1000, 8)).astype("float32")
y = x.argmax(axis=1) % 3
model = Classifier(32)
model.compile(optimizer="adam", loss=penalized_ce, metrics=["accuracy", max_logit])
model.fit(x, y, epochs=3, batch_size=32, verbose=2)
model.save("classifier.keras")
restored = keras.models.load_model("classifier.keras")
np.testing.assert_allclose(restored.predict(x[:5]), model.predict(x[:5]), rtol=1e-6)
restored.fit(x, y, epochs=1, batch_size=32, verbose=2)
