#!/usr/bin/env python3
"""Golden-fixture generator for kiln.

Runs real TensorFlow (see requirements.txt for the pinned version) on small,
deterministic inputs and writes one JSON file per op family into
tools/golden/fixtures/.  Rust tests compare kiln against these files without
needing Python.

Usage (from the repository root):

    python tools/golden/generate.py            # regenerate every family
    python tools/golden/generate.py conv pool  # regenerate only some families

See tools/golden/README.md for the file format.
"""

import json
import os
import sys
import zlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")

F32 = np.float32
F64 = np.float64
I32 = np.int32
I64 = np.int64
BOOL = np.bool_

FLOAT_DTYPES = (np.dtype(F32), np.dtype(F64))


# ---------------------------------------------------------------------------
# Serialisation
# ---------------------------------------------------------------------------

def _dtype_name(dt):
    dt = np.dtype(dt)
    names = {
        np.dtype(F32): "float32",
        np.dtype(F64): "float64",
        np.dtype(I32): "int32",
        np.dtype(I64): "int64",
        np.dtype(BOOL): "bool",
        np.dtype(np.uint8): "uint8",
    }
    if dt not in names:
        raise TypeError("unsupported dtype %s" % dt)
    return names[dt]


def _float_item(v):
    if v != v:
        return "nan"
    if v == float("inf"):
        return "inf"
    if v == float("-inf"):
        return "-inf"
    return float(v)


def tensor_json(a):
    if isinstance(a, (tf.Tensor, tf.Variable)):
        a = a.numpy()
    a = np.asarray(a)
    name = _dtype_name(a.dtype)
    flat = a.reshape(-1).tolist()
    if name in ("float32", "float64"):
        data = [_float_item(v) for v in flat]
    elif name == "bool":
        data = [bool(v) for v in flat]
    else:
        data = [int(v) for v in flat]
    return {"shape": [int(d) for d in a.shape], "dtype": name, "data": data}


# ---------------------------------------------------------------------------
# Random input helpers (all take a numpy Generator)
# ---------------------------------------------------------------------------

