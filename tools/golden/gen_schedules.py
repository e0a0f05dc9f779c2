#!/usr/bin/env python3
"""Golden learning-rate schedule values from Keras 3.15: every schedule class with its
options, evaluated at steps 0-39, every 7th step to 400, and around 500, 1000, 2500.
Writes tools/golden/fixtures/schedules.json. Run from the repository root:
    /work/venv-tf/bin/python tools/golden/gen_schedules.py
"""

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
import keras  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "schedules.json")


def schedule_cases():
    steps = list(range(0, 40)) + list(range(40, 400, 7)) + [499, 500, 501, 999, 1000, 1001, 2500]
    specs = [
        ("exp", "ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 30,
                                     "decay_rate": 0.9}),
        ("exp_stair", "ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 30,
                                           "decay_rate": 0.9, "staircase": True}),
        ("piecewise", "PiecewiseConstantDecay", {"boundaries": [10, 100, 300],
                                                 "values": [1.0, 0.5, 0.1, 0.01]}),
        ("poly1", "PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 200,
                                      "end_learning_rate": 0.001, "power": 1.0}),
        ("poly2", "PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 200,
                                      "end_learning_rate": 0.001, "power": 2.0}),
        ("poly1_cycle", "PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 200,
                                            "end_learning_rate": 0.001, "power": 1.0,
                                            "cycle": True}),
        ("poly2_cycle", "PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 200,
                                            "end_learning_rate": 0.001, "power": 2.0,
                                            "cycle": True}),
        ("inv_time", "InverseTimeDecay", {"initial_learning_rate": 0.1, "decay_steps": 20,
                                          "decay_rate": 0.5}),
        ("inv_time_stair", "InverseTimeDecay", {"initial_learning_rate": 0.1,
                                                "decay_steps": 20, "decay_rate": 0.5,
                                                "staircase": True}),
        ("cosine", "CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 300}),
        ("cosine_alpha", "CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 300,
                                         "alpha": 0.1}),
        ("cosine_warmup", "CosineDecay", {"initial_learning_rate": 0.0, "decay_steps": 300,
                                          "alpha": 0.05, "warmup_target": 0.2,
                                          "warmup_steps": 50}),
        ("restarts_t1", "CosineDecayRestarts", {"initial_learning_rate": 0.1,
                                                "first_decay_steps": 40, "t_mul": 1.0}),
        ("restarts_t2", "CosineDecayRestarts", {"initial_learning_rate": 0.1,
                                                "first_decay_steps": 40, "t_mul": 2.0,
                                                "m_mul": 0.5, "alpha": 0.01}),
    ]
    cases = []
    for sid, cls, kw in specs:
        sch = getattr(keras.optimizers.schedules, cls)(**kw)
        vals = [float(np.asarray(sch(s))) for s in steps]
        cases.append({"id": sid, "class": cls, "kwargs": kw, "steps": steps, "values": vals})
    return cases



if __name__ == "__main__":
    with open(OUT, "w") as f:
        json.dump({"keras": keras.__version__, "cases": schedule_cases()}, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", OUT)
