#!/usr/bin/env python3
"""Golden optimizer trajectories from Keras 3.15: each optimizer kiln added for issue 26
(Adafactor, Ftrl, Lamb, Muon, ScheduleFreeAdamW) with its defaults and with its main
options, plus weight decay and clipping, applied for 5 steps to fixed variables and
gradients. Records the variables after every step, the optimizer's variables after the
last (paths, shapes, values: what a .keras file saves) and get_config().
Writes tools/golden/fixtures/optimizers.json. Run from the repository root:
    /work/venv-tf/bin/python tools/golden/gen_optimizers.py
"""

import json
import os
import zlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
import keras  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "optimizers.json")
STEPS = 5

# name -> shape; the names are Keras variable paths (Muon reads them).
DENSE = [("dense/bias", [3]), ("dense/kernel", [3, 4])]
TALL = [("tall/kernel", [5, 2])]
EMB = [("embedding/embeddings", [4, 3])]
CONV = [("conv/kernel", [2, 2, 3])]
SCALAR = [("scale/gamma", [])]

CASES = [
    ("adafactor_default", "Adafactor", {}, DENSE + CONV + SCALAR),
    ("adafactor_options", "Adafactor",
     {"learning_rate": 0.05, "relative_step": False, "clip_threshold": 0.5,
      "beta_2_decay": -0.5, "epsilon_2": 0.01, "weight_decay": 0.1}, DENSE + CONV),
    ("ftrl_default", "Ftrl", {"learning_rate": 0.1}, DENSE),
    ("ftrl_options", "Ftrl",
     {"learning_rate": 0.2, "learning_rate_power": -0.7, "initial_accumulator_value": 0.5,
      "l1_regularization_strength": 0.01, "l2_regularization_strength": 0.02,
      "l2_shrinkage_regularization_strength": 0.03, "beta": 0.5}, DENSE),
    ("ftrl_weight_decay_clipvalue", "Ftrl",
     {"learning_rate": 0.1, "weight_decay": 0.05, "clipvalue": 0.3}, DENSE),
    ("lamb_default", "Lamb", {"learning_rate": 0.01}, DENSE + CONV),
    ("lamb_options", "Lamb",
     {"learning_rate": 0.02, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-5,
      "weight_decay": 0.01, "clipnorm": 0.5}, DENSE),
    ("muon_default", "Muon", {"learning_rate": 0.01}, DENSE + TALL + EMB + CONV),
    ("muon_options", "Muon",
     {"learning_rate": 0.02, "nesterov": False, "rms_rate": None, "weight_decay": 0.1,
      "adam_weight_decay": 0.02, "exclude_layers": ["tall"], "exclude_embeddings": False,
      "adam_lr_ratio": 0.5, "ns_steps": 3, "momentum": 0.9, "global_clipnorm": 1.0},
     DENSE + TALL + EMB),
    ("schedule_free_adamw_default", "ScheduleFreeAdamW", {}, DENSE),
    ("schedule_free_adamw_options", "ScheduleFreeAdamW",
     {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-6,
      "warmup_steps": 3, "weight_decay": 0.01}, DENSE + CONV),
]


def jsonable(x):
    if isinstance(x, dict):
        return {k: jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, (np.floating,)):
        return float(x)
    if isinstance(x, (np.integer,)):
        return int(x)
    return x


def case(cid, cls, kwargs, specs):
    rng = np.random.default_rng(zlib.crc32(f"optimizers/{cid}".encode()))
    init = [rng.normal(size=s).astype("float32") for _, s in specs]
    grads = [[(rng.normal(size=s) * 0.5).astype("float32") for _, s in specs]
             for _ in range(STEPS)]
    variables = []
    for v, (n, _) in zip(init, specs):
        scope, leaf = n.split("/")
        with keras.name_scope(scope):
            variables.append(keras.Variable(v, name=leaf))
    paths = [v.path for v in variables]
    opt = getattr(keras.optimizers, cls)(**kwargs)
    trajectory = []
    for step in range(STEPS):
        opt.apply_gradients(zip([keras.ops.convert_to_tensor(g) for g in grads[step]],
                                variables))
        trajectory.append([np.asarray(v.numpy(), "float64").ravel().tolist()
                           for v in variables])
    state = [{"path": v.path, "shape": list(v.shape),
              "values": np.asarray(v.numpy(), "float64").ravel().tolist()}
             for v in opt.variables]
    return {
        "id": cid, "class": cls, "kwargs": kwargs,
        "variables": [{"name": n, "keras_path": p, "shape": s, "init": i.ravel().tolist()}
                      for (n, s), p, i in zip(specs, paths, init)],
        "grads": [[g.ravel().astype("float64").tolist() for g in gs] for gs in grads],
        "trajectory": trajectory,
        "state": state,
        "config": jsonable(opt.get_config()),
    }


def main():
    cases = [case(*c) for c in CASES]
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    doc = {"keras_version": keras.__version__, "steps": STEPS, "cases": cases}
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=None, separators=(",", ":"))
        f.write("\n")
    with open(OUT) as f:
        n = len(json.load(f)["cases"])
    print(f"wrote {OUT}: {n} cases, {os.path.getsize(OUT)} bytes")


if __name__ == "__main__":
    main()