def normal(rng, shape, dtype=F32, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(dtype)


def uniform(rng, shape, lo, hi, dtype=F32):
    return rng.uniform(lo, hi, size=shape).astype(dtype)


def away(rng, shape, lo=0.1, hi=2.0, dtype=F32):
    """Random values with lo <= |x| <= hi and random sign."""
    mag = rng.uniform(lo, hi, size=shape)
    sign = np.where(rng.uniform(size=shape) < 0.5, -1.0, 1.0)
    return (mag * sign).astype(dtype)


def distinct(rng, shape, dtype=F32, spread=2.0):
    """Values that are pairwise distinct by a clear margin (no ties)."""
    n = int(np.prod(shape)) if len(shape) else 1
    perm = rng.permutation(n).astype(np.float64)
    gap = 2.0 * spread / max(n, 1)
    vals = (perm - (n - 1) / 2.0) * gap + rng.uniform(0.0, 0.3 * gap, size=n)
    return vals.reshape(shape).astype(dtype)


def ints(rng, shape, lo, hi, dtype=I32):
    """Integers in [lo, hi)."""
    return rng.integers(lo, hi, size=shape).astype(dtype)


def nonzero_ints(rng, shape, lo, hi, dtype=I32):
    v = rng.integers(lo, hi, size=shape)
    v = np.where(v == 0, 1, v)
    return v.astype(dtype)


def bools(rng, shape):
    return rng.uniform(size=shape) < 0.5


def softmax_rows(rng, shape, dtype=F32):
    z = rng.standard_normal(shape)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return (e / e.sum(axis=-1, keepdims=True)).astype(dtype)


# ---------------------------------------------------------------------------
# Case machinery
# ---------------------------------------------------------------------------

def _to_tensor(a):
    return tf.constant(a)


def _densify(g):
    if g is None:
        return None
    if isinstance(g, tf.IndexedSlices):
        g = tf.convert_to_tensor(g)
    return g


class Family:
    def __init__(self, name):
        self.name = name
        self.cases = []
        self._names = set()

    def case(self, name, op, inputs, fn, attrs=None, grad=True, multi=False,
             grad_fn=None):
        """Add one case.

        inputs:  callable(rng) -> list of numpy arrays (dtype matters).
        fn:      callable(*tf_tensors) -> tf tensor (or list when multi=True).
        grad:    compute gradients w.r.t. every float input (from output 0).
        grad_fn: optional alternative formulation used only for gradients when
                 TF's CPU kernels cannot differentiate `fn` itself (forward of
                 grad_fn is checked against fn before use).
        """
        if name in self._names:
            raise ValueError("duplicate case name %s/%s" % (self.name, name))
        self._names.add(name)
        rng = np.random.default_rng(zlib.crc32(("%s/%s" % (self.name, name)).encode()))
        arrays = inputs(rng)
        tensors = [_to_tensor(a) for a in arrays]
        float_idx = [i for i, a in enumerate(arrays) if np.asarray(a).dtype in FLOAT_DTYPES]

        outs = fn(*tensors)
        if multi:
            outs = list(outs)
            first = outs[0]
        else:
            first = outs
        first = tf.convert_to_tensor(first)

        entry = {"name": name, "op": op, "attrs": attrs if attrs is not None else {},
                 "inputs": [tensor_json(a) for a in arrays]}
        if multi:
            entry["outputs"] = [tensor_json(o) for o in outs]
        else:
            entry["output"] = tensor_json(first)

        upstream = None
        grads = [None] * len(arrays)
        if grad and float_idx and first.dtype in (tf.float32, tf.float64):
            dy_np = normal(rng, first.shape.as_list(), dtype=first.dtype.as_numpy_dtype)
            dy = tf.constant(dy_np)
            gfn = grad_fn if grad_fn is not None else fn
            watched = [tensors[i] for i in float_idx]
            with tf.GradientTape() as tape:
                for t in watched:
                    tape.watch(t)
                y = gfn(*tensors)
                if multi:
                    y = list(y)[0]
            if grad_fn is not None:
                np.testing.assert_allclose(y.numpy(), first.numpy(), rtol=1e-4, atol=1e-4,
                                           err_msg="grad_fn forward mismatch in " + name)
            gs = tape.gradient(y, watched, output_gradients=dy)
            for i, g in zip(float_idx, gs):
                g = _densify(g)
                grads[i] = None if g is None else tensor_json(g)
            if any(g is not None for g in grads):
                upstream = tensor_json(dy_np)
            else:
                grads = [None] * len(arrays)
        entry["upstream"] = upstream
        entry["grads"] = grads
        self.cases.append(entry)

    def write(self, out_dir):
        os.makedirs(out_dir, exist_ok=True)
        path = os.path.join(out_dir, self.name + ".json")
        head = {"tf_version": tf.__version__, "family": self.name}
        lines = []
        for c in self.cases:
            lines.append(json.dumps(c, separators=(",", ":"), allow_nan=False))
        with open(path, "w") as f:
            f.write('{"tf_version":%s,"family":%s,"cases":[\n'
                    % (json.dumps(head["tf_version"]), json.dumps(head["family"])))
            f.write(",\n".join(lines))
            f.write("\n]}\n")
        return path


def shape_tag(shape):
    return "x".join(str(d) for d in shape) if len(shape) else "scalar"


# ---------------------------------------------------------------------------
# elementwise
# ---------------------------------------------------------------------------

BCAST_VARIANTS = [
    ("same", [3, 4], [3, 4]),
    ("bcast_row", [3, 4], [4]),
    ("bcast_2x1x4_3x1", [2, 1, 4], [3, 1]),
    ("scalar_lhs", [], [3, 4]),
    ("scalar_rhs", [3, 4], []),
]


def _floor_safe_pair(rng, sx, sy, dtype):
    """x, y for floordiv/floormod: y away from 0, x/y not close to an integer."""
    for _ in range(1000):
        x = uniform(rng, sx, -6.0, 6.0, dtype)
        y = away(rng, sy, 0.5, 2.5, dtype)
        q = np.asarray(x, np.float64) / np.asarray(y, np.float64)
        frac = np.abs(q - np.round(q))
        if frac.min() > 0.02:
            return [x, y]
    raise RuntimeError("could not draw floor-safe inputs")


def build_elementwise():
    fam = Family("elementwise")

    binary = [
        ("add", tf.math.add, lambda r, s, d: normal(r, s, d), lambda r, s, d: normal(r, s, d)),
        ("sub", tf.math.subtract, lambda r, s, d: normal(r, s, d), lambda r, s, d: normal(r, s, d)),
        ("mul", tf.math.multiply, lambda r, s, d: normal(r, s, d), lambda r, s, d: normal(r, s, d)),
        ("div", tf.math.truediv, lambda r, s, d: normal(r, s, d), lambda r, s, d: away(r, s, 0.5, 2.0, d)),
        ("pow", tf.math.pow, lambda r, s, d: uniform(r, s, 0.5, 2.0, d), lambda r, s, d: normal(r, s, d)),
        ("maximum", tf.math.maximum, None, None),
        ("minimum", tf.math.minimum, None, None),
        ("squared_difference", tf.math.squared_difference,
         lambda r, s, d: normal(r, s, d), lambda r, s, d: normal(r, s, d)),
    ]

    def distinct_pair(r, sx, sy, d):
        # draw all values from one distinct pool so x and y never tie
        nx = int(np.prod(sx)) if sx else 1
        ny = int(np.prod(sy)) if sy else 1
        pool = distinct(r, [nx + ny], d).reshape(-1)
        return [pool[:nx].reshape(sx), pool[nx:].reshape(sy)]

    for op, f, gx, gy in binary:
        for tag, sx, sy in BCAST_VARIANTS:
            if gx is None:
                mk = (lambda sx=sx, sy=sy: lambda r: distinct_pair(r, sx, sy, F32))()
            else:
                mk = (lambda gx=gx, gy=gy, sx=sx, sy=sy: lambda r: [gx(r, sx, F32), gy(r, sy, F32)])()
            fam.case("%s_%s" % (op, tag), op, mk, f)

    for op, f in [("floor_div", tf.math.floordiv), ("rem", tf.math.floormod)]:
        for tag, sx, sy in BCAST_VARIANTS:
            fam.case("%s_%s" % (op, tag), op,
                     (lambda sx=sx, sy=sy: lambda r: _floor_safe_pair(r, sx, sy, F32))(), f)
        for tag, sx, sy in BCAST_VARIANTS:
            fam.case("%s_i32_%s" % (op, tag), op,
                     (lambda sx=sx, sy=sy: lambda r: [ints(r, sx, -20, 21), nonzero_ints(r, sy, -6, 7)])(),
                     f, grad=False)
        fam.case("%s_f64_same" % op, op, lambda r: _floor_safe_pair(r, [3, 4], [3, 4], F64), f)
    # exact sign table for floor semantics
    fam.case("floor_div_i32_sign_table", "floor_div",
             lambda r: [np.array([7, -7, 7, -7, 6, -6, 0], I32), np.array([3, 3, -3, -3, 3, -3, 5], I32)],
             tf.math.floordiv, grad=False)
    fam.case("rem_i32_sign_table", "rem",
             lambda r: [np.array([7, -7, 7, -7, 6, -6, 0], I32), np.array([3, 3, -3, -3, 3, -3, 5], I32)],
             tf.math.floormod, grad=False)
    fam.case("rem_sign_table", "rem",
             lambda r: [np.array([7.5, -7.5, 7.5, -7.5, 0.25], F32), np.array([2.0, 2.0, -2.0, -2.0, 1.0], F32)],
             tf.math.floormod)

    # float64 variants of a handful of binary ops
    for op, f, gx, gy in binary:
        if op in ("add", "mul", "div", "pow", "maximum"):
            if gx is None:
                mk = lambda r: distinct_pair(r, [3, 4], [4], F64)
            else:
                mk = (lambda gx=gx, gy=gy: lambda r: [gx(r, [3, 4], F64), gy(r, [4], F64)])()
            fam.case("%s_f64_bcast_row" % op, op, mk, f)

    # int32 arithmetic (no grads)
    for op, f in [("add", tf.math.add), ("sub", tf.math.subtract), ("mul", tf.math.multiply),
                  ("maximum", tf.math.maximum), ("minimum", tf.math.minimum)]:
        fam.case("%s_i32_bcast_row" % op, op, lambda r: [ints(r, [3, 4], -10, 11), ints(r, [4], -10, 11)],
                 f, grad=False)

    # true division of integers: TF gives float32 for 8/16-bit integers, float64 for 32/64-bit
    for dt, tag in [(np.uint8, "u8"), (I32, "i32"), (np.int64, "i64")]:
        fam.case("div_%s_truediv" % tag, "div",
                 (lambda dt=dt: lambda r: [np.array([7, 2, 9, 0], dt), np.array([2, 4, 3, 5], dt)])(),
                 tf.math.truediv, grad=False)

    # pow with a negative base and integral exponents (grad w.r.t. exponent)
    fam.case("pow_negative_base_integral_exponent", "pow",
             lambda r: [np.array([-2.0, -1.5, -0.5, 0.5, 1.5, 2.0], F32),
                        np.array([2.0, 3.0, 2.0, 3.0, 2.0, -1.0], F32)],
             tf.math.pow)

    # gradient tie-breaking documentation cases
    tie_x = np.array([1.0, 2.0, -1.0, 0.5, 3.0, -2.0], F32)
    tie_y = np.array([1.0, 3.0, -1.0, 0.0, 3.0, -3.0], F32)
    fam.case("maximum_ties", "maximum", lambda r: [tie_x, tie_y], tf.math.maximum)
    fam.case("minimum_ties", "minimum", lambda r: [tie_x, tie_y], tf.math.minimum)

    # comparisons (no grads). small-integer floats so equality happens.
    cmps = [("equal", tf.math.equal), ("not_equal", tf.math.not_equal), ("less", tf.math.less),
            ("less_equal", tf.math.less_equal), ("greater", tf.math.greater),
            ("greater_equal", tf.math.greater_equal)]
    for op, f in cmps:
        fam.case("%s_same" % op, op,
                 lambda r: [ints(r, [3, 4], -2, 3).astype(F32), ints(r, [3, 4], -2, 3).astype(F32)], f, grad=False)
        fam.case("%s_bcast_row" % op, op,
                 lambda r: [ints(r, [3, 4], -2, 3).astype(F32), ints(r, [4], -2, 3).astype(F32)], f, grad=False)
        fam.case("%s_i32_bcast_2x1x4_3x1" % op, op,
                 lambda r: [ints(r, [2, 1, 4], -2, 3), ints(r, [3, 1], -2, 3)], f, grad=False)

    for op, f in [("logical_and", tf.math.logical_and), ("logical_or", tf.math.logical_or)]:
        fam.case("%s_same" % op, op, lambda r: [bools(r, [3, 4]), bools(r, [3, 4])], f, grad=False)
        fam.case("%s_bcast_row" % op, op, lambda r: [bools(r, [3, 4]), bools(r, [4])], f, grad=False)
        fam.case("%s_bcast_2x1x4_3x1" % op, op, lambda r: [bools(r, [2, 1, 4]), bools(r, [3, 1])], f, grad=False)
    fam.case("logical_not", "logical_not", lambda r: [bools(r, [3, 4])], tf.math.logical_not, grad=False)

    fam.case("where_same", "where", lambda r: [bools(r, [3, 4]), normal(r, [3, 4]), normal(r, [3, 4])], tf.where)
    fam.case("where_bcast_3x1_3x4_4", "where",
             lambda r: [bools(r, [3, 1]), normal(r, [3, 4]), normal(r, [4])], tf.where)
    fam.case("where_bcast_cond_4_scalar_y", "where",
             lambda r: [bools(r, [4]), normal(r, [2, 3, 4]), normal(r, [])], tf.where)
    fam.case("where_f64_same", "where",
             lambda r: [bools(r, [3, 4]), normal(r, [3, 4], F64), normal(r, [3, 4], F64)], tf.where)

    # unary
    S = [3, 5]
    unary = [
        ("neg", tf.math.negative, lambda r, d: normal(r, S, d)),
        ("abs", tf.math.abs, lambda r, d: away(r, S, 0.1, 3.0, d)),
        ("sign", tf.math.sign, lambda r, d: away(r, S, 0.1, 3.0, d)),
        ("exp", tf.math.exp, lambda r, d: normal(r, S, d, 1.5)),
        ("log", tf.math.log, lambda r, d: uniform(r, S, 0.2, 4.0, d)),
        ("log1p", tf.math.log1p, lambda r, d: uniform(r, S, -0.7, 3.0, d)),
        ("expm1", tf.math.expm1, lambda r, d: normal(r, S, d, 1.5)),
        ("sqrt", tf.math.sqrt, lambda r, d: uniform(r, S, 0.2, 4.0, d)),
        ("rsqrt", tf.math.rsqrt, lambda r, d: uniform(r, S, 0.2, 4.0, d)),
        ("square", tf.math.square, lambda r, d: normal(r, S, d, 2.0)),
        ("reciprocal", tf.math.reciprocal, lambda r, d: away(r, S, 0.3, 3.0, d)),
        ("sin", tf.math.sin, lambda r, d: normal(r, S, d, 2.0)),
        ("cos", tf.math.cos, lambda r, d: normal(r, S, d, 2.0)),
        ("tanh", tf.math.tanh, lambda r, d: normal(r, S, d, 2.0)),
        ("round", tf.math.round, lambda r, d: normal(r, S, d, 3.0)),
        ("floor", tf.math.floor, lambda r, d: normal(r, S, d, 3.0)),
        ("ceil", tf.math.ceil, lambda r, d: normal(r, S, d, 3.0)),
    ]
    f64_unary = {"neg", "abs", "exp", "log", "sqrt", "rsqrt", "tanh", "sin", "reciprocal", "floor"}
    for op, f, g in unary:
        fam.case(op, op, (lambda g=g: lambda r: [g(r, F32)])(), f)
        if op in f64_unary:
            fam.case(op + "_f64", op, (lambda g=g: lambda r: [g(r, F64)])(), f)
    fam.case("sign_with_zero", "sign", lambda r: [np.array([-2.5, -0.0, 0.0, 0.5, 3.0], F32)], tf.math.sign)
    fam.case("abs_kink_at_zero", "abs", lambda r: [np.array([-1.5, 0.0, 2.0], F32)], tf.math.abs)
    fam.case("round_half_to_even", "round",
             lambda r: [np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 0.49999997], F32)], tf.math.round)
    fam.case("floor_negative", "floor",
             lambda r: [np.array([-2.5, -1.0, -0.1, 0.0, 0.1, 1.0, 2.5], F32)], tf.math.floor)
    fam.case("ceil_negative", "ceil",
             lambda r: [np.array([-2.5, -1.0, -0.1, 0.0, 0.1, 1.0, 2.5], F32)], tf.math.ceil)

    for lo, hi in [(-0.5, 0.5), (-1.0, 2.0)]:
        name = "clip_%s_%s" % (str(lo).replace("-", "m").replace(".", "p"), str(hi).replace("-", "m").replace(".", "p"))

        def mk(r, lo=lo, hi=hi):
            x = normal(r, S, F32, 2.0)
            # keep away from the clip boundaries
            for b in (lo, hi):
                x = np.where(np.abs(x - b) < 0.05, x + 0.2, x).astype(F32)
            return [x]
        fam.case(name, "clip", mk, (lambda lo=lo, hi=hi: lambda x: tf.clip_by_value(x, lo, hi))(),
                 attrs={"min": lo, "max": hi})
    fam.case("clip_kink_at_bounds", "clip",
             lambda r: [np.array([-1.0, -0.5, 0.0, 0.5, 1.0], F32)],
             lambda x: tf.clip_by_value(x, -0.5, 0.5), attrs={"min": -0.5, "max": 0.5})
    fam.case("clip_f64", "clip", lambda r: [normal(r, S, F64, 2.0)],
             lambda x: tf.clip_by_value(x, -0.7, 0.9), attrs={"min": -0.7, "max": 0.9})

    special = np.array([[1.0, float("nan"), float("inf"), -2.0, float("-inf")],
                        [0.0, -0.0, 3.5, float("nan"), 1e30],
                        [-1e-30, float("inf"), 7.0, -3.0, float("nan")]], F32)
    fam.case("isnan", "isnan", lambda r: [special], tf.math.is_nan, grad=False)
    fam.case("isfinite", "isfinite", lambda r: [special], tf.math.is_finite, grad=False)
    fam.case("isnan_f64", "isnan", lambda r: [special.astype(F64)], tf.math.is_nan, grad=False)
    fam.case("isfinite_f64", "isfinite", lambda r: [special.astype(F64)], tf.math.is_finite, grad=False)
    return fam


