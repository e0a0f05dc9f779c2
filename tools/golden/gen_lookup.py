#!/usr/bin/env python3
"""Golden fixtures for kiln's Hashing, StringLookup and IntegerLookup (Keras 3.15, TF backend).

- "fingerprint": FarmHash Fingerprint64 (tf.fingerprint "farmhash64") and SipHash-2-4
  (tf.strings.to_hash_bucket_strong) of byte strings of every length 0..=130, so each of
  farmhash's length branches (0-3, 4-7, 8-16, 17-32, 33-64, >64, one and several 64-byte
  blocks) is covered.
- "hashing": keras.layers.Hashing on strings, integers and floats, with and without salt
  and mask_value, in every output mode, plus the constructor errors.
- "lookup": StringLookup / IntegerLookup built from a vocabulary list, a vocabulary file
  or adapt, called in every output mode (and inverted), with get_vocabulary,
  vocabulary_size and idf weights; and the cases where Keras raises.
Writes tools/golden/fixtures/lookup.json.
    /work/venv-tf/bin/python tools/golden/gen_lookup.py
"""

import json
import os
import tempfile
import zlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "lookup.json")
I64_MAX = 2**63 - 1


def rng(name):
    return np.random.default_rng(zlib.crc32(name.encode()))


def fingerprint_cases():
    r = rng("fingerprint")
    alphabet = np.frombuffer(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-", np.uint8)
    out = []
    for n in list(range(0, 131)) + [191, 192, 193, 255, 256, 1000]:
        # hex-encoded raw bytes: some ASCII, some arbitrary (incl. high bytes)
        if n % 3 == 2:
            b = bytes(r.integers(0, 256, n, dtype=np.uint8))
        else:
            b = bytes(alphabet[r.integers(0, len(alphabet), n)])
        fp = tf.fingerprint(tf.constant([b]), method="farmhash64").numpy()[0]
        fp = int.from_bytes(bytes(fp), "little")
        fast = int(tf.strings.to_hash_bucket_fast([b], I64_MAX).numpy()[0])
        assert fast == fp % I64_MAX
        strong = {}
        for key in ([0, 0], [1, 2], [12345, 12345], [-5, 7]):
            strong["%d_%d" % tuple(key)] = [
                int(tf.strings.to_hash_bucket_strong([b], m, key=key).numpy()[0])
                for m in (I64_MAX, 1000003, 7)
            ]
        out.append({"hex": b.hex(), "fingerprint64": str(fp), "strong": strong})
    return out


def jsonable(x):
    if isinstance(x, bytes):
        return x.decode("utf-8")
    if isinstance(x, np.ndarray):
        return jsonable(x.tolist())
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, np.generic):
        return x.item()
    return x


def tensor_out(y):
    y = np.asarray(y)
    return {"shape": list(y.shape), "dtype": str(y.dtype), "data": jsonable(y.ravel())}


def err_text(e):
    return "%s: %s" % (type(e).__name__, str(e).split("\n")[0][:300])


STR_IN_1 = ["a", "b", "", "hello", "hello world", "über", "日本語", "a", "x" * 40, "y" * 70]
STR_IN_2 = [["a", "b", "c"], ["hello", "", "z"]]
INT_IN_1 = [0, 1, -1, 7, 42, 123456789, -987654321, 2**40]
INT_IN_2 = [[0, 1, 2], [3, -4, 5]]
FLOAT_IN = [0.0, 1.7, -2.9, 3.5]


