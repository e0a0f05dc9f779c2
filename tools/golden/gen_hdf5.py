"""Generate small HDF5 fixtures with h5py (and two real Keras files) for kiln-hdf5.

Run from the repository root:

    /work/venv-tf/bin/python tools/golden/gen_hdf5.py

Writes `tools/golden/fixtures/hdf5/*.h5` and `manifest.json`, which records for
every fixture the expected tree: groups (with sorted member names), datasets
(shape, dtype, flattened values) and attributes. The Rust tests in
`crates/kiln-hdf5/tests/` read the manifest, so they need no Python.
"""

import json
import os
import sys

import h5py
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "hdf5")


def jsonable(v):
    if isinstance(v, bytes):
        return v.decode("utf-8")
    if isinstance(v, np.ndarray):
        return [jsonable(x) for x in v.reshape(-1).tolist()] if v.dtype.kind not in "SO" else [jsonable(x) for x in v.reshape(-1)]
    if isinstance(v, (np.floating, float)):
        f = float(v)
        if f != f:
            return "nan"
        if f in (float("inf"), float("-inf")):
            return "inf" if f > 0 else "-inf"
        return f
    if isinstance(v, (np.integer, int, np.bool_, bool)):
        return int(v)
    if isinstance(v, str):
        return v
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    raise TypeError(type(v))


def dtype_name(dt):
    if dt.kind == "b":
        return "bool"
    if dt.kind in "iu":
        return f"{dt.kind}{dt.itemsize * 8}"
    if dt.kind == "f":
        return f"f{dt.itemsize * 8}"
    if dt.kind == "S":
        return f"fixed_string({dt.itemsize})"
    if dt.kind == "O":
        return "var_string"
    raise TypeError(dt)


def describe(f):
    """Walk a file with h5py and describe every object."""
    objs = {}

    def attrs_of(o):
        out = {}
        for k in sorted(o.attrs.keys()):
            v = o.attrs[k]
            if isinstance(v, np.ndarray):
                out[k] = {"shape": list(v.shape), "value": jsonable(v)}
            else:
                out[k] = {"shape": [], "value": jsonable(v)}
        return out

    def visit(name, o):
        path = "/" + name if name else "/"
        if isinstance(o, h5py.Group):
            objs[path] = {"kind": "group", "members": list(o.keys()), "attrs": attrs_of(o)}
        else:
            d = {"kind": "dataset", "shape": list(o.shape), "dtype": dtype_name(o.dtype), "attrs": attrs_of(o)}
            data = o[()]
            if o.dtype.kind == "b":
                d["values"] = [int(x) for x in np.asarray(data).reshape(-1)]
            else:
                d["values"] = jsonable(np.asarray(data))
            objs[path] = d

    visit("", f)
    f.visititems(visit)
    return objs


def rng(seed):
    return np.random.default_rng(seed)


def build_basic(f):
    r = rng(1)
    f.attrs["title"] = "kiln fixture"  # vlen str scalar
    f.attrs["fixed"] = np.bytes_("fixed-bytes")  # fixed-length scalar
    f.attrs["answer"] = np.int64(42)
    f.attrs["pi"] = np.float64(3.141592653589793)
    f.attrs["ints"] = np.arange(5, dtype=np.int32)
    f.attrs["floats"] = np.array([0.5, -1.25, 2.0], dtype=np.float32)
    f.attrs["layer_names"] = np.array([b"dense", b"dense_1", b"batch_normalization"], dtype="S19")
    f.attrs["vlen_list"] = np.array(["alpha", "beta", "gamma"], dtype=h5py.string_dtype())
    g = f.create_group("layers")
    d = g.create_group("dense")
    v = d.create_group("vars")
    v.create_dataset("0", data=r.standard_normal((4, 3)).astype(np.float32))
    v.create_dataset("1", data=np.zeros(3, dtype=np.float32))
    f.create_group("empty_group")
    n = f.create_group("a").create_group("b").create_group("c").create_group("d")
    n.create_dataset("deep", data=np.array([1.0, 2.0]))
    t = f.create_group("types")
    t.create_dataset("i8", data=np.array([-128, -1, 0, 127], dtype=np.int8))
    t.create_dataset("u8", data=np.array([0, 1, 255], dtype=np.uint8))
    t.create_dataset("i16", data=np.array([-32768, 7, 32767], dtype=np.int16))
    t.create_dataset("u16", data=np.array([0, 65535], dtype=np.uint16))
    t.create_dataset("i32", data=np.array([-(2**31), 5, 2**31 - 1], dtype=np.int32))
    t.create_dataset("u32", data=np.array([0, 2**32 - 1], dtype=np.uint32))
    t.create_dataset("i64", data=np.array([-(2**62), -3, 2**62], dtype=np.int64))
    t.create_dataset("u64", data=np.array([0, 2**53], dtype=np.uint64))
    t.create_dataset("i32_be", data=np.array([1, -2, 300], dtype=">i4"))
    t.create_dataset("f64_be", data=np.array([1.5, -2.25], dtype=">f8"))
    t.create_dataset("f16", data=np.array([0.5, -2.0, 65504.0, 1e-3], dtype=np.float16))
    t.create_dataset("f32", data=np.array([1.5, -0.0, 3.25e10], dtype=np.float32))
    t.create_dataset("f64", data=r.standard_normal((2, 3, 2)))
    t.create_dataset("bool", data=np.array([True, False, True]))
    t.create_dataset("scalar_f64", data=np.float64(2.5))
    t.create_dataset("scalar_i32", data=np.int32(-7))
    t.create_dataset("empty_f32", shape=(0, 3), dtype=np.float32)
    t.create_dataset("unwritten_f32", shape=(2, 2), dtype=np.float32)  # never written: undefined address
    t.create_dataset("fixed_str", data=np.array([b"ab", b"cde", b""], dtype="S3"))
    t.create_dataset("vlen_str", data=np.array(["x", "hello world", "\u00e9t\u00e9"], dtype=h5py.string_dtype()))
    t.create_dataset("scalar_vlen_str", data="just one", dtype=h5py.string_dtype())
    d2 = t["f32"]
    d2.attrs["unit"] = "metres"
    d2.attrs["scale"] = np.float32(0.5)


