#!/usr/bin/env python3
"""Golden fixtures for kiln::function: how TensorFlow 2.21's tf.function traces and retraces.

Each case builds one or more fresh tf.functions, calls them in a fixed order and records,
after every call, the inputs, the output (or the exception), the tracing count
(`experimental_get_tracing_count()`) and how many times the Python body has run so far
(every traced body starts with a real Python `print` into a counting sink, so
`python_prints` is the number of Python executions of the body, i.e. of traces, except
under `run_functions_eagerly`). Cases cover new shapes/dtypes, Python scalars vs tensors,
input_signature (and its error messages), reduce_retracing generalisation, variables
created once, print/tf.print side effects, nested functions, a Keras model, methods
traced per instance, the stale no-argument trace of seed 004 (S004-5/S004-6),
autograph control flow, tapes, variable assignment, structures, keyword arguments,
run_functions_eagerly and more from the TF guide "Better performance with tf.function".

Nothing is hand-written: every count and value is what TF returned. Writes
tools/golden/fixtures/tf_function.json (one case per line). Run from the repository root:
    /work/venv-tf/bin/python tools/golden/gen_tf_function.py
The spec the Rust side implements is tools/golden/TF_FUNCTION_CASES.md.
"""

import io
import json
import logging
import os
import re
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

tf.config.threading.set_inter_op_parallelism_threads(1)
tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.experimental.enable_op_determinism()
keras.utils.set_random_seed(0)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "tf_function.json")
FAMILY = "tf_function"


# ---------------------------------------------------------------------------
# TF's logger: capture the retracing warnings instead of printing them
# ---------------------------------------------------------------------------

class _Capture(logging.Handler):
    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


TF_LOG = _Capture()
_tf_logger = tf.get_logger()
for _h in list(_tf_logger.handlers):
    _tf_logger.removeHandler(_h)
_tf_logger.addHandler(TF_LOG)
_tf_logger.propagate = False


def retracing_warnings():
    return [m for m in TF_LOG.messages if "triggered tf.function retracing" in m]


# ---------------------------------------------------------------------------
# Serialisation
# ---------------------------------------------------------------------------

DTYPES = {np.dtype(np.float32): "float32", np.dtype(np.float64): "float64",
          np.dtype(np.int32): "int32", np.dtype(np.int64): "int64", np.dtype(np.bool_): "bool"}


def _float(v):
    if v != v:
        return "nan"
    if v in (float("inf"), float("-inf")):
        return "inf" if v > 0 else "-inf"
    return float(v)


def array_json(a, kind):
    a = np.asarray(a)
    name = DTYPES[a.dtype]
    flat = a.reshape(-1).tolist()
    if name.startswith("float"):
        data = [_float(v) for v in flat]
    elif name == "bool":
        data = [bool(v) for v in flat]
    else:
        data = [int(v) for v in flat]
    return {"kind": kind, "shape": [int(d) for d in a.shape], "dtype": name, "data": data}


def scrub(msg):
    msg = re.sub(r"0x[0-9a-fA-F]+", "0x?", msg)
    msg = re.sub(r"(__inference_\w+?)_\d+", r"\1_N", msg)
    return msg


def error_json(e):
    msg = str(e)
    out = {"type": type(e).__name__}
    if msg.startswith("in user code:"):
        # Autograph wraps errors raised while tracing; keep only the original error line
        # (the frames name this file and its line numbers).
        last = [ln.strip() for ln in msg.splitlines() if ln.strip()][-1]
        out["in_user_code"] = True
        msg = last.split(": ", 1)[1] if ": " in last else last
    msg = scrub(msg)
    # The first sentence of the first line: for binding errors this is
    # "Binding inputs to tf.function failed due to `<reason>`" (the rest lists the arguments).
    out["message_prefix"] = msg.splitlines()[0].split(". ", 1)[0]
    out["message"] = msg
    return out


class Case:
    def __init__(self, name, description):
        self.name = name
        self.description = description
        self.prints = 0
        self.print_lines = []
        self._sink = io.StringIO()
        self.counters = {}          # label -> callable returning a tracing count
        self.before = {}            # label -> tracing count when it was registered
        self.primary = None
        self.labels = {}            # id(obj) -> label, for Python objects / variables
        self.calls = []
        self.tf_print_path = None
        self.extra = {}

    # -- the body's Python print: a real print, counted --------------------------
    def py_print(self, *parts):
        print(*parts, file=self._sink)
        self.prints += 1
        self.print_lines.append(" ".join(str(p) for p in parts))

    def tf_print_target(self):
        if self.tf_print_path is None:
            self.tf_print_path = os.path.join(TMP, self.name + ".txt")
            open(self.tf_print_path, "w").close()
        return "file://" + self.tf_print_path

    def tf_print_lines(self):
        if self.tf_print_path is None:
            return None
        with open(self.tf_print_path) as f:
            return f.read().splitlines()

    # -- functions whose tracing counts are recorded ----------------------------
    def track(self, label, fn_or_getter, primary=False):
        getter = fn_or_getter if not hasattr(fn_or_getter, "experimental_get_tracing_count") \
            else fn_or_getter.experimental_get_tracing_count
        self.counters[label] = getter
        self.before[label] = int(getter())
        if primary or self.primary is None:
            self.primary = label

    def label(self, obj, name):
        self.labels[id(obj)] = name
        return obj

    # -- encoding --------------------------------------------------------------
    def enc_in(self, v):
        if isinstance(v, tf.Variable):
            d = array_json(v.numpy(), "variable")
            d["label"] = self.labels.get(id(v))
            return d
        if isinstance(v, tf.Tensor):
            return array_json(v.numpy(), "tensor")
        if isinstance(v, np.ndarray):
            return array_json(v, "ndarray")
        if isinstance(v, np.generic):
            return array_json(np.asarray(v), "numpy_scalar")
        if v is None:
            return {"kind": "python", "type": "none", "value": None}
        if isinstance(v, bool):
            return {"kind": "python", "type": "bool", "value": v}
        if isinstance(v, int):
            return {"kind": "python", "type": "int", "value": v}
        if isinstance(v, float):
            return {"kind": "python", "type": "float", "value": _float(v)}
        if isinstance(v, str):
            return {"kind": "python", "type": "str", "value": v}
        if isinstance(v, list):
            return {"kind": "list", "items": [self.enc_in(x) for x in v]}
        if isinstance(v, tuple):
            return {"kind": "tuple", "items": [self.enc_in(x) for x in v]}
        if isinstance(v, dict):
            return {"kind": "dict", "items": [[k, self.enc_in(x)] for k, x in v.items()]}
        if id(v) in self.labels:
            return {"kind": "object", "label": self.labels[id(v)]}
        raise TypeError("cannot encode input %r" % (v,))

    def enc_out(self, v):
        if isinstance(v, (tf.Tensor, tf.Variable)):
            return array_json(v.numpy(), "tensor")
        if v is None:
            return {"kind": "none"}
        if isinstance(v, tuple):
            return {"kind": "tuple", "items": [self.enc_out(x) for x in v]}
        if isinstance(v, list):
            return {"kind": "list", "items": [self.enc_out(x) for x in v]}
        if isinstance(v, dict):
            return {"kind": "dict", "items": [[k, self.enc_out(v[k])] for k in sorted(v)]}
        raise TypeError("cannot encode output %r" % (v,))

    # -- one call --------------------------------------------------------------
    def call(self, target, fn, *args, observe=None, **kwargs):
        """Call fn(*args, **kwargs); record inputs, output/error and the counts after it.

        observe: callable -> dict of extra observations taken after the call (variables
        read back, other counters, ...)."""
        entry = {"target": target, "args": [self.enc_in(a) for a in args],
                 "kwargs": {k: self.enc_in(v) for k, v in kwargs.items()}}
        try:
            out = fn(*args, **kwargs)
            entry["output"] = self.enc_out(out)
        except Exception as e:  # noqa: BLE001 - the exception is the recorded result
            out = None
            entry["error"] = error_json(e)
        entry["tracing_count"] = int(self.counters[self.primary]())
        if len(self.counters) > 1:
            entry["tracing_counts"] = {k: int(g()) for k, g in self.counters.items()}
        entry["python_prints"] = self.prints
        lines = self.tf_print_lines()
        if lines is not None:
            entry["tf_prints"] = len(lines)
        if observe is not None:
            entry["observed"] = observe()
        self.calls.append(entry)
        return out

    def to_json(self):
        d = {"name": self.name, "description": self.description,
             "primary": self.primary,
             "tracing_count_before_calls": self.before[self.primary],
             "calls": self.calls, "python_print_lines": self.print_lines}
        lines = self.tf_print_lines()
        if lines is not None:
            d["tf_print_lines"] = lines
        d.update(self.extra)
        return d