# ---------------------------------------------------------------------------
# activations
# ---------------------------------------------------------------------------

def build_activations():
    fam = Family("activations")
    S = [3, 5]

    def away0(r, d=F32, lo=0.05, hi=3.0):
        return away(r, S, lo, hi, d)

    def relu6_domain(r, d=F32):
        x = uniform(r, S, -3.0, 9.0, d)
        x = np.where(np.abs(x) < 0.05, x + 0.2, x)
        x = np.where(np.abs(x - 6.0) < 0.05, x + 0.2, x)
        return x.astype(d)

    def hs_domain(r, d=F32):
        x = uniform(r, S, -5.0, 5.0, d)
        for b in (-3.0, 3.0):
            x = np.where(np.abs(x - b) < 0.05, x + 0.2, x)
        return x.astype(d)

    acts = [
        ("sigmoid", {}, tf.math.sigmoid, lambda r, d: normal(r, S, d, 3.0)),
        ("relu", {}, tf.nn.relu, away0),
        ("relu6", {}, tf.nn.relu6, relu6_domain),
        ("leaky_relu_alpha0p2", {"alpha": 0.2}, lambda x: tf.nn.leaky_relu(x, alpha=0.2), away0),
        ("leaky_relu_alpha0p3", {"alpha": 0.3}, lambda x: tf.nn.leaky_relu(x, alpha=0.3), away0),
        ("elu", {}, tf.nn.elu, away0),
        ("selu", {}, tf.nn.selu, away0),
        ("gelu_exact", {"approximate": False}, lambda x: tf.nn.gelu(x, approximate=False),
         lambda r, d: normal(r, S, d, 2.0)),
        ("gelu_tanh", {"approximate": True}, lambda x: tf.nn.gelu(x, approximate=True),
         lambda r, d: normal(r, S, d, 2.0)),
        ("softplus", {}, tf.math.softplus, lambda r, d: normal(r, S, d, 3.0)),
        ("softsign", {}, tf.math.softsign, lambda r, d: normal(r, S, d, 3.0)),
        ("silu", {}, tf.nn.silu, lambda r, d: normal(r, S, d, 3.0)),
        ("hard_sigmoid", {}, keras.activations.hard_sigmoid, hs_domain),
    ]
    f64 = {"sigmoid", "relu", "elu", "gelu_exact", "gelu_tanh", "softplus", "silu", "hard_sigmoid",
           "leaky_relu_alpha0p2"}
    for name, attrs, f, g in acts:
        op = name
        if name.startswith("leaky_relu"):
            op = "leaky_relu"
        elif name.startswith("gelu"):
            op = "gelu"
        fam.case(name, op, (lambda g=g: lambda r: [g(r, F32)])(), f, attrs=dict(attrs))
        if name in f64:
            fam.case(name + "_f64", op, (lambda g=g: lambda r: [g(r, F64)])(), f, attrs=dict(attrs))

    big = lambda r: [np.array([-100.0, -30.0, -10.0, -1.0, 0.0, 1.0, 10.0, 30.0, 100.0], F32)]
    fam.case("sigmoid_large_inputs", "sigmoid", big, tf.math.sigmoid)
    fam.case("softplus_large_inputs", "softplus", big, tf.math.softplus)
    fam.case("silu_large_inputs", "silu", big, tf.nn.silu)
    fam.case("softsign_large_inputs", "softsign", big, tf.math.softsign)
    fam.case("gelu_exact_large_inputs", "gelu", big, lambda x: tf.nn.gelu(x, approximate=False),
             attrs={"approximate": False})
    fam.case("elu_large_negative", "elu", big, tf.nn.elu)

    # kink documentation cases (TF's one-sided choices)
    fam.case("relu_kink_at_zero", "relu", lambda r: [np.array([-1.0, 0.0, 1.0], F32)], tf.nn.relu)
    fam.case("relu6_kink_at_0_and_6", "relu6",
             lambda r: [np.array([-1.0, 0.0, 3.0, 6.0, 7.0], F32)], tf.nn.relu6)
    fam.case("leaky_relu_kink_at_zero", "leaky_relu", lambda r: [np.array([-1.0, 0.0, 1.0], F32)],
             lambda x: tf.nn.leaky_relu(x, alpha=0.2), attrs={"alpha": 0.2})
    fam.case("elu_kink_at_zero", "elu", lambda r: [np.array([-1.0, 0.0, 1.0], F32)], tf.nn.elu)
    fam.case("hard_sigmoid_kinks_at_pm3", "hard_sigmoid",
             lambda r: [np.array([-4.0, -3.0, 0.0, 3.0, 4.0], F32)], keras.activations.hard_sigmoid)
    return fam


# ---------------------------------------------------------------------------
# reductions
# ---------------------------------------------------------------------------

AXES = [("all", None), ("ax0", [0]), ("ax1", [1]), ("axm1", [-1]), ("ax0_2", [0, 2])]


def _reduce_std(x, axis=None, keepdims=False):
    return tf.math.reduce_std(x, axis=axis, keepdims=keepdims)


def build_reductions():
    fam = Family("reductions")
    S = [2, 3, 4]
    reds = [
        ("sum", tf.math.reduce_sum, lambda r, d: normal(r, S, d)),
        ("mean", tf.math.reduce_mean, lambda r, d: normal(r, S, d)),
        ("max", tf.math.reduce_max, lambda r, d: distinct(r, S, d)),
        ("min", tf.math.reduce_min, lambda r, d: distinct(r, S, d)),
        ("prod", tf.math.reduce_prod, lambda r, d: away(r, S, 0.5, 1.5, d)),
        ("variance", tf.math.reduce_variance, lambda r, d: normal(r, S, d)),
        ("std", _reduce_std, lambda r, d: normal(r, S, d)),
        ("logsumexp", tf.math.reduce_logsumexp, lambda r, d: normal(r, S, d, 2.0)),
    ]
    for op, f, g in reds:
        for atag, axis in AXES:
            for kd in (False, True):
                fam.case("%s_%s%s" % (op, atag, "_keepdims" if kd else ""), op,
                         (lambda g=g: lambda r: [g(r, F32)])(),
                         (lambda f=f, axis=axis, kd=kd: lambda x: f(x, axis=axis, keepdims=kd))(),
                         attrs={"axis": axis, "keepdims": kd})
        for atag, axis in [("all", None), ("ax1", [1])]:
            fam.case("%s_f64_%s" % (op, atag), op, (lambda g=g: lambda r: [g(r, F64)])(),
                     (lambda f=f, axis=axis: lambda x: f(x, axis=axis, keepdims=False))(),
                     attrs={"axis": axis, "keepdims": False})

    # integer reductions
    for op, f in [("sum", tf.math.reduce_sum), ("max", tf.math.reduce_max), ("min", tf.math.reduce_min),
                  ("prod", tf.math.reduce_prod)]:
        for atag, axis in [("all", None), ("ax1", [1]), ("ax0_2", [0, 2])]:
            fam.case("%s_i32_%s" % (op, atag), op, lambda r: [ints(r, S, -5, 6)],
                     (lambda f=f, axis=axis: lambda x: f(x, axis=axis, keepdims=False))(),
                     attrs={"axis": axis, "keepdims": False}, grad=False)
    # mean of int32 truncates in TF
    fam.case("mean_i32_ax1", "mean", lambda r: [ints(r, S, -5, 6)],
             lambda x: tf.math.reduce_mean(x, axis=[1]), attrs={"axis": [1], "keepdims": False}, grad=False)

    # special cases
    fam.case("max_ties_ax1", "max",
             lambda r: [np.array([[[1.0, 3.0], [3.0, 2.0], [3.0, 2.0]], [[0.0, 5.0], [0.0, 5.0], [0.0, 5.0]]], F32)],
             lambda x: tf.math.reduce_max(x, axis=[1]), attrs={"axis": [1], "keepdims": False})
    fam.case("min_ties_all", "min",
             lambda r: [np.array([[2.0, -1.0, -1.0], [0.0, -1.0, 4.0]], F32)],
             lambda x: tf.math.reduce_min(x), attrs={"axis": None, "keepdims": False})
    fam.case("prod_with_one_zero_ax1", "prod",
             lambda r: [np.array([[1.5, 0.0, -2.0], [0.5, 2.0, 3.0]], F32)],
             lambda x: tf.math.reduce_prod(x, axis=[1]), attrs={"axis": [1], "keepdims": False})
    fam.case("prod_with_two_zeros_ax1", "prod",
             lambda r: [np.array([[0.0, 0.0, -2.0], [0.5, 0.0, 3.0]], F32)],
             lambda x: tf.math.reduce_prod(x, axis=[1]), attrs={"axis": [1], "keepdims": False})
    fam.case("logsumexp_large_values_axm1", "logsumexp",
             lambda r: [np.array([[1000.0, 1001.0, 999.5], [-1000.0, -1002.0, -999.0]], F32)],
             lambda x: tf.math.reduce_logsumexp(x, axis=[-1]), attrs={"axis": [-1], "keepdims": False})
    fam.case("logsumexp_with_neg_inf_axm1", "logsumexp",
             lambda r: [np.array([[0.5, float("-inf"), 1.0], [float("-inf"), float("-inf"), 2.0]], F32)],
             lambda x: tf.math.reduce_logsumexp(x, axis=[-1]), attrs={"axis": [-1], "keepdims": False})
    fam.case("sum_empty_axis_list", "sum", lambda r: [normal(r, S)],
             lambda x: tf.math.reduce_sum(x, axis=[]), attrs={"axis": [], "keepdims": False})

    # argmax / argmin
    for op, f in [("argmax", tf.math.argmax), ("argmin", tf.math.argmin)]:
        for axis in (0, 1, 2, -1):
            fam.case("%s_axis%s" % (op, str(axis).replace("-", "m")), op, lambda r: [distinct(r, S)],
                     (lambda f=f, axis=axis: lambda x: f(x, axis=axis, output_type=tf.int64))(),
                     attrs={"axis": axis, "output_type": "int64"}, grad=False)
        fam.case("%s_i32_axis1" % op, op, lambda r: [r.permutation(24).reshape(S).astype(I32)],
                 (lambda f=f: lambda x: f(x, axis=1, output_type=tf.int64))(),
                 attrs={"axis": 1, "output_type": "int64"}, grad=False)
        fam.case("%s_f64_axis0" % op, op, lambda r: [distinct(r, S, F64)],
                 (lambda f=f: lambda x: f(x, axis=0, output_type=tf.int64))(),
                 attrs={"axis": 0, "output_type": "int64"}, grad=False)
        fam.case("%s_ties_first_index" % op, op,
                 lambda r: [np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, -1.0, -1.0]], F32)],
                 (lambda f=f: lambda x: f(x, axis=1, output_type=tf.int64))(),
                 attrs={"axis": 1, "output_type": "int64"}, grad=False)

    # all / any
    for op, f in [("all", tf.math.reduce_all), ("any", tf.math.reduce_any)]:
        for atag, axis in AXES:
            for kd in (False, True):
                def mk(r, op=op):
                    # bias so that both outcomes happen
                    p = 0.75 if op == "all" else 0.25
                    return [r.uniform(size=S) < p]
                fam.case("%s_%s%s" % (op, atag, "_keepdims" if kd else ""), op, mk,
                         (lambda f=f, axis=axis, kd=kd: lambda x: f(x, axis=axis, keepdims=kd))(),
                         attrs={"axis": axis, "keepdims": kd}, grad=False)

    # cumsum
    for axis in (0, 1, -1):
        for excl in (False, True):
            for rev in (False, True):
                fam.case("cumsum_axis%s%s%s" % (str(axis).replace("-", "m"), "_exclusive" if excl else "",
                                                "_reverse" if rev else ""),
                         "cumsum", lambda r: [normal(r, S)],
                         (lambda axis=axis, excl=excl, rev=rev:
                          lambda x: tf.math.cumsum(x, axis=axis, exclusive=excl, reverse=rev))(),
                         attrs={"axis": axis, "exclusive": excl, "reverse": rev})
    fam.case("cumsum_f64_axis1_exclusive_reverse", "cumsum", lambda r: [normal(r, S, F64)],
             lambda x: tf.math.cumsum(x, axis=1, exclusive=True, reverse=True),
             attrs={"axis": 1, "exclusive": True, "reverse": True})
    fam.case("cumsum_i32_axis2", "cumsum", lambda r: [ints(r, S, -5, 6)],
             lambda x: tf.math.cumsum(x, axis=2), attrs={"axis": 2, "exclusive": False, "reverse": False},
             grad=False)
    return fam


