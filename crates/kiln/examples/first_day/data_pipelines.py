# A Keras user's first day, program 4: tf.data pipelines for images (seeded augmentation
# in map, cache, shuffle, batch, prefetch) and for text (TextVectorization in map).
import tensorflow as tf
import keras
from keras import layers

(x_train, y_train), _ = keras.datasets.mnist.load_data()
images = tf.data.Dataset.from_tensor_slices(
    (x_train[:4096, :, :, None], y_train[:4096])
)


def augment(image, label):
    image = tf.cast(image, "float32") / 255.0
    image = tf.image.random_flip_left_right(image, seed=1)
    image = tf.image.random_brightness(image, max_delta=0.1, seed=2)
    return image, label


images = images.map(augment).cache().shuffle(1024).batch(64).prefetch(tf.data.AUTOTUNE)
cnn = keras.Sequential(
    [
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(8, 3, activation="relu"),
        layers.GlobalAveragePooling2D(),
        layers.Dense(10, activation="softmax"),
    ]
)
cnn.compile(
    optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
)
cnn.fit(images, epochs=2, verbose=2)

texts = [
    "the movie was great",
    "what a terrible film",
    "great acting, great story",
    "boring",
]
labels = [1, 0, 1, 0]
vectorizer = layers.TextVectorization(max_tokens=100, output_sequence_length=8)
vectorizer.adapt(texts)
reviews = (
    tf.data.Dataset.from_tensor_slices((texts * 64, labels * 64)).shuffle(256).batch(32)
)
reviews = reviews.map(lambda x, y: (vectorizer(x), y)).prefetch(tf.data.AUTOTUNE)
classifier = keras.Sequential(
    [
        keras.Input(shape=(8,), dtype="int64"),
        layers.Embedding(100, 16),
        layers.GlobalAveragePooling1D(),
        layers.Dense(1, activation="sigmoid"),
    ]
)
classifier.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
classifier.fit(reviews, epochs=5, verbose=2)
print(classifier.predict(vectorizer(["a great film"]), verbose=0))