def signatures(fn):
    """The traced input types, in trace order, from pretty_printed_concrete_signatures()."""
    text = fn.pretty_printed_concrete_signatures()
    out = []
    for block in text.split("\n\n"):
        params = []
        in_params = False
        for ln in block.splitlines():
            if ln.startswith("Input Parameters:"):
                in_params = True
                continue
            if ln.startswith("Output Type:"):
                break
            if in_params and ln.strip():
                params.append(scrub(ln.strip()))
        if params:
            out.append(params)
    return out


CASES = []


def case(name, description):
    def deco(fn):
        CASES.append((name, description, fn))
        return fn
    return deco


def c32(v):
    return tf.constant(v, tf.float32)


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------

@case("new_shapes",
      "f(x) Python-prints once, then returns x * 2.0. Called with float32 tensors of shape "
      "[2], [2] (other values), [3], [2] again, [2,1]: each new shape traces once; a shape "
      "seen before reuses its trace.")
def _(C):
    @tf.function
    def f(x):
        C.py_print("trace f", x.shape)
        return x * 2.0
    C.track("f", f)
    for v in ([1.0, 2.0], [3.0, 4.0], [1.0, 2.0, 3.0], [5.0, 6.0], [[1.0], [2.0]]):
        C.call("f", f, c32(v))
    C.extra["signatures"] = signatures(f)


@case("new_dtypes",
      "f(x) Python-prints once, then returns x + x. Called with a shape-[2] tensor of dtype "
      "float32, float64, int32, int32 (other values), int64, float32 again: each new dtype "
      "traces once.")
def _(C):
    @tf.function
    def f(x):
        C.py_print("trace f", x.dtype.name)
        return x + x
    C.track("f", f)
    for v, dt in (([1.5, 2.5], tf.float32), ([1.5, 2.5], tf.float64), ([1, 2], tf.int32),
                  ([3, 4], tf.int32), ([1, 2], tf.int64), ([0.5, 0.25], tf.float32)):
        C.call("f", f, tf.constant(v, dt))
    C.extra["signatures"] = signatures(f)


@case("python_scalars_vs_tensors",
      "f(x) Python-prints once, then returns x * 3 (x a Python int or a scalar int32 tensor; "
      "for a Python int the product is a constant in the graph). Called with Python 1, 2, 1, 5, "
      "then int32 scalar tensors 1, 2, 7: every distinct Python value is its own trace, the "
      "tensors share one trace.")
def _(C):
    @tf.function
    def f(x):
        C.py_print("trace f", x)
        return x * 3
    C.track("f", f)
    for v in (1, 2, 1, 5):
        C.call("f", f, v)
    for v in (1, 2, 7):
        C.call("f", f, tf.constant(v, tf.int32))
    C.extra["signatures"] = signatures(f)


@case("python_equal_literals_share_trace",
      "f(x) Python-prints once, then returns x * 2. Called with Python 1, then 1.0, then True, "
      "then 2: 1, 1.0 and True are equal (and hash equal) in Python, so the calls with 1.0 and "
      "True reuse the trace made for int 1 and return that trace's int32 result 2.")
def _(C):
    @tf.function
    def f(x):
        C.py_print("trace f", repr(x))
        return x * 2
    C.track("f", f)
    for v in (1, 1.0, True, 2):
        C.call("f", f, v)
    C.extra["signatures"] = signatures(f)


@case("python_equal_literals_float_first",
      "Same body as python_equal_literals_share_trace (Python print, return x * 2) but called "
      "with 1.0 first, then 1, then True: all three reuse the float trace and return float32 2.0.")
def _(C):
    @tf.function
    def f(x):
        C.py_print("trace f", repr(x))
        return x * 2
    C.track("f", f)
    for v in (1.0, 1, True):
        C.call("f", f, v)


@case("numpy_arguments_are_tensors",
      "f(x) Python-prints once, then returns x * 2.0. Called with numpy float32 arrays [1,2] and "
      "[3,4] (shape [2]), then a tf float32 tensor of shape [2], then a numpy float32 scalar 1.5, "
      "then a numpy float32 scalar 2.5, then a numpy float64 array [1,2]: numpy values are traced "
      "like tensors (by shape and dtype), not by value.")
def _(C):
    @tf.function
    def f(x):
        C.py_print("trace f", x.shape, x.dtype.name)
        return x * 2.0
    C.track("f", f)
    C.call("f", f, np.array([1.0, 2.0], np.float32))
    C.call("f", f, np.array([3.0, 4.0], np.float32))
    C.call("f", f, c32([5.0, 6.0]))
    C.call("f", f, np.float32(1.5))
    C.call("f", f, np.float32(2.5))
    C.call("f", f, np.array([1.0, 2.0], np.float64))
    C.extra["signatures"] = signatures(f)