# ---------------------------------------------------------------------------
# linalg
# ---------------------------------------------------------------------------

def build_linalg():
    fam = Family("linalg")
    mm = [
        ("matmul_2d", [3, 4], [4, 5], False, False),
        ("matmul_transpose_a", [4, 3], [4, 5], True, False),
        ("matmul_transpose_b", [3, 4], [5, 4], False, True),
        ("matmul_transpose_both", [4, 3], [5, 4], True, True),
        ("matmul_batched", [2, 3, 4], [2, 4, 5], False, False),
        ("matmul_batched_transpose_b", [2, 3, 4], [2, 5, 4], False, True),
        ("matmul_broadcast_batch", [2, 1, 3, 4], [3, 4, 5], False, False),
        ("matmul_matrix_x_3d", [3, 4], [2, 4, 5], False, False),
        ("matmul_3d_x_matrix", [2, 3, 4], [4, 5], False, False),
        ("matmul_vector_like_1xk", [1, 4], [4, 1], False, False),
    ]
    for name, sa, sb, ta, tb in mm:
        fam.case(name, "matmul", (lambda sa=sa, sb=sb: lambda r: [normal(r, sa), normal(r, sb)])(),
                 (lambda ta=ta, tb=tb: lambda a, b: tf.linalg.matmul(a, b, transpose_a=ta, transpose_b=tb))(),
                 attrs={"transpose_a": ta, "transpose_b": tb})
    fam.case("matmul_f64_batched", "matmul", lambda r: [normal(r, [2, 3, 4], F64), normal(r, [2, 4, 5], F64)],
             tf.linalg.matmul, attrs={"transpose_a": False, "transpose_b": False})
    fam.case("matmul_i32_2d", "matmul", lambda r: [ints(r, [3, 4], -5, 6), ints(r, [4, 5], -5, 6)],
             tf.linalg.matmul, attrs={"transpose_a": False, "transpose_b": False}, grad=False)

    td = [
        ("tensordot_axes_int1", [3, 4], [4, 5], 1),
        ("tensordot_axes_int2", [2, 3, 4], [3, 4, 5], 2),
        ("tensordot_axes_int0_outer", [3], [4], 0),
        ("tensordot_axes_pairs_1_0", [3, 4], [4, 5], [[1], [0]]),
        ("tensordot_axes_pairs_0_1", [4, 3], [5, 4], [[0], [1]]),
        ("tensordot_axes_pairs_12_10", [2, 3, 4], [4, 3, 5], [[1, 2], [1, 0]]),
        ("tensordot_axes_pairs_0_2_3d", [3, 2, 4], [5, 2, 3], [[0], [2]]),
    ]
    for name, sa, sb, axes in td:
        fam.case(name, "tensordot", (lambda sa=sa, sb=sb: lambda r: [normal(r, sa), normal(r, sb)])(),
                 (lambda axes=axes: lambda a, b: tf.tensordot(a, b, axes=axes))(), attrs={"axes": axes})

    es = [
        ("einsum_matmul", "ij,jk->ik", [[3, 4], [4, 5]]),
        ("einsum_batched_matmul", "bij,bjk->bik", [[2, 3, 4], [2, 4, 5]]),
        ("einsum_attention_scores", "bhqd,bhkd->bhqk", [[2, 2, 3, 4], [2, 2, 5, 4]]),
        ("einsum_attention_values", "bhqk,bhkd->bhqd", [[2, 2, 3, 5], [2, 2, 5, 4]]),
        ("einsum_transpose", "ij->ji", [[3, 4]]),
        ("einsum_diagonal", "ii->i", [[4, 4]]),
        ("einsum_trace", "ii->", [[4, 4]]),
        ("einsum_outer", "i,j->ij", [[3], [4]]),
        ("einsum_rowwise_dot", "bi,bi->b", [[3, 5], [3, 5]]),
        ("einsum_sum_all", "ij->", [[3, 4]]),
        ("einsum_sum_axis", "ij->i", [[3, 4]]),
        ("einsum_elementwise", "ij,ij->ij", [[3, 4], [3, 4]]),
        ("einsum_bilinear", "bi,ij,bj->b", [[2, 3], [3, 4], [2, 4]]),
        ("einsum_ellipsis_matmul", "...ij,...jk->...ik", [[2, 3, 4], [2, 4, 5]]),
    ]
    for name, eq, shapes in es:
        try:
            fam.case(name, "einsum", (lambda shapes=shapes: lambda r: [normal(r, s) for s in shapes])(),
                     (lambda eq=eq: lambda *xs: tf.einsum(eq, *xs))(), attrs={"equation": eq})
        except Exception as e:  # pragma: no cover - recorded in README if it ever happens
            fam.cases = [c for c in fam.cases if c["name"] != name]
            print("skipping einsum %s (%s): %s" % (name, eq, e), file=sys.stderr)

    fam.case("outer_3_4", "outer", lambda r: [normal(r, [3]), normal(r, [4])],
             lambda a, b: tf.tensordot(a, b, axes=0))
    fam.case("outer_f64_5_2", "outer", lambda r: [normal(r, [5], F64), normal(r, [2], F64)],
             lambda a, b: tf.tensordot(a, b, axes=0))
    return fam


# ---------------------------------------------------------------------------
# shape
# ---------------------------------------------------------------------------

