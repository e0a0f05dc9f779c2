#!/usr/bin/env python3
"""Golden fixtures for string tensors in kiln (issue 15): TextVectorization and
StringLookup called on string tensors of rank 0/1/2 inside tf.data `map` and inside a
Keras model, and an end-to-end text model (Input(shape=(1,), dtype="string") ->
TextVectorization -> Embedding -> GlobalAveragePooling1D -> Dense) trained for two
epochs from weights set by formula. Keras 3.15.1, TF 2.21 (TF backend).
Writes tools/golden/fixtures/strings.json.
    ~/peers/bin/python tools/golden/gen_strings.py
"""

import json
import math
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "strings.json")

CORPUS = [
    "The cat sat on the mat.", "the dog ate my homework!", "A cat and a dog",
    "cats, dogs; and birds?", "the end", "my dog is a good dog",
]
QUERIES = ["the cat and the bird", "unknown words only", "", "dog dog dog cat"]


def tolist(x):
    x = np.asarray(x)
    if x.dtype.kind in "SO":
        return [v.decode() if isinstance(v, bytes) else str(v) for v in x.reshape(-1)]
    return x.reshape(-1).tolist()


def tv_case(name, cfg):
    tv = keras.layers.TextVectorization(**cfg)
    tv.adapt(tf.data.Dataset.from_tensor_slices(CORPUS).batch(2))
    # (TF fails a rank-0 map of "" with output_sequence_length: static [5], dynamic [0].)
    ds0 = tf.data.Dataset.from_tensor_slices([q for q in QUERIES if q]).map(tv)  # rank 0
    rank0 = [np.asarray(e) for e in ds0]
    ds1 = tf.data.Dataset.from_tensor_slices(QUERIES).batch(3).map(tv)  # rank 1 batches
    rank1 = [np.asarray(e) for e in ds1]
    inp = keras.Input(shape=(1,), dtype="string")
    model = keras.Model(inp, tv(inp))
    rank2 = np.asarray(model.predict(tf.constant(np.array(QUERIES, dtype=object).reshape(-1, 1)), verbose=0))
    return {
        "name": name,
        "config": cfg,
        "vocabulary": [str(v) for v in tv.get_vocabulary()],
        "rank0": [{"shape": list(r.shape), "values": tolist(r)} for r in rank0],
        "rank1": [{"shape": list(r.shape), "values": tolist(r)} for r in rank1],
        "rank2_model": {"shape": list(rank2.shape), "values": tolist(rank2)},
    }


def lookup_cases():
    tokens = ["b", "a", "c", "b", "d", "b", "a"]
    out = []
    for name, cfg in [
        ("int", {}),
        ("int_mask_2oov", {"mask_token": "", "num_oov_indices": 2}),
        ("multi_hot", {"output_mode": "multi_hot"}),
        ("one_hot", {"output_mode": "one_hot"}),
        ("count_max4", {"output_mode": "count", "max_tokens": 4}),
    ]:
        layer = keras.layers.StringLookup(**cfg)
        layer.adapt(tf.constant(tokens))
        q1 = ["a", "zz", "d", "b"]
        r1 = np.asarray(layer(tf.constant(q1)))
        q2 = [["a"], ["zz"], ["c"]]
        ds = tf.data.Dataset.from_tensor_slices(tf.constant(q2)).batch(3).map(layer)
        r2 = [np.asarray(e) for e in ds][0]
        r0 = np.asarray(layer(tf.constant("c")))
        inv = keras.layers.StringLookup(vocabulary=layer.get_vocabulary(include_special_tokens=False),
                                        invert=True, **{k: v for k, v in cfg.items() if k in ("mask_token", "num_oov_indices")})
        idx = np.array([[0, 1], [2, 3], [4, 9]], dtype=np.int64)
        ri = np.asarray(inv(tf.constant(idx))) if cfg.get("output_mode", "int") == "int" else None
        case = {
            "name": name, "config": cfg, "adapt": tokens,
            "vocabulary": [str(v) for v in layer.get_vocabulary()],
            "q1": q1, "r1": {"shape": list(r1.shape), "values": tolist(r1)},
            "q2": [r[0] for r in q2], "r2": {"shape": list(r2.shape), "values": tolist(r2)},
            "r0": {"shape": list(r0.shape), "values": tolist(r0)},
        }
        if ri is not None:
            case["invert_indices"] = idx.reshape(-1).tolist()
            case["invert"] = {"shape": list(ri.shape), "values": tolist(ri)}
        out.append(case)
    return out