@case("input_signature_none_dim",
      "f = tf.function(input_signature=[TensorSpec([None], float32)]); f(x) Python-prints once, "
      "then returns x * 2.0. Calls: shape [2], shape [3], a Python list [1.0, 2.0], a numpy "
      "float64 array [1,2] (converted to float32), then rejected inputs: a [1,2] tensor (rank), "
      "an int32 tensor, a float64 tensor, a Python float, two arguments, no argument. One trace "
      "in all; rejected calls raise TypeError before tracing.")
def _(C):
    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def f(x):
        C.py_print("trace f", x.shape)
        return x * 2.0
    C.track("f", f)
    C.call("f", f, c32([1.0, 2.0]))
    C.call("f", f, c32([1.0, 2.0, 3.0]))
    C.call("f", f, [1.0, 2.0])
    C.call("f", f, np.array([1.0, 2.0], np.float64))
    C.call("f", f, c32([[1.0, 2.0]]))
    C.call("f", f, tf.constant([1, 2], tf.int32))
    C.call("f", f, tf.constant([1.0, 2.0], tf.float64))
    C.call("f", f, 1.0)
    C.call("f", f, c32([1.0]), c32([1.0]))
    C.call("f", f)
    C.extra["signatures"] = signatures(f)


@case("input_signature_two_specs",
      "f = tf.function(input_signature=[TensorSpec([None, 2], float32), TensorSpec([], int32)]); "
      "f(x, n) Python-prints once, then returns x * cast(n, float32). Calls: ([1,2] ones, int32 "
      "tensor 3), ([3,2] ones, Python int 2), keywords x=[1,2], n=4, then rejected: a [3,3] x, "
      "and n = Python float 2.5 (cannot convert to int32). One trace.")
def _(C):
    @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32), tf.TensorSpec([], tf.int32)])
    def f(x, n):
        C.py_print("trace f", x.shape, n.shape)
        return x * tf.cast(n, tf.float32)
    C.track("f", f)
    C.call("f", f, c32([[1.0, 2.0]]), tf.constant(3, tf.int32))
    C.call("f", f, c32([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]), 2)
    C.call("f", f, x=c32([[0.5, 1.5]]), n=4)
    C.call("f", f, c32([[1.0, 1.0, 1.0]] * 3), 2)
    C.call("f", f, c32([[1.0, 1.0]]), 2.5)
    C.extra["signatures"] = signatures(f)


@case("input_signature_unknown_rank",
      "f = tf.function(input_signature=[TensorSpec(None, float32)]) (unknown rank); f(x) "
      "Python-prints once, then returns x * 2.0. Called with a scalar, a [2,2] tensor and a [3] "
      "tensor: all accepted by the single trace.")
def _(C):
    @tf.function(input_signature=[tf.TensorSpec(None, tf.float32)])
    def f(x):
        C.py_print("trace f", x.shape)
        return x * 2.0
    C.track("f", f)
    C.call("f", f, c32(1.5))
    C.call("f", f, c32([[1.0, 2.0], [3.0, 4.0]]))
    C.call("f", f, c32([1.0, 2.0, 3.0]))
    C.extra["signatures"] = signatures(f)


@case("reduce_retracing_rank1",
      "f = tf.function(reduce_retracing=True); f(x) Python-prints x's static shape at trace time, "
      "then returns x * 2.0. Called with float32 shapes [2], [3], [4], [2], [2,2], [3,3], [] "
      "(scalar): [2] traces exactly, [3] traces a generalised (None,), [4] and [2] reuse traces, "
      "[2,2] traces a generalised unknown-rank shape that then also accepts [3,3] and [].")
def _(C):
    @tf.function(reduce_retracing=True)
    def f(x):
        C.py_print("trace f", x.shape)
        return x * 2.0
    C.track("f", f)
    for s in ([2], [3], [4], [2], [2, 2], [3, 3], []):
        n = int(np.prod(s)) if s else 1
        C.call("f", f, c32(np.arange(1, n + 1, dtype=np.float32).reshape(s)),
               observe=lambda: {"signatures": signatures(f)})


@case("reduce_retracing_rank2_dispatch",
      "f = tf.function(reduce_retracing=True); f(x) Python-prints x's static shape, then returns "
      "k as an int32 scalar, where k is the number of None dimensions in x's static (trace-time) "
      "shape, or -1 for unknown rank; so the output shows which trace ran. Calls with zeros of "
      "shape [2,3], [2,4], [2,3], [2,5], [3,4], [2,3], [2,4], [7]: the most specific matching "
      "trace is used.")
def _(C):
    @tf.function(reduce_retracing=True)
    def f(x):
        C.py_print("trace f", x.shape)
        k = -1 if x.shape.rank is None else sum(d is None for d in x.shape)
        return tf.constant(k, tf.int32)
    C.track("f", f)
    for s in ([2, 3], [2, 4], [2, 3], [2, 5], [3, 4], [2, 3], [2, 4], [7]):
        C.call("f", f, tf.zeros(s, tf.float32), observe=lambda: {"signatures": signatures(f)})


@case("reduce_retracing_dtypes_and_python_args",
      "f = tf.function(reduce_retracing=True); f(x, n) Python-prints x's static shape and n, then "
      "returns x * n (n a Python int). Calls: (float32 zeros [2], 1), ([3], 2), ([4], 1), ([5], 1), "
      "([2], 2), then an int32 [2] with n=1 and int32 [3] with n=1. A trace is only generalised "
      "with earlier traces that have the same dtype and the same Python value.")
def _(C):
    @tf.function(reduce_retracing=True)
    def f(x, n):
        C.py_print("trace f", x.dtype.name, x.shape, n)
        return x * n
    C.track("f", f)
    for s, n in (([2], 1), ([3], 2), ([4], 1), ([5], 1), ([2], 2)):
        C.call("f", f, tf.ones(s, tf.float32), n)
    C.call("f", f, tf.ones([2], tf.int32), 1)
    C.call("f", f, tf.ones([3], tf.int32), 1)
    C.extra["signatures"] = signatures(f)


@case("reduce_retracing_python_scalars",
      "f = tf.function(reduce_retracing=True); f(x) Python-prints x, then returns x + 1 (x a Python "
      "int). Called with 1, 2, 3, 1: reduce_retracing does not generalise Python values; each "
      "distinct value still traces.")
def _(C):
    @tf.function(reduce_retracing=True)
    def f(x):
        C.py_print("trace f", x)
        return x + 1
    C.track("f", f)
    for v in (1, 2, 3, 1):
        C.call("f", f, v)


@case("create_variables_once",
      "Class M with v = None and a tf.function method __call__(self, x) that Python-prints, then "
      "if self.v is None sets self.v = tf.Variable(2.0), then returns self.v * x. m = M(); calls "
      "m(3.0), m(4.0) (float32 scalars), m([1,2]). The first call traces twice (the body runs "
      "twice: once creating the variable, once more without creating), so the count is 2 after it.")