def build_shape():
    fam = Family("shape")
    S = [2, 3, 4]
    X = lambda r: [normal(r, S)]

    for name, shp in [("reshape_6_m1", [6, -1]), ("reshape_flat_m1", [-1]), ("reshape_4_m1_2", [4, -1, 2]),
                      ("reshape_1_24_1", [1, 24, 1])]:
        fam.case(name, "reshape", X, (lambda shp=shp: lambda x: tf.reshape(x, shp))(), attrs={"shape": shp})
    fam.case("reshape_i32_3_8", "reshape", lambda r: [ints(r, S, -9, 10)], lambda x: tf.reshape(x, [3, 8]),
             attrs={"shape": [3, 8]}, grad=False)

    fam.case("transpose_2d", "transpose", lambda r: [normal(r, [3, 4])], lambda x: tf.transpose(x, [1, 0]),
             attrs={"perm": [1, 0]})
    for perm in ([2, 0, 1], [0, 2, 1], [1, 2, 0], [2, 1, 0]):
        fam.case("transpose_perm_" + "".join(map(str, perm)), "transpose", X,
                 (lambda perm=perm: lambda x: tf.transpose(x, perm))(), attrs={"perm": perm})
    fam.case("transpose_4d_0213", "transpose", lambda r: [normal(r, [2, 3, 2, 4])],
             lambda x: tf.transpose(x, [0, 2, 1, 3]), attrs={"perm": [0, 2, 1, 3]})

    for axis in (0, 1, -1, 3):
        fam.case("expand_dims_axis%s" % str(axis).replace("-", "m"), "expand_dims", X,
                 (lambda axis=axis: lambda x: tf.expand_dims(x, axis))(), attrs={"axis": axis})

    SQ = lambda r: [normal(r, [1, 3, 1, 4])]
    for name, axis in [("squeeze_all", None), ("squeeze_axis2", [2]), ("squeeze_axis0", [0]),
                       ("squeeze_axism2", [-2])]:
        fam.case(name, "squeeze", SQ, (lambda axis=axis: lambda x: tf.squeeze(x, axis))(), attrs={"axis": axis})

    for name, src, dst in [("broadcast_to_4_to_3x4", [4], [3, 4]), ("broadcast_to_3x1_to_2x3x4", [3, 1], [2, 3, 4]),
                           ("broadcast_to_1_to_2x3", [1], [2, 3]), ("broadcast_to_scalar_to_2x2", [], [2, 2]),
                           ("broadcast_to_2x1x4_to_2x3x4", [2, 1, 4], [2, 3, 4])]:
        fam.case(name, "broadcast_to", (lambda src=src: lambda r: [normal(r, src)])(),
                 (lambda dst=dst: lambda x: tf.broadcast_to(x, dst))(), attrs={"shape": dst})

    for axis, shapes in [(0, [[1, 3, 4], [2, 3, 4], [3, 3, 4]]), (1, [[2, 1, 4], [2, 3, 4], [2, 2, 4]]),
                         (-1, [[2, 3, 1], [2, 3, 2], [2, 3, 3]])]:
        fam.case("concat_axis%s" % str(axis).replace("-", "m"), "concat",
                 (lambda shapes=shapes: lambda r: [normal(r, s) for s in shapes])(),
                 (lambda axis=axis: lambda *xs: tf.concat(list(xs), axis))(), attrs={"axis": axis})
    fam.case("concat_i32_axis0", "concat", lambda r: [ints(r, [2, 3], 0, 9), ints(r, [1, 3], 0, 9)],
             lambda *xs: tf.concat(list(xs), 0), attrs={"axis": 0}, grad=False)

    for axis in (0, 1, -1):
        fam.case("stack_axis%s" % str(axis).replace("-", "m"), "stack",
                 lambda r: [normal(r, [3, 4]) for _ in range(3)],
                 (lambda axis=axis: lambda *xs: tf.stack(list(xs), axis))(), attrs={"axis": axis})

    for axis in (0, 1, -1):
        fam.case("unstack_axis%s" % str(axis).replace("-", "m"), "unstack", X,
                 (lambda axis=axis: lambda x: tf.unstack(x, axis=axis))(), attrs={"axis": axis}, multi=True)

    fam.case("split_num3_axis1", "split", lambda r: [normal(r, [2, 6, 4])],
             lambda x: tf.split(x, 3, axis=1), attrs={"num_or_size_splits": 3, "axis": 1}, multi=True)
    fam.case("split_sizes_1_2_3_axism1", "split", lambda r: [normal(r, [2, 3, 6])],
             lambda x: tf.split(x, [1, 2, 3], axis=-1), attrs={"num_or_size_splits": [1, 2, 3], "axis": -1},
             multi=True)
    fam.case("split_sizes_with_m1_axis0", "split", lambda r: [normal(r, [5, 3])],
             lambda x: tf.split(x, [2, -1], axis=0), attrs={"num_or_size_splits": [2, -1], "axis": 0}, multi=True)

    for name, b, s in [("slice_basic", [0, 1, 1], [2, 2, 2]), ("slice_size_m1", [1, 0, 2], [-1, 2, -1]),
                       ("slice_full", [0, 0, 0], [2, 3, 4])]:
        fam.case(name, "slice", X, (lambda b=b, s=s: lambda x: tf.slice(x, b, s))(), attrs={"begin": b, "size": s})

    def ss(name, shape, begin, end, strides, **masks):
        attrs = {"begin": begin, "end": end, "strides": strides,
                 "begin_mask": masks.get("begin_mask", 0), "end_mask": masks.get("end_mask", 0),
                 "ellipsis_mask": masks.get("ellipsis_mask", 0), "new_axis_mask": masks.get("new_axis_mask", 0),
                 "shrink_axis_mask": masks.get("shrink_axis_mask", 0)}
        fam.case(name, "strided_slice", (lambda shape=shape: lambda r: [normal(r, shape)])(),
                 lambda x: tf.strided_slice(x, begin, end, strides, **masks), attrs=attrs)

    ss("strided_slice_basic", [5, 6], [1, 0], [4, 6], [1, 2])
    ss("strided_slice_negative_stride", [5, 6], [4, 5], [0, 0], [-1, -2])
    ss("strided_slice_negative_indices", [5, 6], [-4, -5], [-1, -1], [1, 1])
    ss("strided_slice_full_reverse_masks", [5, 6], [0, 0], [0, 0], [-1, -1], begin_mask=3, end_mask=3)
    ss("strided_slice_neg_stride_neg_index", [7], [-2], [-7], [-2])
    ss("strided_slice_stride3", [2, 7, 4], [0, 1, 0], [2, 7, 4], [1, 3, 2])
    ss("strided_slice_shrink_axis", [2, 3, 4], [1, 0, 1], [2, 3, 3], [1, 1, 1], shrink_axis_mask=1)
    ss("strided_slice_new_axis", [3, 4], [0, 0, 1], [3, 0, 4], [1, 1, 1], new_axis_mask=2)
    ss("strided_slice_ellipsis", [2, 3, 4], [0, 1], [0, 4], [1, 2], ellipsis_mask=1)
    ss("strided_slice_out_of_range_clamped", [5], [-10], [10], [1])
    ss("strided_slice_begin_mask_end_mask", [4, 5], [2, 1], [3, 4], [1, 1], begin_mask=1, end_mask=2)

    P = [[1, 2], [2, 1], [0, 1]]
    fam.case("pad_constant_zero", "pad", X, lambda x: tf.pad(x, P, mode="CONSTANT"),
             attrs={"paddings": P, "mode": "CONSTANT", "constant_values": 0.0})
    fam.case("pad_constant_1p5", "pad", X, lambda x: tf.pad(x, P, mode="CONSTANT", constant_values=1.5),
             attrs={"paddings": P, "mode": "CONSTANT", "constant_values": 1.5})
    PR = [[1, 1], [2, 1], [0, 3]]  # REFLECT needs pad < dim
    fam.case("pad_reflect", "pad", X, lambda x: tf.pad(x, PR, mode="REFLECT"),
             attrs={"paddings": PR, "mode": "REFLECT", "constant_values": 0.0})
    PS = [[2, 1], [3, 0], [1, 4]]  # SYMMETRIC needs pad <= dim
    fam.case("pad_symmetric", "pad", X, lambda x: tf.pad(x, PS, mode="SYMMETRIC"),
             attrs={"paddings": PS, "mode": "SYMMETRIC", "constant_values": 0.0})
    fam.case("pad_reflect_1d", "pad", lambda r: [normal(r, [5])], lambda x: tf.pad(x, [[3, 4]], mode="REFLECT"),
             attrs={"paddings": [[3, 4]], "mode": "REFLECT", "constant_values": 0.0})
    fam.case("pad_symmetric_1d", "pad", lambda r: [normal(r, [5])],
             lambda x: tf.pad(x, [[5, 2]], mode="SYMMETRIC"),
             attrs={"paddings": [[5, 2]], "mode": "SYMMETRIC", "constant_values": 0.0})

    for name, mult, shape in [("tile_2_1_3", [2, 1, 3], S), ("tile_3_2", [3, 2], [2, 3]), ("tile_1_1", [1, 1], [2, 3])]:
        fam.case(name, "tile", (lambda shape=shape: lambda r: [normal(r, shape)])(),
                 (lambda mult=mult: lambda x: tf.tile(x, mult))(), attrs={"multiples": mult})

    for name, reps, axis in [("repeat_int2_axis0", 2, 0), ("repeat_int3_axis1", 3, 1),
                             ("repeat_list_axis1", [1, 0, 2], 1), ("repeat_list_axism1", [2, 1, 0, 3], -1),
                             ("repeat_int2_axis_none", 2, None)]:
        fam.case(name, "repeat", X, (lambda reps=reps, axis=axis: lambda x: tf.repeat(x, reps, axis=axis))(),
                 attrs={"repeats": reps, "axis": axis})

    fam.case("gather_axis0", "gather", lambda r: [normal(r, [5, 3]), np.array([4, 0, 2, 0], I32)],
             lambda p, i: tf.gather(p, i, axis=0), attrs={"axis": 0, "batch_dims": 0})
    fam.case("gather_axis1", "gather", lambda r: [normal(r, [2, 5, 3]), np.array([1, 4, 1], I32)],
             lambda p, i: tf.gather(p, i, axis=1), attrs={"axis": 1, "batch_dims": 0})
    fam.case("gather_axis1_2d_indices", "gather", lambda r: [normal(r, [3, 5]), np.array([[0, 4], [2, 2]], I32)],
             lambda p, i: tf.gather(p, i, axis=1), attrs={"axis": 1, "batch_dims": 0})
    fam.case("gather_axism1", "gather", lambda r: [normal(r, [2, 3, 4]), np.array([3, 0], I32)],
             lambda p, i: tf.gather(p, i, axis=-1), attrs={"axis": -1, "batch_dims": 0})
    fam.case("gather_batch_dims1", "gather",
             lambda r: [normal(r, [2, 5, 3]), np.array([[0, 4], [3, 3]], I32)],
             lambda p, i: tf.gather(p, i, axis=1, batch_dims=1), attrs={"axis": 1, "batch_dims": 1})
    fam.case("gather_i64_indices_axis0", "gather", lambda r: [normal(r, [4, 2]), np.array([3, 1], I64)],
             lambda p, i: tf.gather(p, i, axis=0), attrs={"axis": 0, "batch_dims": 0})

    fam.case("gather_nd_slices", "gather_nd",
             lambda r: [normal(r, [3, 4, 5]), np.array([[0, 1], [2, 3], [0, 1]], I32)],
             tf.gather_nd, attrs={"batch_dims": 0})
    fam.case("gather_nd_elements", "gather_nd",
             lambda r: [normal(r, [3, 4, 5]), np.array([[0, 1, 2], [2, 3, 4], [1, 0, 0]], I32)],
             tf.gather_nd, attrs={"batch_dims": 0})
    fam.case("gather_nd_rows_2d_indices", "gather_nd",
             lambda r: [normal(r, [4, 3]), np.array([[[1], [3]], [[0], [1]]], I32)],
             tf.gather_nd, attrs={"batch_dims": 0})

    fam.case("tensor_scatter_nd_add_elements", "tensor_scatter_nd_add",
             lambda r: [normal(r, [4, 3]), np.array([[0, 1], [3, 2], [0, 1]], I32), normal(r, [3])],
             tf.tensor_scatter_nd_add)
    fam.case("tensor_scatter_nd_add_rows", "tensor_scatter_nd_add",
             lambda r: [normal(r, [4, 3]), np.array([[2], [0], [2]], I32), normal(r, [3, 3])],
             tf.tensor_scatter_nd_add)
    fam.case("unsorted_segment_sum_basic", "unsorted_segment_sum",
             lambda r: [normal(r, [5, 3]), np.array([0, 2, 0, 3, 2], I32)],
             lambda d, s: tf.math.unsorted_segment_sum(d, s, num_segments=4), attrs={"num_segments": 4})
    fam.case("unsorted_segment_sum_2d_ids", "unsorted_segment_sum",
             lambda r: [normal(r, [2, 3, 2]), np.array([[1, 1, 0], [2, 0, 1]], I32)],
             lambda d, s: tf.math.unsorted_segment_sum(d, s, num_segments=3), attrs={"num_segments": 3})

    fam.case("one_hot_basic", "one_hot", lambda r: [np.array([0, 2, 1, 3], I32)],
             lambda i: tf.one_hot(i, 4), attrs={"depth": 4, "on_value": 1.0, "off_value": 0.0, "axis": -1},
             grad=False)
    fam.case("one_hot_on_off_out_of_range", "one_hot", lambda r: [np.array([[0, 4], [-1, 2]], I32)],
             lambda i: tf.one_hot(i, 3, on_value=5.0, off_value=-1.0),
             attrs={"depth": 3, "on_value": 5.0, "off_value": -1.0, "axis": -1}, grad=False)
    fam.case("one_hot_axis0", "one_hot", lambda r: [np.array([1, 0, 2], I32)],
             lambda i: tf.one_hot(i, 4, axis=0), attrs={"depth": 4, "on_value": 1.0, "off_value": 0.0, "axis": 0},
             grad=False)

    for axis in ([0], [1], [-1], [0, 2]):
        fam.case("reverse_axis_" + "_".join(str(a).replace("-", "m") for a in axis), "reverse", X,
                 (lambda axis=axis: lambda x: tf.reverse(x, axis))(), attrs={"axis": axis})

    for name, shift, axis in [("roll_shift1_axis0", 1, 0), ("roll_shiftm2_axis2", -2, 2), ("roll_shift5_axis1", 5, 1),
                              ("roll_multi", [1, -1], [0, 2]), ("roll_same_axis_twice", [2, 1], [2, 2])]:
        fam.case(name, "roll", X, (lambda shift=shift, axis=axis: lambda x: tf.roll(x, shift, axis))(),
                 attrs={"shift": shift, "axis": axis})

    fam.case("top_k_k3_sorted", "top_k", lambda r: [distinct(r, [3, 6])],
             lambda x: tf.math.top_k(x, k=3, sorted=True), attrs={"k": 3, "sorted": True}, multi=True)
    fam.case("top_k_k1_1d", "top_k", lambda r: [distinct(r, [7])],
             lambda x: tf.math.top_k(x, k=1, sorted=True), attrs={"k": 1, "sorted": True}, multi=True)
    fam.case("top_k_k4_3d", "top_k", lambda r: [distinct(r, [2, 2, 5])],
             lambda x: tf.math.top_k(x, k=4, sorted=True), attrs={"k": 4, "sorted": True}, multi=True)
    fam.case("top_k_ties_lower_index_first", "top_k",
             lambda r: [np.array([[1.0, 3.0, 2.0, 3.0, 1.0]], F32)],
             lambda x: tf.math.top_k(x, k=3, sorted=True), attrs={"k": 3, "sorted": True}, multi=True)

    for direction in ("ASCENDING", "DESCENDING"):
        d = direction.lower()
        for axis in (-1, 0):
            fam.case("sort_%s_axis%s" % (d, str(axis).replace("-", "m")), "sort", lambda r: [distinct(r, [3, 5])],
                     (lambda axis=axis, direction=direction:
                      lambda x: tf.sort(x, axis=axis, direction=direction))(),
                     attrs={"axis": axis, "direction": direction})
            fam.case("argsort_%s_axis%s" % (d, str(axis).replace("-", "m")), "argsort",
                     lambda r: [distinct(r, [3, 5])],
                     (lambda axis=axis, direction=direction:
                      lambda x: tf.argsort(x, axis=axis, direction=direction, stable=True))(),
                     attrs={"axis": axis, "direction": direction, "stable": True}, grad=False)
        fam.case("sort_i32_%s" % d, "sort", lambda r: [r.permutation(10).astype(I32) - 5],
                 (lambda direction=direction: lambda x: tf.sort(x, direction=direction))(),
                 attrs={"axis": -1, "direction": direction}, grad=False)
        fam.case("argsort_stable_ties_%s" % d, "argsort",
                 lambda r: [np.array([2.0, 1.0, 2.0, 0.0, 1.0, 2.0], F32)],
                 (lambda direction=direction: lambda x: tf.argsort(x, direction=direction, stable=True))(),
                 attrs={"axis": -1, "direction": direction, "stable": True}, grad=False)
    return fam