def hashing_cases():
    cases = []

    def add(name, kwargs, inputs, kind):
        try:
            y = keras.layers.Hashing(**kwargs)(np.array(inputs) if kind != "float" else np.array(inputs, np.float32))
            cases.append({"name": name, "kwargs": kwargs, "kind": kind, "input": inputs, "output": tensor_out(y)})
        except Exception as e:  # noqa: BLE001
            cases.append({"name": name, "kwargs": kwargs, "kind": kind, "input": inputs, "error": err_text(e)})

    for nb in (1, 3, 17, 1000):
        add("str_fast_%d" % nb, {"num_bins": nb}, STR_IN_1, "str")
        add("str_salt_%d" % nb, {"num_bins": nb, "salt": 133}, STR_IN_1, "str")
    add("str_salt_pair", {"num_bins": 50, "salt": [7, 11]}, STR_IN_1, "str")
    add("str_rank2", {"num_bins": 5}, STR_IN_2, "str")
    add("str_mask", {"num_bins": 5, "mask_value": "hello"}, STR_IN_1, "str")
    add("str_mask_empty", {"num_bins": 4, "mask_value": ""}, STR_IN_2, "str")
    add("str_mask_salt", {"num_bins": 6, "mask_value": "a", "salt": [3, 4]}, STR_IN_1, "str")
    add("str_mask_one_bin", {"num_bins": 1, "mask_value": "a"}, STR_IN_1, "str")
    add("int_fast", {"num_bins": 11}, INT_IN_1, "int")
    add("int_rank2", {"num_bins": 4}, INT_IN_2, "int")
    add("int_salt", {"num_bins": 13, "salt": 5}, INT_IN_1, "int")
    add("int_mask", {"num_bins": 3, "mask_value": 0}, INT_IN_2, "int")
    add("int_mask_salt", {"num_bins": 9, "mask_value": 7, "salt": [1, 2]}, INT_IN_1, "int")
    add("float_trunc", {"num_bins": 10}, FLOAT_IN, "float")
    add("one_hot", {"num_bins": 4, "output_mode": "one_hot"}, ["a", "b", "c"], "str")
    add("one_hot_col", {"num_bins": 4, "output_mode": "one_hot"}, [["a"], ["b"], ["c"]], "str")
    add("multi_hot", {"num_bins": 5, "output_mode": "multi_hot"}, STR_IN_2, "str")
    add("multi_hot_rank1", {"num_bins": 5, "output_mode": "multi_hot"}, ["a", "b", "a"], "str")
    add("count", {"num_bins": 3, "output_mode": "count"}, STR_IN_2, "str")
    add("count_int_mask", {"num_bins": 3, "output_mode": "count", "mask_value": 1}, INT_IN_2, "int")
    add("int_one_hot", {"num_bins": 6, "output_mode": "one_hot"}, [1, 2, 3], "int")
    # errors
    add("err_h_num_bins_0", {"num_bins": 0}, STR_IN_1, "str")
    add("err_h_output_mode", {"num_bins": 3, "output_mode": "tf_idf"}, STR_IN_1, "str")
    add("err_h_sparse_int", {"num_bins": 3, "sparse": True}, STR_IN_1, "str")
    add("err_h_salt", {"num_bins": 3, "salt": [1, 2, 3]}, STR_IN_1, "str")
    return cases


VOCAB = ["the", "cat", "dog", "mat", "sat"]
CORPUS = [["the", "cat", "sat", "on", "the", "mat"], ["the", "dog", "sat"], ["a", "cat", "and", "a", "dog"],
          ["zebra", "apple", "mango", "kiwi"], ["kiwi", "apple", "zebra", "mango"], ["", "[UNK]", "the", ""]]
QUERY = [["the", "cat", "unknown", "dog"], ["", "sat", "zebra", "x"]]
QUERY1 = ["the", "cat", "zzz", "", "mat", "kiwi"]

IVOCAB = [12, 36, 1138, 42]
ICORPUS = [[12, 1138, 42, 42], [42, 7, 36, 7], [7, 12, 0, 0], [-1, 5, 5, 5]]
IQUERY = [[12, 1138, 42], [42, 1000, 36], [0, 7, -3]]