def _(C):
    class M:
        def __init__(self):
            self.v = None

        @tf.function
        def __call__(self, x):
            C.py_print("trace M.__call__", x.shape)
            if self.v is None:
                self.v = tf.Variable(2.0)
            return self.v * x
    m = M()
    C.track("m.__call__", lambda: m.__call__.experimental_get_tracing_count())
    obs = lambda: {"v": None if m.v is None else array_json(m.v.numpy(), "tensor")}  # noqa: E731
    C.call("m.__call__", m, c32(3.0), observe=obs)
    C.call("m.__call__", m, c32(4.0), observe=obs)
    C.call("m.__call__", m, c32([1.0, 2.0]), observe=obs)


@case("create_variable_every_call_fails",
      "f(x) Python-prints, then creates v = tf.Variable(1.0) unconditionally and returns v + x. "
      "Called twice with float32 1.0: each call raises ValueError (a tf.function may only create "
      "variables on its first trace); the body runs twice on the first call and once on the second, "
      "and the count is 1 after both (the first, variable-creating trace completed).")
def _(C):
    @tf.function
    def f(x):
        C.py_print("trace f")
        v = tf.Variable(1.0)
        return v + x
    C.track("f", f)
    C.call("f", f, c32(1.0))
    C.call("f", f, c32(1.0))


@case("print_side_effects",
      "f(x) does a Python print and tf.print('x =', x), then returns x + 1.0. Called with float32 "
      "[1,2], [3,4], [5,6] (same shape) and then [1,2,3]: the Python print runs only while "
      "tracing (2 times), tf.print runs on every call (4 times).")
def _(C):
    target = C.tf_print_target()

    @tf.function
    def f(x):
        C.py_print("python print", x.shape)
        tf.print("x =", x, output_stream=target)
        return x + 1.0
    C.track("f", f)
    for v in ([1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [1.0, 2.0, 3.0]):
        C.call("f", f, c32(v))


@case("python_list_append_side_effect",
      "A Python list L starts empty; f(x) Python-prints, appends 1 to L, and returns x * 1.0. "
      "Called with float32 [1,2], [3,4], [5,6,7]: L grows only when tracing (length 2 at the end).")
def _(C):
    L = []

    @tf.function
    def f(x):
        C.py_print("trace f")
        L.append(1)
        return x * 1.0
    C.track("f", f)
    for v in ([1.0, 2.0], [3.0, 4.0], [5.0, 6.0, 7.0]):
        C.call("f", f, c32(v), observe=lambda: {"list_len": len(L)})


@case("python_iterator_frozen",
      "A Python generator yields 1.0, 2.0, 3.0; f(x) Python-prints, then returns x + next(it). "
      "Called three times with float32 [0,0]: next() ran once while tracing, so every call adds 1.0.")
def _(C):
    def gen():
        yield 1.0
        yield 2.0
        yield 3.0
    it = gen()

    @tf.function
    def f(x):
        C.py_print("trace f")
        return x + next(it)
    C.track("f", f)
    for _ in range(3):
        C.call("f", f, c32([0.0, 0.0]))


@case("nested_functions",
      "inner(x) Python-prints, returns x + 1.0; outer(x) Python-prints, returns inner(x) * 2.0; "
      "both tf.functions. Calls: outer([1,2]), outer([3,4]), outer([1,2,3]), then inner([5,6]) "
      "directly (eager call; shape [2] already traced inside outer, so no new trace), then "
      "outer([1,2,3,4]). inner traces once per new outer trace; counts are per function.")
def _(C):
    @tf.function
    def inner(x):
        C.py_print("trace inner", x.shape)
        return x + 1.0

    @tf.function
    def outer(x):
        C.py_print("trace outer", x.shape)
        return inner(x) * 2.0
    C.track("outer", outer, primary=True)
    C.track("inner", inner)
    C.call("outer", outer, c32([1.0, 2.0]))
    C.call("outer", outer, c32([3.0, 4.0]))
    C.call("outer", outer, c32([1.0, 2.0, 3.0]))
    C.call("inner", inner, c32([5.0, 6.0]))
    C.call("outer", outer, c32([1.0, 2.0, 3.0, 4.0]))


@case("keras_model_in_function",
      "m = keras.Sequential([Input((3,)), Dense(2, activation='relu')]) with kernel "
      "[[1.0, 0.5], [-1.0, 0.25], [0.5, -0.5]] and bias [0.1, -0.2] set explicitly; "
      "f(x) Python-prints, returns m(x). Calls: x = [[1,2,3]], [[1,2,3],[0,1,0]] (new batch size: "
      "retrace), [[3,2,1]] (batch 1 again: reuses the first trace).")
def _(C):
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="relu")])
    kernel = np.array([[1.0, 0.5], [-1.0, 0.25], [0.5, -0.5]], np.float32)
    bias = np.array([0.1, -0.2], np.float32)
    m.layers[0].set_weights([kernel, bias])

    @tf.function
    def f(x):
        C.py_print("trace f", x.shape)
        return m(x)
    C.track("f", f)
    C.extra["weights"] = {"kernel": array_json(kernel, "tensor"), "bias": array_json(bias, "tensor")}
    C.call("f", f, c32([[1.0, 2.0, 3.0]]))
    C.call("f", f, c32([[1.0, 2.0, 3.0], [0.0, 1.0, 0.0]]))
    C.call("f", f, c32([[3.0, 2.0, 1.0]]))


@case("method_traced_per_instance",
      "Class A(k) stores a Python float k; its method __call__(self, x) is a tf.function that "
      "Python-prints and returns x * k. a = A(2.0), b = A(3.0). Calls a(1.0), a(2.0), b(1.0), "
      "a([1,2]) (float32 tensors). Each instance has its own function and count; the count read "
      "from the class attribute A.__call__ stays 0.")
def _(C):
    class A:
        def __init__(self, k):
            self.k = k

        @tf.function
        def __call__(self, x):
            C.py_print("trace A.__call__ k=%s" % self.k, x.shape)
            return x * self.k
    a, b = A(2.0), A(3.0)
    C.track("a.__call__", lambda: a.__call__.experimental_get_tracing_count(), primary=True)
    C.track("b.__call__", lambda: b.__call__.experimental_get_tracing_count())
    C.track("A.__call__", lambda: A.__call__.experimental_get_tracing_count())
    C.call("a.__call__", a, c32(1.0))
    C.call("a.__call__", a, c32(2.0))
    C.call("b.__call__", b, c32(1.0))
    C.call("a.__call__", a, c32([1.0, 2.0]))


SEED4_X = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], np.float32)
SEED4_Y = np.array([[5.0], [11.0], [17.0]], np.float32)   # x @ [[1], [2]]


