#!/usr/bin/env python3
"""Golden fixtures for kiln_data::text::TextVectorization from Keras 3.15 (TF backend):
vocabularies (frequency order, ties) and outputs for the S003-30 sentences and a larger
corpus with ties, across output modes, n-grams, max_tokens and sequence lengths.
Writes tools/golden/fixtures/text.json.
    /work/venv-tf/bin/python tools/golden/gen_text.py
"""

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import keras  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "text.json")

S003_30 = ["Hello, how are you?", "I am fine, thank you.", "How about you?", "I am good too."]
CORPUS = [
    "the cat sat on the mat", "The dog sat on the log!", "a cat and a dog",
    "zebra apple mango", "apple zebra kiwi", "Mango kiwi; apple? zebra.", "the end",
    "it's  a   tie: b c d", "d c b a", "one two three four five six",
]
QUERIES = ["the cat and the zebra", "unknown words only", "", "a b c d e f g h i j k l"]

CONFIGS = [
    ("s003_30", S003_30, S003_30, {"output_mode": "int", "max_tokens": 100, "output_sequence_length": 10}),
    ("int_default", CORPUS, QUERIES, {}),
    ("int_max8_len5", CORPUS, QUERIES, {"max_tokens": 8, "output_sequence_length": 5}),
    ("multi_hot", CORPUS, QUERIES, {"output_mode": "multi_hot", "max_tokens": 12}),
    ("count", CORPUS, QUERIES, {"output_mode": "count"}),
    ("tf_idf", CORPUS, QUERIES, {"output_mode": "tf_idf", "max_tokens": 15}),
    ("bigrams", CORPUS, QUERIES, {"ngrams": 2, "max_tokens": 20, "output_sequence_length": 12}),
    ("lower_only", CORPUS, QUERIES, {"standardize": "lower"}),
    ("no_standardize", CORPUS, QUERIES, {"standardize": None}),
    ("characters", CORPUS, QUERIES, {"split": "character", "max_tokens": 20, "output_sequence_length": 8}),
    ("pad_to_max", CORPUS, QUERIES, {"output_mode": "count", "max_tokens": 60, "pad_to_max_tokens": True}),
]


def main():
    cases = []
    for name, train, queries, kw in CONFIGS:
        tv = keras.layers.TextVectorization(**kw)
        tv.adapt(train)
        out = np.asarray(tv(queries if name != "s003_30" else train))
        cases.append({"name": name, "train": train, "queries": queries if name != "s003_30" else train,
                      "kwargs": kw, "vocabulary": [str(v) for v in tv.get_vocabulary()],
                      "shape": list(out.shape), "data": out.ravel().tolist()})
    with open(OUT, "w") as f:
        json.dump({"keras": keras.__version__, "cases": cases}, f, ensure_ascii=False)
    print(f"wrote {OUT}: {len(cases)} cases")


if __name__ == "__main__":
    main()