def run_lookup(cls, name, kwargs, *, adapt=None, set_vocab=None, file_lines=None, calls=(), adapt2=None,
               set_vocab2=None, ragged_adapt=False):
    case = {"name": name, "layer": cls.__name__, "kwargs": kwargs}
    kw = dict(kwargs)
    stage = "init"
    try:
        if file_lines is not None:
            case["vocab_file"] = file_lines
            fd, path = tempfile.mkstemp(suffix=".txt")
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
                f.write(file_lines)
            kw["vocabulary"] = path
        layer = cls(**kw)
        if set_vocab is not None:
            stage = "set_vocabulary"
            case["set_vocabulary"] = set_vocab
            layer.set_vocabulary(set_vocab.get("vocabulary"), set_vocab.get("idf_weights"))
        if adapt is not None:
            stage = "adapt"
            case["adapt"] = adapt
            if isinstance(adapt[0], list) and len(set(map(len, adapt))) > 1:
                ragged_adapt = True
            if ragged_adapt:
                case["ragged_adapt"] = True
            layer.adapt(tf.ragged.constant(adapt) if ragged_adapt else np.array(adapt))
        if adapt2 is not None:
            stage = "adapt2"
            case["adapt2"] = adapt2
            layer.adapt(np.array(adapt2))
        if set_vocab2 is not None:
            stage = "set_vocabulary2"
            case["set_vocabulary2"] = set_vocab2
            layer.set_vocabulary(set_vocab2.get("vocabulary"), set_vocab2.get("idf_weights"))
        stage = "get_vocabulary"
        case["vocabulary"] = jsonable(layer.get_vocabulary())
        case["vocabulary_no_special"] = jsonable(layer.get_vocabulary(include_special_tokens=False))
        case["vocabulary_size"] = int(layer.vocabulary_size())
        if kwargs.get("output_mode") in ("tf_idf", "tf-idf") and hasattr(layer, "idf_weights_const"):
            case["idf_weights"] = np.asarray(layer.idf_weights_const).astype(np.float64).tolist()
        cfg = layer.get_config()
        case["config"] = {k: jsonable(v) for k, v in cfg.items() if k not in ("dtype", "name")}
        outs = []
        for x in calls:
            stage = "call"
            try:
                y = layer(np.array(x) if not (isinstance(x, list) and x and isinstance(x[0], list) and len(set(map(len, x))) > 1) else tf.ragged.constant(x))
                if isinstance(y, tf.RaggedTensor):
                    outs.append({"input": x, "ragged": jsonable(y.to_list())})
                else:
                    outs.append({"input": x, **tensor_out(y)})
            except Exception as e:  # noqa: BLE001
                outs.append({"input": x, "error": err_text(e)})
        case["calls"] = outs
    except Exception as e:  # noqa: BLE001
        case["error"] = err_text(e)
        case["error_stage"] = stage
        if file_lines is None:
            case.setdefault("adapt", adapt)
    if file_lines is not None:
        os.unlink(path)
    return case