def seed4_models(C):
    class LinearRegression:
        """Seed 004's plain-class model: weights (2, 1) and a tf.function __call__."""

        def __init__(self):
            self._weights = tf.Variable([[0.5], [0.5]], dtype=tf.float32)

        @tf.function
        def __call__(self, x):
            C.py_print("trace LinearRegression.__call__")
            return tf.linalg.matmul(x, self._weights)

        @property
        def variables(self):
            return [self._weights]

    class LinearRegressionV2(LinearRegression):
        """Adds a bias initialised to 100."""

        def __init__(self):
            super().__init__()
            self._bias = tf.Variable([100.0], dtype=tf.float32)

        @tf.function
        def __call__(self, x):
            C.py_print("trace LinearRegressionV2.__call__")
            return tf.linalg.matmul(x, self._weights) + self._bias

        @property
        def variables(self):
            return [self._weights, self._bias]
    return LinearRegression, LinearRegressionV2


SEED4_TEXT = (
    "x = [[1,2],[3,4],[5,6]] and y = [[5],[11],[17]] (float32). LinearRegression has "
    "w = Variable([[0.5],[0.5]]) and a tf.function __call__(x) = matmul(x, w) (Python-prints); "
    "LinearRegressionV2 also has b = Variable([100.0]) and __call__(x) = matmul(x, w) + b. "
    "One SGD step: loss = reduce_mean(square(y - model(x))) under a GradientTape, "
    "grads = tape.gradient(loss, model.variables), each v.assign_add(-0.01 * g), return loss. ")


@case("stale_trace_global_model",
      SEED4_TEXT + "train_step() is a no-argument tf.function (Python-prints) that reads the global "
      "name `model`. model = LinearRegression(); train_step() twice; then model = "
      "LinearRegressionV2() (rebinding the Python name) and train_step() twice more: the trace "
      "still uses the first model, which keeps training, while the second model's w and b stay "
      "[[0.5],[0.5]] and [100] (seed 004, S004-5). Count stays 1.")
def _(C):
    LR, LR2 = seed4_models(C)
    x, y = tf.constant(SEED4_X), tf.constant(SEED4_Y)
    g = {"model": LR()}
    first = g["model"]

    @tf.function
    def train_step():
        C.py_print("trace train_step")
        model = g["model"]
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(y - model(x)))
        grads = tape.gradient(loss, model.variables)
        for gr, v in zip(grads, model.variables):
            v.assign_add(tf.constant(-0.01) * gr)
        return loss

    def obs():
        d = {"first_model_vars": [array_json(v.numpy(), "tensor") for v in first.variables]}
        if g["model"] is not first:
            d["current_model_vars"] = [array_json(v.numpy(), "tensor") for v in g["model"].variables]
        return d
    C.track("train_step", train_step)
    C.call("train_step", train_step, observe=obs)
    C.call("train_step", train_step, observe=obs)
    g["model"] = LR2()
    C.call("train_step", train_step, observe=obs)
    C.call("train_step", train_step, observe=obs)


@case("model_as_argument_retraces",
      SEED4_TEXT + "train_step(model) is a tf.function (Python-prints) taking the model as an "
      "argument. m1 = LinearRegression(): train_step(m1) twice; m2 = LinearRegressionV2(): "
      "train_step(m2) twice; then train_step(m1) once more. A different Python object is a new "
      "trace (count 2, S004-6); m2's bias now trains; m1 reuses its trace.")
def _(C):
    LR, LR2 = seed4_models(C)
    x, y = tf.constant(SEED4_X), tf.constant(SEED4_Y)

    @tf.function
    def train_step(model):
        C.py_print("trace train_step")
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(y - model(x)))
        grads = tape.gradient(loss, model.variables)
        for gr, v in zip(grads, model.variables):
            v.assign_add(tf.constant(-0.01) * gr)
        return loss
    m1 = C.label(LR(), "m1")
    m2 = C.label(LR2(), "m2")

    def obs(m):
        return lambda: {"vars": [array_json(v.numpy(), "tensor") for v in m.variables]}
    C.track("train_step", train_step)
    C.call("train_step", train_step, m1, observe=obs(m1))
    C.call("train_step", train_step, m1, observe=obs(m1))
    C.call("train_step", train_step, m2, observe=obs(m2))
    C.call("train_step", train_step, m2, observe=obs(m2))
    C.call("train_step", train_step, m1, observe=obs(m1))


@case("python_object_argument_identity",
      "class O (plain, no __eq__/__hash__ override); o1 = O(), o2 = O(). f(o, x) Python-prints and "
      "returns x + 1.0. Calls f(o1, [1]), f(o2, [1]), f(o1, [2]) (float32 shape [1]): objects are "
      "keyed by identity, so o2 traces again and o1 reuses its trace.")
def _(C):
    class O:
        pass
    o1, o2 = C.label(O(), "o1"), C.label(O(), "o2")

    @tf.function
    def f(o, x):
        C.py_print("trace f")
        return x + 1.0
    C.track("f", f)
    C.call("f", f, o1, c32([1.0]))
    C.call("f", f, o2, c32([1.0]))
    C.call("f", f, o1, c32([2.0]))


@case("closure_python_scalar_frozen",
      "A Python float scale = 2.0; f(x) Python-prints, returns x * scale. Call f([1,2]); set "
      "scale = 3.0; call f([1,2]) and f([3,4]): the trace captured 2.0 as a constant, so the "
      "output still uses 2.0 and there is no retrace.")
def _(C):
    g = {"scale": 2.0}

    @tf.function
    def f(x):
        C.py_print("trace f")
        return x * g["scale"]
    C.track("f", f)
    C.call("f", f, c32([1.0, 2.0]))
    g["scale"] = 3.0
    C.call("f", f, c32([1.0, 2.0]))
    C.call("f", f, c32([3.0, 4.0]))


@case("closure_tensor_rebind_frozen",
      "A global name t = tf.constant(2.0); f(x) Python-prints, returns x * t. Call f([1,2]); "
      "rebind t = tf.constant(3.0); call f([1,2]): the trace captured the first tensor, so the "
      "output still uses 2.0.")
def _(C):
    g = {"t": tf.constant(2.0)}

    @tf.function
    def f(x):
        C.py_print("trace f")
        return x * g["t"]
    C.track("f", f)
    C.call("f", f, c32([1.0, 2.0]))
    g["t"] = tf.constant(3.0)
    C.call("f", f, c32([1.0, 2.0]))


@case("closure_variable_sees_updates",
      "v = tf.Variable(2.0) outside the function; f(x) Python-prints, returns x * v. Call "
      "f([1,2]); v.assign(3.0) outside; call f([1,2]): the variable is read at run time, so the "
      "second output uses 3.0, without a retrace.")