def formula(shape, a, b):
    n = int(np.prod(shape))
    return np.array([math.sin(a * i + b) * 0.3 for i in range(n)], dtype=np.float32).reshape(shape)


def end_to_end():
    texts = [
        "good movie great acting", "bad film awful plot", "great fun", "awful boring film",
        "a good good story", "bad bad acting", "great plot and great cast", "boring",
    ]
    labels = np.array([1, 0, 1, 0, 1, 0, 1, 0], dtype=np.float32).reshape(-1, 1)
    max_tokens, seq_len, dim = 20, 6, 4
    tv = keras.layers.TextVectorization(max_tokens=max_tokens, output_sequence_length=seq_len)
    tv.adapt(texts)
    inp = keras.Input(shape=(1,), dtype="string")
    x = tv(inp)
    x = keras.layers.Embedding(max_tokens, dim)(x)
    x = keras.layers.GlobalAveragePooling1D()(x)
    out = keras.layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inp, out)
    emb = model.layers[2]
    dense = model.layers[4]
    emb_w = formula((max_tokens, dim), 0.37, 0.1)
    k = formula((dim, 1), 0.91, 0.5)
    bias = np.array([0.05], dtype=np.float32)
    emb.set_weights([emb_w])
    dense.set_weights([k, bias])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5), loss="binary_crossentropy")
    xs = tf.constant(np.array(texts, dtype=object).reshape(-1, 1))
    before = np.asarray(model.predict(xs, verbose=0))
    ds = tf.data.Dataset.from_tensor_slices((xs, labels)).batch(4)
    hist = model.fit(ds, epochs=2, shuffle=False, verbose=0)
    after = np.asarray(model.predict(tf.constant([["great good film"], ["awful bad"]]), verbose=0))
    return {
        "texts": texts, "labels": labels.reshape(-1).tolist(),
        "max_tokens": max_tokens, "output_sequence_length": seq_len, "embedding_dim": dim,
        "vocabulary": [str(v) for v in tv.get_vocabulary()],
        "embedding": emb_w.reshape(-1).tolist(), "kernel": k.reshape(-1).tolist(), "bias": bias.tolist(),
        "learning_rate": 0.5, "batch_size": 4, "epochs": 2,
        "predict_before": before.reshape(-1).tolist(),
        "losses": [float(v) for v in hist.history["loss"]],
        "predict_queries": ["great good film", "awful bad"],
        "predict_after": after.reshape(-1).tolist(),
        "embedding_after": np.asarray(emb.get_weights()[0]).reshape(-1).tolist(),
    }


def main():
    tv_cases = [
        tv_case("int_len5", {"output_sequence_length": 5}),
        tv_case("int_default", {}),
        tv_case("multi_hot", {"output_mode": "multi_hot", "max_tokens": 8}),
        tv_case("tf_idf", {"output_mode": "tf_idf", "max_tokens": 10}),
        tv_case("count", {"output_mode": "count"}),
    ]
    data = {
        "tf_version": tf.__version__,
        "keras_version": keras.__version__,
        "corpus": CORPUS,
        "queries": QUERIES,
        "text_vectorization": tv_cases,
        "string_lookup": lookup_cases(),
        "end_to_end": end_to_end(),
    }
    with open(OUT, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write("\n")
    with open(OUT) as f:
        back = json.load(f)
    print(f"{OUT}: {len(back['text_vectorization'])} TextVectorization cases, "
          f"{len(back['string_lookup'])} StringLookup cases, {os.path.getsize(OUT)} bytes")


if __name__ == "__main__":
    main()