def lookup_cases():
    S, I = keras.layers.StringLookup, keras.layers.IntegerLookup
    cs = []
    q2 = [QUERY, QUERY1, "cat"]
    # --- StringLookup from a vocabulary list
    cs.append(run_lookup(S, "s_int_default", {"vocabulary": VOCAB}, calls=q2))
    cs.append(run_lookup(S, "s_int_mask", {"vocabulary": VOCAB, "mask_token": ""}, calls=q2))
    cs.append(run_lookup(S, "s_int_oov0", {"vocabulary": VOCAB, "num_oov_indices": 0},
                         calls=[[["the", "cat"], ["dog", "mat"]], QUERY]))
    cs.append(run_lookup(S, "s_int_oov3", {"vocabulary": VOCAB, "num_oov_indices": 3}, calls=q2 + [
        ["q%d" % i for i in range(40)]]))
    cs.append(run_lookup(S, "s_int_oov3_mask", {"vocabulary": VOCAB, "num_oov_indices": 3, "mask_token": ""},
                         calls=q2))
    cs.append(run_lookup(S, "s_int_oov4_salt", {"vocabulary": VOCAB, "num_oov_indices": 4, "salt": 99},
                         calls=[["q%d" % i for i in range(30)]]))
    cs.append(run_lookup(S, "s_int_oov2_salt_pair", {"vocabulary": VOCAB, "num_oov_indices": 2, "salt": [5, 6]},
                         calls=[["q%d" % i for i in range(30)]]))
    cs.append(run_lookup(S, "s_special_given", {"vocabulary": ["", "[UNK]"] + VOCAB, "mask_token": ""}, calls=q2))
    cs.append(run_lookup(S, "s_custom_tokens", {"vocabulary": VOCAB, "mask_token": "<pad>", "oov_token": "<oov>"},
                         calls=[[["<pad>", "the", "<oov>", "what"]]]))
    cs.append(run_lookup(S, "s_unk_in_vocab", {"vocabulary": ["the", "[UNK]", "cat"]}, calls=[["[UNK]", "cat", "q"]]))
    for mode in ("one_hot", "multi_hot", "count"):
        cs.append(run_lookup(S, "s_" + mode, {"vocabulary": VOCAB, "output_mode": mode}, calls=q2))
        cs.append(run_lookup(S, "s_%s_mask_pad" % mode, {"vocabulary": VOCAB, "output_mode": mode, "mask_token": "",
                                                         "max_tokens": 9, "pad_to_max_tokens": True}, calls=q2))
        cs.append(run_lookup(S, "s_%s_oov0" % mode, {"vocabulary": VOCAB, "output_mode": mode, "num_oov_indices": 0},
                             calls=[[["the", "cat"], ["dog", "dog"]], QUERY]))
        cs.append(run_lookup(S, "s_%s_oov2" % mode, {"vocabulary": VOCAB, "output_mode": mode, "num_oov_indices": 2},
                             calls=q2))
    cs.append(run_lookup(S, "s_one_hot_col", {"vocabulary": VOCAB, "output_mode": "one_hot"},
                         calls=[[["the"], ["x"], ["dog"]]]))
    cs.append(run_lookup(S, "s_multi_hot_binary", {"vocabulary": VOCAB, "output_mode": "binary"}, calls=[QUERY]))
    idf = [0.5, 1.25, 2.0, 0.75, 3.0]
    cs.append(run_lookup(S, "s_tf_idf_given", {"vocabulary": VOCAB, "output_mode": "tf_idf", "idf_weights": idf},
                         calls=q2))
    cs.append(run_lookup(S, "s_tf_idf_given_oov2_pad", {"vocabulary": VOCAB, "output_mode": "tf_idf",
                                                        "idf_weights": idf, "num_oov_indices": 2, "max_tokens": 10,
                                                        "pad_to_max_tokens": True}, calls=q2))
    cs.append(run_lookup(S, "s_tf_idf_given_special", {"vocabulary": ["[UNK]"] + VOCAB, "output_mode": "tf-idf",
                                                       "idf_weights": [9.0] + idf}, calls=[QUERY]))
    # invert
    inv_in = [[0, 1, 2, 6, 7, -1], [3, 4, 5, 2, 100, 0]]
    cs.append(run_lookup(S, "s_invert", {"vocabulary": VOCAB, "invert": True}, calls=[inv_in, [1, 2], 3]))
    cs.append(run_lookup(S, "s_invert_mask", {"vocabulary": VOCAB, "invert": True, "mask_token": ""},
                         calls=[inv_in]))
    cs.append(run_lookup(S, "s_invert_oov0", {"vocabulary": VOCAB, "invert": True, "num_oov_indices": 0},
                         calls=[inv_in]))
    cs.append(run_lookup(S, "s_invert_oov2_mask", {"vocabulary": VOCAB, "invert": True, "num_oov_indices": 2,
                                                   "mask_token": "[M]"}, calls=[inv_in]))
    # adapt
    cs.append(run_lookup(S, "s_adapt", {}, adapt=CORPUS, calls=q2))
    cs.append(run_lookup(S, "s_adapt_rank1", {}, adapt=sum(CORPUS, []), calls=[QUERY1]))
    cs.append(run_lookup(S, "s_adapt_max6", {"max_tokens": 6}, adapt=CORPUS, calls=q2))
    cs.append(run_lookup(S, "s_adapt_mask", {"mask_token": "", "max_tokens": 7}, adapt=CORPUS, calls=q2))
    cs.append(run_lookup(S, "s_adapt_oov0", {"num_oov_indices": 0}, adapt=CORPUS, calls=[[["the", "cat"]]]))
    cs.append(run_lookup(S, "s_adapt_oov2_count", {"num_oov_indices": 2, "output_mode": "count"},
                         adapt=CORPUS, calls=q2))
    cs.append(run_lookup(S, "s_adapt_tf_idf", {"output_mode": "tf_idf"}, adapt=CORPUS, calls=q2))
    cs.append(run_lookup(S, "s_adapt_tf_idf_max_pad", {"output_mode": "tf_idf", "max_tokens": 12,
                                                       "pad_to_max_tokens": True}, adapt=CORPUS, calls=q2))
    cs.append(run_lookup(S, "s_adapt_tf_idf_rank1", {"output_mode": "tf_idf", "num_oov_indices": 2,
                                                     "mask_token": ""},
                         adapt=sum(CORPUS, []), calls=q2))
    cs.append(run_lookup(S, "s_adapt_ragged", {"output_mode": "tf_idf"}, adapt=[c[:3] if i % 2 else c for i, c in enumerate(CORPUS)], ragged_adapt=True,
                         calls=[QUERY]))
    cs.append(run_lookup(S, "s_adapt_twice_int", {}, adapt=CORPUS, adapt2=[["p", "q", "q"]], calls=[["p", "q"]]))
    cs.append(run_lookup(S, "s_set_vocab_then_adapt", {}, set_vocab={"vocabulary": ["k"]}, adapt=CORPUS,
                         calls=[QUERY1]))
    cs.append(run_lookup(S, "s_set_vocab_twice_int", {}, set_vocab={"vocabulary": ["k"]},
                         set_vocab2={"vocabulary": ["m", "n"]}, calls=[["m", "k"]]))
    cs.append(run_lookup(S, "s_set_vocab_idf", {"output_mode": "tf_idf"},
                         set_vocab={"vocabulary": VOCAB, "idf_weights": idf}, calls=[QUERY]))
    cs.append(run_lookup(S, "s_ragged_call", {"vocabulary": VOCAB}, calls=[[["the", "cat", "x"], ["dog"]]]))
    # vocabulary files
    cs.append(run_lookup(S, "s_file", {}, file_lines="the\ncat\ndog\n", calls=q2))
    cs.append(run_lookup(S, "s_file_no_newline", {"mask_token": ""}, file_lines="the\ncat\ndog", calls=q2))
    cs.append(run_lookup(S, "s_file_crlf", {}, file_lines="the\r\ncat\r\n", calls=[["the", "cat", "the\r"]]))
    cs.append(run_lookup(S, "s_file_special", {"num_oov_indices": 2}, file_lines="[UNK]\nthe\ncat\n",
                         calls=[["[UNK]", "the", "cat", "q"]]))
    cs.append(run_lookup(S, "s_file_multi_hot", {"output_mode": "multi_hot", "max_tokens": 3},
                         file_lines="the\ncat\ndog\nmat\n", calls=[QUERY]))
    cs.append(run_lookup(S, "s_file_invert", {"invert": True}, file_lines="the\ncat\ndog\n",
                         calls=[[0, 1, 2, 3, 4]]))
    cs.append(run_lookup(S, "s_file_unicode", {}, file_lines="über\n日本語\n", calls=[["über", "日本語", "x"]]))
    cs.append(run_lookup(S, "s_file_dup", {}, file_lines="the\ncat\nthe\n", calls=[["the"]]))
    cs.append(run_lookup(S, "s_file_empty_line", {}, file_lines="the\n\ncat\n", calls=[["the", "", "cat"]]))
    cs.append(run_lookup(S, "err_s_file_missing", {"vocabulary": "/nonexistent/vocab.txt"}))
    cs.append(run_lookup(S, "err_s_file_tf_idf", {"output_mode": "tf_idf"}, file_lines="the\n"))
    # errors
    cs.append(run_lookup(S, "err_max_tokens_1", {"max_tokens": 1}))
    cs.append(run_lookup(S, "err_pad_no_max", {"pad_to_max_tokens": True, "output_mode": "count"}))
    cs.append(run_lookup(S, "err_oov_neg", {"num_oov_indices": -1}))
    cs.append(run_lookup(S, "err_output_mode", {"output_mode": "bogus"}))
    cs.append(run_lookup(S, "err_invert_mode", {"invert": True, "output_mode": "count"}))
    cs.append(run_lookup(S, "err_sparse_int", {"sparse": True}))
    cs.append(run_lookup(S, "err_idf_not_tf_idf", {"vocabulary": VOCAB, "idf_weights": [1.0] * 5}))
    cs.append(run_lookup(S, "err_tf_idf_vocab_no_idf", {"vocabulary": VOCAB, "output_mode": "tf_idf"}))
    cs.append(run_lookup(S, "err_idf_len", {"vocabulary": VOCAB, "output_mode": "tf_idf", "idf_weights": [1.0, 2.0]}))
    cs.append(run_lookup(S, "err_repeated", {"vocabulary": ["a", "b", "a", "c", "b"]}))
    cs.append(run_lookup(S, "err_empty_vocab", {"vocabulary": []}))
    cs.append(run_lookup(S, "err_mask_inside", {"vocabulary": ["a", "", "b"], "mask_token": ""}))
    cs.append(run_lookup(S, "err_oov_inside_invert", {"vocabulary": ["a", "[UNK]"], "invert": True}))
    cs.append(run_lookup(S, "err_vocab_too_big", {"vocabulary": VOCAB, "max_tokens": 4}))
    cs.append(run_lookup(S, "err_salt_bad", {"salt": [1, 2, 3]}))
    cs.append(run_lookup(S, "err_adapt_static", {"vocabulary": VOCAB}, adapt=CORPUS))
    cs.append(run_lookup(S, "err_no_vocab_count", {"output_mode": "count"}, calls=[QUERY]))
    cs.append(run_lookup(S, "err_adapt_twice_count", {"output_mode": "count"}, adapt=CORPUS,
                         adapt2=[["p", "q", "q"]]))
    cs.append(run_lookup(S, "err_set_twice_count", {"output_mode": "count"}, set_vocab={"vocabulary": ["k"]},
                         set_vocab2={"vocabulary": ["m", "n"]}))
    cs.append(run_lookup(S, "err_set_idf_missing", {"output_mode": "tf_idf"}, set_vocab={"vocabulary": VOCAB}))
    cs.append(run_lookup(S, "err_set_idf_not_tf_idf", {}, set_vocab={"vocabulary": VOCAB, "idf_weights": idf}))

    # --- IntegerLookup
    iq = [IQUERY, [12, 99, 36], 42]
    cs.append(run_lookup(I, "i_int_default", {"vocabulary": IVOCAB}, calls=iq))
    cs.append(run_lookup(I, "i_int_mask0", {"vocabulary": IVOCAB, "mask_token": 0}, calls=iq))
    cs.append(run_lookup(I, "i_int_oov0", {"vocabulary": IVOCAB, "num_oov_indices": 0},
                         calls=[[[12, 36], [42, 1138]], IQUERY]))
    cs.append(run_lookup(I, "i_int_oov3_floormod", {"vocabulary": IVOCAB, "num_oov_indices": 3},
                         calls=iq + [list(range(-10, 30))]))
    cs.append(run_lookup(I, "i_int_oov3_farmhash", {"vocabulary": IVOCAB, "num_oov_indices": 3,
                                                    "oov_method": "farmhash"}, calls=[list(range(-10, 30))]))
    cs.append(run_lookup(I, "i_int_oov3_farmhash_salt", {"vocabulary": IVOCAB, "num_oov_indices": 3,
                                                         "oov_method": "farmhash", "salt": 17},
                         calls=[list(range(-10, 30))]))
    cs.append(run_lookup(I, "i_oov2_mask_oovtok", {"vocabulary": IVOCAB, "num_oov_indices": 2, "mask_token": 0,
                                                   "oov_token": -7}, calls=iq))
    for mode in ("one_hot", "multi_hot", "count"):
        cs.append(run_lookup(I, "i_" + mode, {"vocabulary": IVOCAB, "output_mode": mode}, calls=iq))
        cs.append(run_lookup(I, "i_%s_mask_pad" % mode, {"vocabulary": IVOCAB, "output_mode": mode, "mask_token": 0,
                                                         "max_tokens": 8, "pad_to_max_tokens": True}, calls=iq))
    cs.append(run_lookup(I, "i_tf_idf", {"vocabulary": IVOCAB, "output_mode": "tf_idf",
                                         "idf_weights": [0.25, 0.5, 1.0, 2.0]}, calls=iq))
    cs.append(run_lookup(I, "i_invert", {"vocabulary": IVOCAB, "invert": True}, calls=[[[0, 1, 2], [4, 5, 9]], 3]))
    cs.append(run_lookup(I, "i_invert_mask", {"vocabulary": IVOCAB, "invert": True, "mask_token": 0,
                                              "num_oov_indices": 2}, calls=[[[0, 1, 2, 3], [4, 5, 6, 9]]]))
    cs.append(run_lookup(I, "i_adapt", {}, adapt=ICORPUS, calls=iq))
    cs.append(run_lookup(I, "i_adapt_mask_max", {"mask_token": 0, "max_tokens": 5}, adapt=ICORPUS, calls=iq))
    cs.append(run_lookup(I, "i_adapt_tf_idf", {"output_mode": "tf_idf"}, adapt=ICORPUS, calls=iq))
    cs.append(run_lookup(I, "i_adapt_rank1", {}, adapt=[5, 3, 3, -2, -2, 9, 9, 9, 100], calls=[[3, -2, 9, 4]]))
    cs.append(run_lookup(I, "i_file", {}, file_lines="12\n36\n1138\n", calls=iq))
    cs.append(run_lookup(I, "err_i_oov_neg", {"num_oov_indices": -1}))
    cs.append(run_lookup(I, "err_i_max_tokens", {"max_tokens": 1}))
    cs.append(run_lookup(I, "err_i_dtype", {"vocabulary_dtype": "int32"}))
    cs.append(run_lookup(I, "err_i_salt_floormod", {"salt": 3}))
    cs.append(run_lookup(I, "err_i_oov_method", {"oov_method": "bogus"}))
    cs.append(run_lookup(I, "err_i_invert_mode", {"invert": True, "output_mode": "multi_hot"}))
    cs.append(run_lookup(I, "err_i_mask_inside", {"vocabulary": [1, 0, 2], "mask_token": 0}))
    return cs


def main():
    names = set()
    fixture = {"keras": keras.__version__, "tf": tf.__version__, "fingerprint": fingerprint_cases(),
               "hashing": hashing_cases(), "lookup": lookup_cases()}
    for group in ("hashing", "lookup"):
        for c in fixture[group]:
            assert c["name"] not in names, c["name"]
            names.add(c["name"])
    with open(OUT, "w") as f:
        f.write('{"keras":%s,"tf":%s,\n' % (json.dumps(fixture["keras"]), json.dumps(fixture["tf"])))
        for i, group in enumerate(("fingerprint", "hashing", "lookup")):
            f.write('"%s":[\n' % group)
            f.write(",\n".join(json.dumps(c, ensure_ascii=False, sort_keys=True) for c in fixture[group]))
            f.write("\n]%s\n" % ("," if i < 2 else ""))
        f.write("}\n")
    with open(OUT) as f:
        back = json.load(f)
    print("wrote %s: %d fingerprint, %d hashing, %d lookup cases, %d bytes" % (
        OUT, len(back["fingerprint"]), len(back["hashing"]), len(back["lookup"]), os.path.getsize(OUT)))


if __name__ == "__main__":
    main()