def build_chunked(f):
    r = rng(2)
    f.create_dataset("gzip_shuffle", data=r.standard_normal((20, 7)).astype(np.float32), chunks=(6, 4), compression="gzip", shuffle=True)
    f.create_dataset("gzip", data=np.arange(100, dtype=np.int64).reshape(10, 10), chunks=(4, 4), compression="gzip", compression_opts=9)
    f.create_dataset("chunked_plain", data=np.arange(30, dtype=np.float64), chunks=(7,))
    f.create_dataset("shuffle_only", data=np.arange(12, dtype=np.int32).reshape(3, 4), chunks=(2, 2), shuffle=True)
    f.create_dataset("resizable", data=np.arange(5, dtype=np.float32), maxshape=(None,), chunks=(2,))
    # 50 chunks: past the extensible array's index block, into its data blocks (latest)
    f.create_dataset("resizable_many", data=np.arange(100, dtype=np.int32), maxshape=(None,), chunks=(2,))
    f.create_dataset("resizable_2d", data=np.arange(30, dtype=np.float64).reshape(10, 3), maxshape=(None, 3), chunks=(3, 2), compression="gzip")
    f.create_dataset("partial_chunks", shape=(10,), dtype=np.float32, chunks=(4,), fillvalue=0)
    f["partial_chunks"][0:4] = np.arange(4, dtype=np.float32) + 1


def build_many(f):
    # > 16 members so the v1 B-tree / symbol nodes split (earliest) or
    # dense storage kicks in (latest, > 8 links by default).
    for i in range(40):
        g = f.create_group(f"g{i:02d}")
        g.attrs["i"] = np.int64(i)
    for i in range(25):
        f.create_dataset(f"d{i}", data=np.array([i], dtype=np.int32))
    for i in range(12):
        f.attrs[f"attr{i}"] = np.int64(i)  # many attributes (dense attribute storage in latest)


def build_compact_dataset(f):
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_layout(h5py.h5d.COMPACT)
    space = h5py.h5s.create_simple((3,))
    dsid = h5py.h5d.create(f.id, b"compact", h5py.h5t.STD_I16LE, space, dcpl=dcpl)
    dsid.write(h5py.h5s.ALL, h5py.h5s.ALL, np.array([1, 2, 3], dtype=np.int16))


FIXTURES = []


def make(name, libver, builder):
    path = os.path.join(OUT, name)
    if os.path.exists(path):
        os.remove(path)
    with h5py.File(path, "w", libver=libver, track_order=False) as f:
        builder(f)
    FIXTURES.append(name)


def keras_files():
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    w = os.path.join(OUT, "tiny.weights.h5")
    legacy = os.path.join(OUT, "tiny_legacy.h5")
    for p in (w, legacy):
        if os.path.exists(p):
            os.remove(p)
    model.save_weights(w)
    model.save(legacy)
    FIXTURES.extend(["tiny.weights.h5", "tiny_legacy.h5"])


def main():
    os.makedirs(OUT, exist_ok=True)

    def chunked_plus_compact(f):
        build_chunked(f)
        build_compact_dataset(f)

    make("basic_earliest.h5", "earliest", build_basic)
    make("basic_latest.h5", "latest", build_basic)
    make("chunked_earliest.h5", "earliest", chunked_plus_compact)
    make("chunked_latest.h5", "latest", chunked_plus_compact)
    make("many_earliest.h5", "earliest", build_many)
    make("many_latest.h5", "latest", build_many)
    if "--no-keras" not in sys.argv:
        keras_files()
    manifest = {"h5py_version": h5py.__version__, "hdf5_version": h5py.version.hdf5_version, "files": {}}
    for name in FIXTURES:
        with h5py.File(os.path.join(OUT, name), "r") as f:
            manifest["files"][name] = describe(f)
    with open(os.path.join(OUT, "manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=1, sort_keys=True)
        fh.write("\n")
    total = 0
    for name in FIXTURES:
        size = os.path.getsize(os.path.join(OUT, name))
        total += size
        print(f"{name}: {size} bytes")
    print(f"total {total} bytes")


if __name__ == "__main__":
    main()
