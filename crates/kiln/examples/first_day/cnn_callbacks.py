# A Keras user's first day, program 1: a CNN on MNIST with the usual callbacks.
import keras
from keras import layers

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train[:6000].reshape(-1, 28, 28, 1).astype("float32") / 255
y_train = y_train[:6000]
x_test = x_test.reshape(-1, 28, 28, 1).astype("float32") / 255

model = keras.Sequential(
    [
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(16, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dropout(0.3),
        layers.Dense(10, activation="softmax"),
    ]
)
model.compile(
    optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
)
callbacks = [
    keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=2, restore_best_weights=True
    ),
    keras.callbacks.ModelCheckpoint("best.keras", save_best_only=True),
    keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1),
    keras.callbacks.CSVLogger("training.csv"),
]
history = model.fit(
    x_train, y_train, batch_size=64, epochs=3, validation_split=0.1, callbacks=callbacks
)
print("val_accuracy:", history.history["val_accuracy"])
loss, acc = model.evaluate(x_test, y_test, verbose=0)
print(f"test accuracy: {acc:.4f}")
