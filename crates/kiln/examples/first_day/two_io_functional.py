# A Keras user's first day, program 2: a two-input, two-output functional model with
# losses, loss weights and metrics keyed by output name, and x and y keyed by name.
import numpy as np
import keras
from keras import layers

rng = np.random.default_rng(0)
text = rng.random((2000, 20)).astype("float32")
meta = rng.random((2000, 5)).astype("float32")
priority = (text.sum(axis=1, keepdims=True) > 10).astype("float32")
department = meta.argmax(axis=1)

text_in = keras.Input(shape=(20,), name="text")
meta_in = keras.Input(shape=(5,), name="meta")
t = layers.Dense(32, activation="relu")(text_in)
m = layers.Dense(8, activation="relu")(meta_in)
x = layers.Dense(32, activation="relu")(layers.concatenate([t, m]))
priority_out = layers.Dense(1, activation="sigmoid", name="priority")(x)
department_out = layers.Dense(5, activation="softmax", name="department")(x)
model = keras.Model([text_in, meta_in], [priority_out, department_out])
model.compile(
    optimizer=keras.optimizers.Adam(1e-3),
    loss={
        "priority": "binary_crossentropy",
        "department": "sparse_categorical_crossentropy",
    },
    loss_weights={"priority": 1.0, "department": 0.5},
    metrics={"priority": ["accuracy"], "department": ["accuracy"]},
)
model.fit(
    {"text": text, "meta": meta},
    {"priority": priority, "department": department},
    epochs=5,
    batch_size=64,
    validation_split=0.2,
    verbose=2,
)
priority_pred, department_pred = model.predict(
    {"text": text[:3], "meta": meta[:3]}, verbose=0
)
print(priority_pred.shape, department_pred.shape)