def _(C):
    v = tf.Variable(2.0)

    @tf.function
    def f(x):
        C.py_print("trace f")
        return x * v
    C.track("f", f)
    C.call("f", f, c32([1.0, 2.0]))
    v.assign(3.0)
    C.call("f", f, c32([1.0, 2.0]))


@case("variable_assign_inside",
      "v = tf.Variable([1.0, 2.0]); f(d) Python-prints, does v.assign_add(d) and returns "
      "v.read_value() * 10.0. Called three times with d = [1.0, 0.5]; v is read back after each "
      "call (it keeps the updates).")
def _(C):
    v = tf.Variable([1.0, 2.0])

    @tf.function
    def f(d):
        C.py_print("trace f")
        v.assign_add(d)
        return v.read_value() * 10.0
    C.track("f", f)
    for _ in range(3):
        C.call("f", f, c32([1.0, 0.5]), observe=lambda: {"v": array_json(v.numpy(), "tensor")})


@case("variable_as_argument",
      "f(v) Python-prints, returns v * 2.0. Called with v1 = Variable([1,2]), v2 = Variable([3,4]) "
      "(same shape and dtype: one trace for both variables), then with a float32 tensor [1,2] "
      "(a tensor is a different kind of input from a variable: retrace), then v1 again.")
def _(C):
    v1 = C.label(tf.Variable([1.0, 2.0]), "v1")
    v2 = C.label(tf.Variable([3.0, 4.0]), "v2")

    @tf.function
    def f(v):
        C.py_print("trace f")
        return v * 2.0
    C.track("f", f)
    C.call("f", f, v1)
    C.call("f", f, v2)
    C.call("f", f, c32([1.0, 2.0]))
    C.call("f", f, v1)


@case("python_bool_branch",
      "f(x, training) Python-prints; if the Python bool training is true returns x * 2.0, else "
      "returns x - 1.0 (Python if, no tf.cond). Calls (x=[1,2]): True, False, True, False, then "
      "training=True passed as a keyword: one trace per Python value.")
def _(C):
    @tf.function
    def f(x, training):
        C.py_print("trace f", training)
        if training:
            return x * 2.0
        return x - 1.0
    C.track("f", f)
    for t in (True, False, True, False):
        C.call("f", f, c32([1.0, 2.0]), t)
    C.call("f", f, c32([1.0, 2.0]), training=True)


@case("python_int_unrolled_loop",
      "f(x, n) Python-prints, then runs a Python loop `for _ in range(n): x = x * 2.0` (n a Python "
      "int, so the loop is unrolled into the graph) and returns x. Calls with x = [1,3]: n = 1, 3, "
      "1, 0: one trace per value of n.")
def _(C):
    @tf.function
    def f(x, n):
        C.py_print("trace f", n)
        for _ in range(n):
            x = x * 2.0
        return x
    C.track("f", f)
    for n in (1, 3, 1, 0):
        C.call("f", f, c32([1.0, 3.0]), n)


@case("tensor_if_autograph",
      "f(x) Python-prints, then `if tf.reduce_sum(x) > 0: y = x * 2.0 else: y = -x`, returns y "
      "(autograph turns the tensor-dependent if into tf.cond). Calls with [1,2], [-1,-2], [3,-1]: "
      "one trace, both branches run as the data decides.")
def _(C):
    @tf.function
    def f(x):
        C.py_print("trace f")
        if tf.reduce_sum(x) > 0:
            y = x * 2.0
        else:
            y = -x
        return y
    C.track("f", f)
    for v in ([1.0, 2.0], [-1.0, -2.0], [3.0, -1.0]):
        C.call("f", f, c32(v))


@case("tf_cond",
      "f(x) Python-prints, returns tf.cond(reduce_sum(x) > 0, lambda: x * 2.0, lambda: -x). "
      "Calls with [1,2] and [-1,-2]: one trace.")
def _(C):
    @tf.function
    def f(x):
        C.py_print("trace f")
        return tf.cond(tf.reduce_sum(x) > 0, lambda: x * 2.0, lambda: -x)
    C.track("f", f)
    C.call("f", f, c32([1.0, 2.0]))
    C.call("f", f, c32([-1.0, -2.0]))


@case("tf_while_loop",
      "f(x, n) Python-prints, returns tf.while_loop(cond=lambda i, a: i < n, "
      "body=lambda i, a: (i + 1, a * 2.0), loop_vars=(0 int32, x)), i.e. the tuple (n, x * 2**n). "
      "Calls with x = [1, 0.5] and int32 scalar n = 3, then n = 5, then n = 0: one trace.")
def _(C):
    @tf.function
    def f(x, n):
        C.py_print("trace f")
        return tf.while_loop(lambda i, a: i < n, lambda i, a: (i + 1, a * 2.0),
                             (tf.constant(0, tf.int32), x))
    C.track("f", f)
    for n in (3, 5, 0):
        C.call("f", f, c32([1.0, 0.5]), tf.constant(n, tf.int32))


@case("autograph_while_tensor",
      "f(n) Python-prints, then i = 0, acc = 0 (int32) and the Python loop `while i < n: "
      "acc += i * i; i += 1` (n an int32 tensor, so autograph makes a tf.while_loop); returns "
      "acc = sum of squares below n. Calls with n = 3, 5, 1: one trace.")
def _(C):
    @tf.function
    def f(n):
        C.py_print("trace f")
        i = tf.constant(0)
        acc = tf.constant(0)
        while i < n:
            acc += i * i
            i += 1
        return acc
    C.track("f", f)
    for n in (3, 5, 1):
        C.call("f", f, tf.constant(n, tf.int32))


@case("autograph_for_tf_range",
      "f(x, n) Python-prints, then acc = zeros_like(x) and `for i in tf.range(n): acc += x * "
      "cast(i, float32)` (autograph loop); returns acc = x * n(n-1)/2. Calls with x = [1,2] and "
      "int32 n = 3, 4: one trace.")
def _(C):
    @tf.function
    def f(x, n):
        C.py_print("trace f")
        acc = tf.zeros_like(x)
        for i in tf.range(n):
            acc += x * tf.cast(i, tf.float32)
        return acc
    C.track("f", f)
    for n in (3, 4):
        C.call("f", f, c32([1.0, 2.0]), tf.constant(n, tf.int32))


@case("gradient_tape_inside",
      "f(x) Python-prints; inside a GradientTape it watches x and computes y = x * x * x; returns "
      "the tuple (y, tape.gradient(y, x)) = (x^3, 3x^2). Calls with [1,2] and [3,-1]: one trace.")
def _(C):
    @tf.function
    def f(x):
        C.py_print("trace f")
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = x * x * x
        return y, tape.gradient(y, x)
    C.track("f", f)
    C.call("f", f, c32([1.0, 2.0]))
    C.call("f", f, c32([3.0, -1.0]))