# ---------------------------------------------------------------------------
# nn
# ---------------------------------------------------------------------------

def build_nn():
    fam = Family("nn")
    for op, f in [("softmax", tf.nn.softmax), ("log_softmax", tf.nn.log_softmax)]:
        for axis in (-1, 1):
            fam.case("%s_axis%s" % (op, str(axis).replace("-", "m")), op, lambda r: [normal(r, [2, 3, 4], F32, 2.0)],
                     (lambda f=f, axis=axis: lambda x: f(x, axis=axis))(), attrs={"axis": axis})
        fam.case("%s_2d_axism1" % op, op, lambda r: [normal(r, [3, 5], F32, 2.0)],
                 (lambda f=f: lambda x: f(x, axis=-1))(), attrs={"axis": -1})
        fam.case("%s_f64_axism1" % op, op, lambda r: [normal(r, [3, 5], F64, 2.0)],
                 (lambda f=f: lambda x: f(x, axis=-1))(), attrs={"axis": -1})
        fam.case("%s_large_logits" % op, op,
                 lambda r: [np.array([[1000.0, 1001.0, 999.0], [-1000.0, 0.0, 1000.0]], F32)],
                 (lambda f=f: lambda x: f(x, axis=-1))(), attrs={"axis": -1})

    fam.case("sparse_softmax_cross_entropy_with_logits", "sparse_softmax_cross_entropy_with_logits",
             lambda r: [np.array([0, 4, 2, 1], I32), normal(r, [4, 5], F32, 2.0)],
             lambda l, z: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=l, logits=z))
    fam.case("sparse_softmax_cross_entropy_with_logits_3d", "sparse_softmax_cross_entropy_with_logits",
             lambda r: [np.array([[0, 3, 1], [2, 2, 0]], I32), normal(r, [2, 3, 4], F32, 2.0)],
             lambda l, z: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=l, logits=z))
    fam.case("sparse_softmax_cross_entropy_with_logits_large", "sparse_softmax_cross_entropy_with_logits",
             lambda r: [np.array([0, 2], I32), np.array([[100.0, -100.0, 0.0], [50.0, 60.0, -30.0]], F32)],
             lambda l, z: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=l, logits=z))
    fam.case("sparse_softmax_cross_entropy_with_logits_f64_i64", "sparse_softmax_cross_entropy_with_logits",
             lambda r: [np.array([1, 0, 3], I64), normal(r, [3, 4], F64, 2.0)],
             lambda l, z: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=l, logits=z))

    fam.case("softmax_cross_entropy_with_logits", "softmax_cross_entropy_with_logits",
             lambda r: [softmax_rows(r, [4, 5]), normal(r, [4, 5], F32, 2.0)],
             lambda l, z: tf.nn.softmax_cross_entropy_with_logits(labels=l, logits=z), attrs={"axis": -1})
    fam.case("softmax_cross_entropy_with_logits_onehot", "softmax_cross_entropy_with_logits",
             lambda r: [np.eye(4, dtype=F32)[[1, 3, 0]], normal(r, [3, 4], F32, 2.0)],
             lambda l, z: tf.nn.softmax_cross_entropy_with_logits(labels=l, logits=z), attrs={"axis": -1})
    fam.case("softmax_cross_entropy_with_logits_3d", "softmax_cross_entropy_with_logits",
             lambda r: [softmax_rows(r, [2, 3, 4]), normal(r, [2, 3, 4], F32, 2.0)],
             lambda l, z: tf.nn.softmax_cross_entropy_with_logits(labels=l, logits=z), attrs={"axis": -1})
    fam.case("softmax_cross_entropy_with_logits_axis0", "softmax_cross_entropy_with_logits",
             lambda r: [np.transpose(softmax_rows(r, [3, 4])), normal(r, [4, 3], F32, 2.0)],
             lambda l, z: tf.nn.softmax_cross_entropy_with_logits(labels=l, logits=z, axis=0), attrs={"axis": 0})
    fam.case("softmax_cross_entropy_with_logits_large", "softmax_cross_entropy_with_logits",
             lambda r: [np.array([[0.2, 0.8, 0.0], [0.0, 0.0, 1.0]], F32),
                        np.array([[100.0, -100.0, 0.0], [50.0, 60.0, -30.0]], F32)],
             lambda l, z: tf.nn.softmax_cross_entropy_with_logits(labels=l, logits=z), attrs={"axis": -1})
    fam.case("softmax_cross_entropy_with_logits_f64", "softmax_cross_entropy_with_logits",
             lambda r: [softmax_rows(r, [3, 4], F64), normal(r, [3, 4], F64, 2.0)],
             lambda l, z: tf.nn.softmax_cross_entropy_with_logits(labels=l, logits=z), attrs={"axis": -1})

    def sig_inputs(r):
        labels = np.concatenate([np.array([0.0, 1.0, 0.0, 1.0, 0.3, 0.7]), r.uniform(0, 1, size=6)]).astype(F32)
        logits = np.concatenate([np.array([30.0, -30.0, -30.0, 30.0, 50.0, -50.0]),
                                 r.standard_normal(6) * 2.0]).astype(F32)
        return [labels.reshape(3, 4), logits.reshape(3, 4)]
    fam.case("sigmoid_cross_entropy_with_logits", "sigmoid_cross_entropy_with_logits", sig_inputs,
             lambda l, z: tf.nn.sigmoid_cross_entropy_with_logits(labels=l, logits=z))
    fam.case("sigmoid_cross_entropy_with_logits_random", "sigmoid_cross_entropy_with_logits",
             lambda r: [uniform(r, [2, 3, 4], 0.0, 1.0), normal(r, [2, 3, 4], F32, 3.0)],
             lambda l, z: tf.nn.sigmoid_cross_entropy_with_logits(labels=l, logits=z))
    fam.case("sigmoid_cross_entropy_with_logits_f64", "sigmoid_cross_entropy_with_logits",
             lambda r: [uniform(r, [3, 4], 0.0, 1.0, F64), normal(r, [3, 4], F64, 3.0)],
             lambda l, z: tf.nn.sigmoid_cross_entropy_with_logits(labels=l, logits=z))

    fam.case("bias_add_3d", "bias_add", lambda r: [normal(r, [2, 3, 4]), normal(r, [4])],
             lambda x, b: tf.nn.bias_add(x, b), attrs={"data_format": "NHWC"})
    fam.case("bias_add_2d", "bias_add", lambda r: [normal(r, [3, 5]), normal(r, [5])],
             lambda x, b: tf.nn.bias_add(x, b), attrs={"data_format": "NHWC"})
    fam.case("bias_add_4d_nhwc", "bias_add", lambda r: [normal(r, [2, 3, 2, 4]), normal(r, [4])],
             lambda x, b: tf.nn.bias_add(x, b), attrs={"data_format": "NHWC"})
    fam.case("bias_add_4d_nchw", "bias_add", lambda r: [normal(r, [2, 3, 2, 4]), normal(r, [3])],
             lambda x, b: tf.nn.bias_add(x, b, data_format="NCHW"), attrs={"data_format": "NCHW"})
    fam.case("bias_add_f64", "bias_add", lambda r: [normal(r, [3, 5], F64), normal(r, [5], F64)],
             lambda x, b: tf.nn.bias_add(x, b), attrs={"data_format": "NHWC"})
    return fam


