"""Check, with h5py and Keras, the files kiln-hdf5's writer produced.

    cargo run -p kiln-hdf5 --example write_check_files -- /tmp/kiln_hdf5_check
    /work/venv-tf/bin/python tools/golden/check_hdf5_written.py /tmp/kiln_hdf5_check

Prints one line per check and exits non-zero on the first failure.
"""

import os
import sys

import h5py
import numpy as np

D = sys.argv[1]
checks = 0


def ok(cond, what):
    global checks
    if not cond:
        print("FAIL:", what)
        sys.exit(1)
    checks += 1


def dec(x):
    return x.decode("utf-8") if isinstance(x, bytes) else x


with h5py.File(os.path.join(D, "writer_basic.h5"), "r") as f:
    ok(list(f.keys()) == ["a", "empty_group", "layers", "types"], f"root keys {list(f.keys())}")
    a = f.attrs
    ok(a["title"] == "kiln writer" and isinstance(a["title"], str), f"title {a['title']!r}")
    ok(a["unicode"] == "été ✓", f"unicode {a['unicode']!r}")
    ok(a["empty_str"] == "", f"empty_str {a['empty_str']!r}")
    ok([dec(x) for x in a["layer_names"]] == ["dense", "dense_1", "batch_normalization"], f"layer_names {a['layer_names']!r}")
    ok(a["layer_names"].dtype == np.dtype("S19"), f"layer_names dtype {a['layer_names'].dtype}")
    ok(a["answer"] == 42 and a["answer"].dtype == np.int64, "answer")
    ok(list(a["ints"]) == [1, -2, 3], "ints")
    ok(a["pi"] == np.pi, "pi")
    ok(list(a["floats"]) == [0.5, -1.25], "floats")
    ok(a["flag"] == True and a["flag"].dtype == np.bool_, f"flag {a['flag']!r}")  # noqa: E712
    ok(list(a["flags"]) == [True, False], "flags")
    ok(isinstance(a["nothing"], h5py.Empty), f"nothing {a['nothing']!r}")
    ok(a["no_names"].shape == (0,), f"no_names {a['no_names']!r}")
    ok(sorted(a.keys()) == sorted(["title", "unicode", "empty_str", "layer_names", "answer", "ints", "pi", "floats", "flag", "flags", "nothing", "no_names"]), "attr names")
    k = f["layers/dense/vars/0"]
    ok(k.shape == (4, 3) and k.dtype == np.float32, f"kernel {k}")
    ok(np.array_equal(k[()], (np.arange(12, dtype=np.float32) * 0.25 - 1.0).reshape(4, 3)), "kernel values")
    ok(np.array_equal(f["layers/dense/vars/1"][()], np.array([0.1, 0.2, 0.3], dtype=np.float32)), "bias values")
    ok(f["layers/dense/vars"].attrs["name"] == "dense", "vars name attr")
    ok(len(f["empty_group"]) == 0, "empty group")
    ok(f["a/b/c/d/e/f/g/h/i/j/leaf"][()].tolist() == [7], "deep leaf")
    t = f["types"]
    ok(list(t.keys()) == sorted(t.keys()), "types sorted")
    ok(np.array_equal(t["f64"][()], np.array([1.0, -2.0, 3.5, 1e300, -0.0, np.finfo(np.float64).tiny]).reshape(2, 3)), "f64")
    ok(t["i64"][()].tolist() == [np.iinfo(np.int64).min, 0, np.iinfo(np.int64).max], "i64")
    ok(t["i32_scalar"].shape == () and t["i32_scalar"][()] == -7 and t["i32_scalar"].dtype == np.int32, "i32 scalar")
    ok(t["f64_scalar"].shape == () and t["f64_scalar"][()] == 2.5, "f64 scalar")
    ok(t["u8"].dtype == np.uint8 and t["u8"][()].tolist() == [0, 1, 127, 128, 255], "u8")
    ok(t["empty_f32"].shape == (0, 3) and t["empty_f32"].dtype == np.float32 and t["empty_f32"][()].size == 0, "empty f32")
    ok(t["fixed_str"].dtype == np.dtype("S3") and t["fixed_str"][()].tolist() == [b"ab", b"cde", b""], f"fixed_str {t['fixed_str'][()]!r}")
    vs = t["vlen_str"]
    ok(h5py.check_string_dtype(vs.dtype) is not None, f"vlen dtype {vs.dtype}")
    ok([dec(x) for x in vs[()]] == ["x", "", "hello wörld"], f"vlen_str {vs[()]!r}")
    ok(vs.attrs["unit"] == "metres" and vs.attrs["scale"] == 0.5, "dataset attrs")

with h5py.File(os.path.join(D, "writer_many.h5"), "r") as f:
    names = list(f.keys())
    ok(names == sorted([f"d{i:03}" for i in range(300)] + ["twenty"]), f"many keys ({len(names)})")
    ok(all(f[f"d{i:03}"][()].tolist() == [i] for i in range(300)), "many values")
    ok(list(f["twenty"].keys()) == sorted(f"g{i}" for i in range(20)), "twenty keys sorted")
    # h5py can also modify what we wrote
with h5py.File(os.path.join(D, "writer_many.h5"), "r+") as f:
    f.create_group("added_by_h5py")
    f["twenty"].create_dataset("x", data=[1, 2])
with h5py.File(os.path.join(D, "writer_many.h5"), "r") as f:
    ok("added_by_h5py" in f and f["twenty/x"][()].tolist() == [1, 2] and len(f) == 302, "modify with h5py r+")

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402

model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
model.load_weights(os.path.join(D, "writer_keras.weights.h5"))
w, bias = model.layers[0].get_weights()
ok(np.array_equal(w, (np.arange(12, dtype=np.float32) / 10).reshape(4, 3)) and np.array_equal(bias, [1, 2, 3]), "keras load_weights")

legacy = keras.models.load_model(os.path.join(D, "writer_legacy_copy.h5"))
here = os.path.dirname(os.path.abspath(__file__))
orig = keras.models.load_model(os.path.join(here, "fixtures", "hdf5", "tiny_legacy.h5"))
for a, b in zip(legacy.get_weights(), orig.get_weights()):
    ok(np.array_equal(a, b), "legacy copy weights equal the original")
x = np.arange(8, dtype=np.float32).reshape(2, 4)
ok(np.array_equal(legacy.predict(x, verbose=0), orig.predict(x, verbose=0)), "legacy copy predicts like the original")

print(f"all {checks} checks passed (h5py {h5py.__version__}, HDF5 {h5py.version.hdf5_version}, keras {keras.__version__})")