@case("gradient_through_function",
      "f(x) Python-prints, returns reduce_sum(x * x + 3.0 * x). g(x) (a Python helper, not a "
      "tf.function) opens an outer GradientTape, watches x, calls y = f(x) and returns "
      "(y, tape.gradient(y, x)) = (sum(x^2 + 3x), 2x + 3). Calls g([1,2]), g([0,-1]), then g on a "
      "tf.Variable [1,2] (trainable, watched automatically; a variable is a new input kind for f: "
      "retrace).")
def _(C):
    @tf.function
    def f(x):
        C.py_print("trace f")
        return tf.reduce_sum(x * x + 3.0 * x)

    def g(x):
        with tf.GradientTape() as tape:
            if not isinstance(x, tf.Variable):
                tape.watch(x)
            y = f(x)
        return y, tape.gradient(y, x)
    C.track("f", f)
    C.call("g(f)", g, c32([1.0, 2.0]))
    C.call("g(f)", g, c32([0.0, -1.0]))
    C.call("g(f)", g, C.label(tf.Variable([1.0, 2.0]), "v"))


@case("structure_list_tuple_dict",
      "f(xs) Python-prints; if xs is a dict returns xs['a'] + xs['b'], else returns add_n of the "
      "items. a = [1,2], b = [3,4], c = [5,6] (float32). Calls: [a, b], [b, a] (same structure), "
      "(a, b) (tuple: new trace), [a, b, c] (length 3: new trace), {'a': a, 'b': b} (new), "
      "{'b': b, 'a': a} (dict insertion order does not matter), [a, b] again.")
def _(C):
    @tf.function
    def f(xs):
        C.py_print("trace f", type(xs).__name__, len(xs))
        if isinstance(xs, dict):
            return xs["a"] + xs["b"]
        return tf.add_n(list(xs))
    C.track("f", f)
    a, b, c = c32([1.0, 2.0]), c32([3.0, 4.0]), c32([5.0, 6.0])
    for arg in ([a, b], [b, a], (a, b), [a, b, c], {"a": a, "b": b}, {"b": b, "a": a}, [a, b]):
        C.call("f", f, arg)
    C.extra["signatures"] = signatures(f)


@case("structure_nested_with_python_leaf",
      "f(pair) Python-prints; pair is a tuple (tensor t, Python int k); returns t * k. Calls with "
      "(t=[1,2], 2), (t=[3,4], 2), (t=[1,2], 3): the Python leaf inside the structure is part of "
      "the key by value, the tensor leaf by shape/dtype.")
def _(C):
    @tf.function
    def f(pair):
        C.py_print("trace f", pair[1])
        t, k = pair
        return t * k
    C.track("f", f)
    C.call("f", f, (c32([1.0, 2.0]), 2))
    C.call("f", f, (c32([3.0, 4.0]), 2))
    C.call("f", f, (c32([1.0, 2.0]), 3))


@case("keyword_arguments",
      "f(x, y, scale=2.0) Python-prints, returns (x + y) * scale. x = [1,2], y = [3,4]. Calls: "
      "f(x, y); f(x, y=y); f(x=x, y=y); f(y=y, x=x); f(x, y, scale=2.0); f(x, y, 2.0) — all bind "
      "to the same parameters and share one trace; then scale=3.0 (Python: new trace), scale = "
      "float32 tensor 3.0 (new trace), scale = tensor 4.0 (reuses the tensor trace).")
def _(C):
    @tf.function
    def f(x, y, scale=2.0):
        C.py_print("trace f", scale)
        return (x + y) * scale
    C.track("f", f)
    x, y = c32([1.0, 2.0]), c32([3.0, 4.0])
    C.call("f", f, x, y)
    C.call("f", f, x, y=y)
    C.call("f", f, x=x, y=y)
    C.call("f", f, y=y, x=x)
    C.call("f", f, x, y, scale=2.0)
    C.call("f", f, x, y, 2.0)
    C.call("f", f, x, y, scale=3.0)
    C.call("f", f, x, y, scale=c32(3.0))
    C.call("f", f, x, y, scale=c32(4.0))
    C.extra["signatures"] = signatures(f)


@case("optional_none_argument",
      "f(x, b=None) Python-prints; returns x if b is None else x + b. x = [1,2]. Calls: f(x), "
      "f(x, None), f(x, [10,20]), f(x, [30,40]), f(x): None is a Python value in the key; the "
      "tensor b traces once.")
def _(C):
    @tf.function
    def f(x, b=None):
        C.py_print("trace f", b is None)
        if b is None:
            return x
        return x + b
    C.track("f", f)
    x = c32([1.0, 2.0])
    C.call("f", f, x)
    C.call("f", f, x, None)
    C.call("f", f, x, c32([10.0, 20.0]))
    C.call("f", f, x, c32([30.0, 40.0]))
    C.call("f", f, x)


@case("scalar_shape_vs_rank1",
      "f(x) Python-prints, returns x * 2. Calls with float32 scalar 1.0, float32 [1.0] (shape "
      "[1] is not shape []: retrace), float32 scalar 5.0, float64 scalar 1.0, int32 scalar 1, "
      "int32 scalar 2.")
def _(C):
    @tf.function
    def f(x):
        C.py_print("trace f", x.shape, x.dtype.name)
        return x * 2
    C.track("f", f)
    C.call("f", f, c32(1.0))
    C.call("f", f, c32([1.0]))
    C.call("f", f, c32(5.0))
    C.call("f", f, tf.constant(1.0, tf.float64))
    C.call("f", f, tf.constant(1, tf.int32))
    C.call("f", f, tf.constant(2, tf.int32))


@case("get_concrete_function",
      "f(x) Python-prints, returns x * 2.0. First cf = f.get_concrete_function(TensorSpec([None], "
      "float32)) (this traces: count 1). Then f([1,2]) and f([1,2,3]) reuse that trace; f([[1]]) "
      "traces again. Then the concrete function itself is called: cf([1,2,3]); cf([[1,2]]) is "
      "accepted (the concrete function does not check the shape in TF 2.21); cf(int32 [1,2]) "
      "raises InvalidArgumentError.")
def _(C):
    @tf.function
    def f(x):
        C.py_print("trace f", x.shape)
        return x * 2.0
    C.track("f", f)
    cf = f.get_concrete_function(tf.TensorSpec([None], tf.float32))
    C.extra["tracing_count_after_get_concrete_function"] = int(f.experimental_get_tracing_count())
    C.extra["python_prints_after_get_concrete_function"] = C.prints
    C.call("f", f, c32([1.0, 2.0]))
    C.call("f", f, c32([1.0, 2.0, 3.0]))
    C.call("f", f, c32([[1.0]]))
    C.call("cf", cf, c32([1.0, 2.0, 3.0]))
    C.call("cf", cf, c32([[1.0, 2.0]]))
    C.call("cf", cf, tf.constant([1, 2], tf.int32))
    C.extra["signatures"] = signatures(f)