# ---------------------------------------------------------------------------
# conv
# ---------------------------------------------------------------------------

def _pad_tag(p):
    return p.lower()


def _grouped_conv2d_ref(x, k, strides, padding, dilations, groups):
    """Same math as tf.nn.conv2d with groups, built from per-group convs.

    TF's CPU kernels run grouped conv2d forward but refuse its gradient, so
    gradients for grouped cases are taken through this formulation."""
    xs = tf.split(x, groups, axis=-1)
    ks = tf.split(k, groups, axis=-1)
    return tf.concat([tf.nn.convolution(a, b, strides=strides, padding=padding, dilations=dilations)
                      for a, b in zip(xs, ks)], axis=-1)


def build_conv():
    fam = Family("conv")

    # conv1d
    for pad in ("VALID", "SAME"):
        for s in (1, 2):
            for d in (1, 2):
                if s > 1 and d > 1:
                    continue
                name = "conv1d_%s_s%d_d%d" % (_pad_tag(pad), s, d)
                fn = (lambda s=s, d=d, pad=pad: lambda x, k: tf.nn.conv1d(x, k, stride=s, padding=pad, dilations=d))()
                gfn = None
                if d > 1:
                    gfn = (lambda d=d, pad=pad: lambda x, k: tf.nn.convolution(x, k, strides=1, padding=pad,
                                                                             dilations=d))()
                fam.case(name, "conv1d", lambda r: [normal(r, [2, 9, 3]), normal(r, [3, 3, 4])], fn,
                         attrs={"stride": s, "padding": pad, "dilations": d}, grad_fn=gfn)
    fam.case("conv1d_same_s2_k4_even", "conv1d", lambda r: [normal(r, [2, 8, 3]), normal(r, [4, 3, 2])],
             lambda x, k: tf.nn.conv1d(x, k, stride=2, padding="SAME"),
             attrs={"stride": 2, "padding": "SAME", "dilations": 1})

    # conv2d grid
    for pad in ("VALID", "SAME"):
        for st in ([1, 1], [2, 2], [2, 1]):
            for dl in ([1, 1], [2, 2]):
                if max(st) > 1 and max(dl) > 1:
                    continue
                name = "conv2d_%s_s%s_d%d" % (_pad_tag(pad), "".join(map(str, st)) if st[0] != st[1] else str(st[0]),
                                              dl[0])
                fn = (lambda st=st, dl=dl, pad=pad:
                      lambda x, k: tf.nn.conv2d(x, k, strides=st, padding=pad, dilations=dl))()
                gfn = None
                if max(dl) > 1:
                    gfn = (lambda dl=dl, pad=pad:
                           lambda x, k: tf.nn.convolution(x, k, strides=1, padding=pad, dilations=dl))()
                fam.case(name, "conv2d", lambda r: [normal(r, [2, 7, 7, 3]), normal(r, [3, 3, 3, 4])], fn,
                         attrs={"strides": st, "padding": pad, "dilations": dl}, grad_fn=gfn)
    # non-square spatial and kernels, even kernels (asymmetric SAME padding)
    extra = [
        ("conv2d_same_s2_5x6_input", [2, 5, 6, 3], [3, 3, 3, 4], [2, 2], "SAME", [1, 1]),
        ("conv2d_valid_s2_5x6_input", [2, 5, 6, 3], [3, 3, 3, 4], [2, 2], "VALID", [1, 1]),
        ("conv2d_same_s1_k2x2_even", [2, 5, 6, 3], [2, 2, 3, 4], [1, 1], "SAME", [1, 1]),
        ("conv2d_same_s2_k2x3", [2, 7, 7, 3], [2, 3, 3, 2], [2, 2], "SAME", [1, 1]),
        ("conv2d_same_s1_k4x4_even", [2, 6, 6, 2], [4, 4, 2, 3], [1, 1], "SAME", [1, 1]),
        ("conv2d_valid_s1_k1x1", [2, 5, 6, 3], [1, 1, 3, 4], [1, 1], "VALID", [1, 1]),
        ("conv2d_same_s2_k1x1", [2, 5, 6, 3], [1, 1, 3, 4], [2, 2], "SAME", [1, 1]),
        ("conv2d_same_s1_d2x1", [2, 7, 7, 3], [3, 3, 3, 4], [1, 1], "SAME", [2, 1]),
    ]
    for name, sx, sk, st, pad, dl in extra:
        gfn = None
        if max(dl) > 1:
            gfn = (lambda dl=dl, pad=pad: lambda x, k: tf.nn.convolution(x, k, strides=1, padding=pad,
                                                                         dilations=dl))()
        fam.case(name, "conv2d", (lambda sx=sx, sk=sk: lambda r: [normal(r, sx), normal(r, sk)])(),
                 (lambda st=st, pad=pad, dl=dl: lambda x, k: tf.nn.conv2d(x, k, st, pad, dilations=dl))(),
                 attrs={"strides": st, "padding": pad, "dilations": dl}, grad_fn=gfn)
    fam.case("conv2d_f64_same_s1", "conv2d", lambda r: [normal(r, [2, 5, 5, 3], F64), normal(r, [3, 3, 3, 2], F64)],
             lambda x, k: tf.nn.conv2d(x, k, 1, "SAME"), attrs={"strides": [1, 1], "padding": "SAME",
                                                                 "dilations": [1, 1]})
    EP = [[0, 0], [1, 2], [2, 0], [0, 0]]
    fam.case("conv2d_explicit_padding", "conv2d", lambda r: [normal(r, [2, 5, 6, 3]), normal(r, [3, 3, 3, 4])],
             lambda x, k: tf.nn.conv2d(x, k, [1, 2], EP),
             attrs={"strides": [1, 2], "padding": EP, "dilations": [1, 1]})

    # grouped conv2d
    for groups, out in [(2, 4), (3, 6)]:
        for pad, st in [("SAME", [1, 1]), ("VALID", [2, 2])]:
            name = "conv2d_groups%d_%s_s%d" % (groups, _pad_tag(pad), st[0])
            fam.case(name, "conv2d",
                     (lambda groups=groups, out=out: lambda r: [normal(r, [2, 6, 6, 6]),
                                                                normal(r, [3, 3, 6 // groups, out])])(),
                     (lambda st=st, pad=pad: lambda x, k: tf.nn.conv2d(x, k, st, pad))(),
                     attrs={"strides": st, "padding": pad, "dilations": [1, 1], "groups": groups},
                     grad_fn=(lambda st=st, pad=pad, groups=groups:
                              lambda x, k: _grouped_conv2d_ref(x, k, st, pad, [1, 1], groups))())

    # depthwise
    for mult in (1, 2):
        for pad in ("VALID", "SAME"):
            for s in (1, 2):
                name = "depthwise_conv2d_m%d_%s_s%d" % (mult, _pad_tag(pad), s)
                fam.case(name, "depthwise_conv2d",
                         (lambda mult=mult: lambda r: [normal(r, [2, 7, 7, 3]), normal(r, [3, 3, 3, mult])])(),
                         (lambda s=s, pad=pad: lambda x, k: tf.nn.depthwise_conv2d(x, k, [1, s, s, 1], pad))(),
                         attrs={"strides": [s, s], "padding": pad, "dilations": [1, 1]})
    fam.case("depthwise_conv2d_m2_same_s1_d2", "depthwise_conv2d",
             lambda r: [normal(r, [2, 7, 7, 3]), normal(r, [3, 3, 3, 2])],
             lambda x, k: tf.nn.depthwise_conv2d(x, k, [1, 1, 1, 1], "SAME", dilations=[2, 2]),
             attrs={"strides": [1, 1], "padding": "SAME", "dilations": [2, 2]})
    fam.case("depthwise_conv2d_m1_same_s2_5x6_k2x3", "depthwise_conv2d",
             lambda r: [normal(r, [2, 5, 6, 4]), normal(r, [2, 3, 4, 1])],
             lambda x, k: tf.nn.depthwise_conv2d(x, k, [1, 2, 2, 1], "SAME"),
             attrs={"strides": [2, 2], "padding": "SAME", "dilations": [1, 1]})

    # conv2d_transpose: input [2,4,4,4], filters (kh,kw,out=3,in=4)
    ct = [
        ("conv2d_transpose_valid_s1", [1, 1], "VALID", [2, 6, 6, 3]),
        ("conv2d_transpose_same_s1", [1, 1], "SAME", [2, 4, 4, 3]),
        ("conv2d_transpose_valid_s2", [2, 2], "VALID", [2, 9, 9, 3]),
        ("conv2d_transpose_same_s2", [2, 2], "SAME", [2, 8, 8, 3]),
        ("conv2d_transpose_same_s2_odd_output_padding", [2, 2], "SAME", [2, 7, 7, 3]),
        ("conv2d_transpose_valid_s2_extra_output_padding", [2, 2], "VALID", [2, 10, 10, 3]),
        ("conv2d_transpose_same_s21_mixed", [2, 1], "SAME", [2, 7, 4, 3]),
    ]
    for name, st, pad, oshape in ct:
        fam.case(name, "conv2d_transpose", lambda r: [normal(r, [2, 4, 4, 4]), normal(r, [3, 3, 3, 4])],
                 (lambda st=st, pad=pad, oshape=oshape:
                  lambda x, k: tf.nn.conv2d_transpose(x, k, oshape, st, pad))(),
                 attrs={"output_shape": oshape, "strides": st, "padding": pad, "dilations": [1, 1]})
    fam.case("conv2d_transpose_same_s2_k2x2", "conv2d_transpose",
             lambda r: [normal(r, [2, 3, 4, 4]), normal(r, [2, 2, 2, 4])],
             lambda x, k: tf.nn.conv2d_transpose(x, k, [2, 6, 8, 2], 2, "SAME"),
             attrs={"output_shape": [2, 6, 8, 2], "strides": [2, 2], "padding": "SAME", "dilations": [1, 1]})

    # extract_patches
    ep = [
        ("extract_patches_valid_k3_s2_r1", [1, 3, 3, 1], [1, 2, 2, 1], [1, 1, 1, 1], "VALID"),
        ("extract_patches_same_k3_s2_r1", [1, 3, 3, 1], [1, 2, 2, 1], [1, 1, 1, 1], "SAME"),
        ("extract_patches_valid_k2_s1_r1", [1, 2, 2, 1], [1, 1, 1, 1], [1, 1, 1, 1], "VALID"),
        ("extract_patches_same_k2_s1_r1", [1, 2, 2, 1], [1, 1, 1, 1], [1, 1, 1, 1], "SAME"),
        ("extract_patches_valid_k2_s1_r2", [1, 2, 2, 1], [1, 1, 1, 1], [1, 2, 2, 1], "VALID"),
        ("extract_patches_same_k3_s2_r2", [1, 3, 3, 1], [1, 2, 2, 1], [1, 2, 2, 1], "SAME"),
        ("extract_patches_valid_k2x3_s3x2", [1, 2, 3, 1], [1, 3, 2, 1], [1, 1, 1, 1], "VALID"),
    ]
    for name, sz, st, rt, pad in ep:
        fam.case(name, "extract_patches", lambda r: [normal(r, [2, 7, 7, 3])],
                 (lambda sz=sz, st=st, rt=rt, pad=pad: lambda x: tf.image.extract_patches(x, sz, st, rt, pad))(),
                 attrs={"sizes": sz, "strides": st, "rates": rt, "padding": pad})
    return fam


# ---------------------------------------------------------------------------
# pool
# ---------------------------------------------------------------------------

def build_pool():
    fam = Family("pool")
    for op, f in [("max_pool1d", tf.nn.max_pool1d), ("avg_pool1d", tf.nn.avg_pool1d)]:
        for k in (2, 3):
            for s in (1, 2):
                for pad in ("VALID", "SAME"):
                    fam.case("%s_k%d_s%d_%s" % (op, k, s, pad.lower()), op, lambda r: [distinct(r, [2, 9, 3])],
                             (lambda f=f, k=k, s=s, pad=pad: lambda x: f(x, k, s, pad))(),
                             attrs={"ksize": k, "strides": s, "padding": pad})
        fam.case("%s_k3_s3_same_len8" % op, op, lambda r: [distinct(r, [2, 8, 2])],
                 (lambda f=f: lambda x: f(x, 3, 3, "SAME"))(), attrs={"ksize": 3, "strides": 3, "padding": "SAME"})
    for op, f in [("max_pool2d", tf.nn.max_pool2d), ("avg_pool2d", tf.nn.avg_pool2d)]:
        for k in (2, 3):
            for s in (1, 2):
                for pad in ("VALID", "SAME"):
                    fam.case("%s_k%d_s%d_%s" % (op, k, s, pad.lower()), op, lambda r: [distinct(r, [2, 7, 7, 3])],
                             (lambda f=f, k=k, s=s, pad=pad: lambda x: f(x, k, s, pad))(),
                             attrs={"ksize": [k, k], "strides": [s, s], "padding": pad})
        for name, shape, ks, st, pad in [("k3_s2_same_5x6", [2, 5, 6, 4], [3, 3], [2, 2], "SAME"),
                                         ("k2_s2_same_5x6", [2, 5, 6, 4], [2, 2], [2, 2], "SAME"),
                                         ("k2x3_s2x1_same", [2, 5, 6, 3], [2, 3], [2, 1], "SAME"),
                                         ("k2x3_s1x2_valid", [2, 5, 6, 3], [2, 3], [1, 2], "VALID"),
                                         ("k3_s3_same_7x7", [2, 7, 7, 3], [3, 3], [3, 3], "SAME")]:
            fam.case("%s_%s" % (op, name), op, (lambda shape=shape: lambda r: [distinct(r, shape)])(),
                     (lambda f=f, ks=ks, st=st, pad=pad: lambda x: f(x, ks, st, pad))(),
                     attrs={"ksize": ks, "strides": st, "padding": pad})
        fam.case("%s_f64_k3_s2_same" % op, op, lambda r: [distinct(r, [2, 5, 5, 2], F64)],
                 (lambda f=f: lambda x: f(x, [3, 3], [2, 2], "SAME"))(),
                 attrs={"ksize": [3, 3], "strides": [2, 2], "padding": "SAME"})
    # tie-breaking documentation cases (all-equal windows)
    fam.case("max_pool2d_ties_k2_s1_valid", "max_pool2d",
             lambda r: [np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 2.0], [0.0, 2.0, 2.0]], F32).reshape(1, 3, 3, 1)],
             lambda x: tf.nn.max_pool2d(x, 2, 1, "VALID"),
             attrs={"ksize": [2, 2], "strides": [1, 1], "padding": "VALID"})
    fam.case("max_pool1d_ties_k2_s1_valid", "max_pool1d",
             lambda r: [np.array([3.0, 3.0, 1.0, 1.0, 2.0], F32).reshape(1, 5, 1)],
             lambda x: tf.nn.max_pool1d(x, 2, 1, "VALID"),
             attrs={"ksize": 2, "strides": 1, "padding": "VALID"})
    fam.case("max_pool2d_same_all_negative", "max_pool2d",
             lambda r: [(-10.0 - np.abs(distinct(r, [1, 5, 5, 2]))).astype(F32)],
             lambda x: tf.nn.max_pool2d(x, 3, 2, "SAME"),
             attrs={"ksize": [3, 3], "strides": [2, 2], "padding": "SAME"})
    return fam


BUILDERS = {
    "elementwise": build_elementwise,
    "activations": build_activations,
    "reductions": build_reductions,
    "linalg": build_linalg,
    "shape": build_shape,
    "nn": build_nn,
    "conv": build_conv,
    "pool": build_pool,
}


def main(argv):
    names = argv[1:] or list(BUILDERS)
    unknown = [n for n in names if n not in BUILDERS]
    if unknown:
        raise SystemExit("unknown family: %s (known: %s)" % (", ".join(unknown), ", ".join(BUILDERS)))
    print("tensorflow %s, numpy %s, keras %s" % (tf.__version__, np.__version__, keras.__version__))
    total = 0
    for n in names:
        fam = BUILDERS[n]()
        path = fam.write(OUT_DIR)
        with open(path) as f:
            loaded = json.load(f)
        assert loaded["family"] == n and len(loaded["cases"]) == len(fam.cases)
        size = os.path.getsize(path)
        total += size
        print("%-12s %4d cases  %8.1f KiB  %s" % (n, len(fam.cases), size / 1024.0, os.path.relpath(path)))
    print("total %.1f KiB" % (total / 1024.0))


if __name__ == "__main__":
    main(sys.argv)