@case("error_while_tracing_not_cached",
      "f(x, fail) Python-prints; if the Python bool fail is true it raises ValueError('boom'), "
      "else returns x + 1.0. Calls f(1.0, True) (raises while tracing; nothing is cached, count "
      "stays 0), f(1.0, False) (count 1), f(1.0, True) again (traces again, raises again).")
def _(C):
    @tf.function
    def f(x, fail):
        C.py_print("trace f", fail)
        if fail:
            raise ValueError("boom")
        return x + 1.0
    C.track("f", f)
    C.call("f", f, c32(1.0), True)
    C.call("f", f, c32(1.0), False)
    C.call("f", f, c32(1.0), True)


@case("run_functions_eagerly",
      "f(x) does a Python print and tf.print('x =', x), returns x * 2.0. With "
      "tf.config.run_functions_eagerly(True): three calls f([1,2]) (the body runs eagerly every "
      "call, the tracing count stays 0). Then run_functions_eagerly(False) and two more calls "
      "f([1,2]): the first of these traces (count 1), the second reuses it.")
def _(C):
    target = C.tf_print_target()

    @tf.function
    def f(x):
        C.py_print("python print")
        tf.print("x =", x, output_stream=target)
        return x * 2.0
    C.track("f", f)
    tf.config.run_functions_eagerly(True)
    try:
        for _ in range(3):
            C.call("f", f, c32([1.0, 2.0]),
                   observe=lambda: {"functions_run_eagerly": tf.config.functions_run_eagerly()})
    finally:
        tf.config.run_functions_eagerly(False)
    for _ in range(2):
        C.call("f", f, c32([1.0, 2.0]),
               observe=lambda: {"functions_run_eagerly": tf.config.functions_run_eagerly()})


@case("excessive_retracing_warning",
      "f(x) Python-prints, returns x + 1 (x a Python int). Called with 0, 1, ..., 7: every call "
      "traces. TF logs a warning '<k> out of the last <n> calls to <function> triggered "
      "tf.function retracing' on the 5th and 6th traces only (at most two warnings per function). "
      "The recorded prefix has the function's repr replaced by '<function>'.")
def _(C):
    @tf.function
    def f(x):
        C.py_print("trace f", x)
        return x + 1
    C.track("f", f)
    start = len(retracing_warnings())
    for v in range(8):
        C.call("f", f, v, observe=lambda: {
            "retracing_warnings": len(retracing_warnings()) - start,
            "last_warning_prefix": None if len(retracing_warnings()) == start else
            re.sub(r"<function \S+ at 0x\?>", "<function>",
                   scrub(retracing_warnings()[-1])).split(" triggered")[0]})


@case("function_objects_are_independent",
      "One Python function g(x) (Python-prints, returns x * 2.0) wrapped twice: f1 = tf.function(g), "
      "f2 = tf.function(g). Calls f1([1,2]), f2([1,2]), f1([3,4]): each Function object has its "
      "own cache and count, so re-wrapping (e.g. creating the tf.function in a loop) traces again.")
def _(C):
    def g(x):
        C.py_print("trace g")
        return x * 2.0
    f1 = tf.function(g)
    f2 = tf.function(g)
    C.track("f1", f1, primary=True)
    C.track("f2", f2)
    C.call("f1", f1, c32([1.0, 2.0]))
    C.call("f2", f2, c32([1.0, 2.0]))
    C.call("f1", f1, c32([3.0, 4.0]))


@case("python_values_in_output",
      "f(x) Python-prints, returns the dict {'a': x * 2.0, 'b': 3, 'c': None} (Python int 3 and "
      "None in the output). Called twice with float32 [1,2]: 'b' comes back as an int32 scalar "
      "tensor, 'c' as None; the output dict is recorded with sorted keys.")
def _(C):
    @tf.function
    def f(x):
        C.py_print("trace f")
        return {"a": x * 2.0, "b": 3, "c": None}
    C.track("f", f)
    C.call("f", f, c32([1.0, 2.0]))
    C.call("f", f, c32([1.0, 2.0]))


@case("python_list_of_floats_is_literal",
      "f(xs) Python-prints, returns tf.reduce_sum(xs) (xs a Python list of floats, converted to a "
      "constant while tracing). Calls with [1.0, 2.0], [1.0, 2.0], [3.0, 4.0], then the float32 "
      "tensor [3.0, 4.0]: the list's float leaves are part of the key by value (retrace for new "
      "values), unlike a tensor.")
def _(C):
    @tf.function
    def f(xs):
        C.py_print("trace f", xs if isinstance(xs, list) else "tensor")
        return tf.reduce_sum(xs)
    C.track("f", f)
    C.call("f", f, [1.0, 2.0])
    C.call("f", f, [1.0, 2.0])
    C.call("f", f, [3.0, 4.0])
    C.call("f", f, c32([3.0, 4.0]))
    C.extra["signatures"] = signatures(f)


@case("autograph_false_tensor_condition_error",
      "f = tf.function(autograph=False); f(x) Python-prints, then evaluates the Python "
      "`if tf.reduce_sum(x) > 0:` (returns x, else -x). Without autograph a symbolic tensor cannot "
      "be a Python bool, so the call with [1,2] raises while tracing (count stays 0); a second "
      "call traces and raises again.")
def _(C):
    @tf.function(autograph=False)
    def f(x):
        C.py_print("trace f")
        if tf.reduce_sum(x) > 0:
            return x
        return -x
    C.track("f", f)
    C.call("f", f, c32([1.0, 2.0]))
    C.call("f", f, c32([1.0, 2.0]))


# ---------------------------------------------------------------------------

def main():
    global TMP
    names = set()
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        TMP = tmp
        for name, desc, fn in CASES:
            if name in names:
                raise ValueError("duplicate case name %s/%s" % (FAMILY, name))
            names.add(name)
            C = Case(name, desc)
            fn(C)
            if tf.config.functions_run_eagerly():
                raise RuntimeError("run_functions_eagerly left on by " + name)
            out.append(C.to_json())
    with open(OUT, "w") as f:
        f.write('{"tf_version":%s,"keras_version":%s,"family":%s,"cases":[\n'
                % (json.dumps(tf.__version__), json.dumps(keras.__version__), json.dumps(FAMILY)))
        f.write(",\n".join(json.dumps(c, separators=(",", ":"), allow_nan=False) for c in out))
        f.write("\n]}\n")
    with open(OUT) as f:
        back = json.load(f)
    print("wrote %s: %d cases, %d bytes" % (OUT, len(back["cases"]), os.path.getsize(OUT)))


TMP = None

if __name__ == "__main__":
    sys.exit(main())
