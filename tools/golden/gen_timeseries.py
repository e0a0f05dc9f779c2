#!/usr/bin/env python3
"""Golden fixtures for kiln_data::dataset::timeseries_dataset_from_array from Keras 3.15
(shuffle=False): every batch of sequences and targets for several strides, sampling
rates, index ranges and batch sizes. Writes tools/golden/fixtures/timeseries.json.
    /work/venv-tf/bin/python tools/golden/gen_timeseries.py
"""

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import keras  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "timeseries.json")


def main():
    data = np.arange(40, dtype=np.float32).reshape(20, 2)
    targets = np.arange(100, 120, dtype=np.float32)
    configs = [
        {"sequence_length": 5},
        {"sequence_length": 4, "sequence_stride": 3, "batch_size": 2},
        {"sequence_length": 3, "sampling_rate": 2, "batch_size": 4, "targets": True},
        {"sequence_length": 3, "start_index": 4, "end_index": 15, "batch_size": 3, "targets": True},
        {"sequence_length": 6, "sequence_stride": 2, "sampling_rate": 3, "batch_size": 5, "targets": True},
        {"sequence_length": 2, "batch_size": None, "targets": True, "end_index": 6},
    ]
    cases = []
    for cfg in configs:
        kw = {k: v for k, v in cfg.items() if k != "targets"}
        ds = keras.utils.timeseries_dataset_from_array(
            data, targets if cfg.get("targets") else None, **kw)
        batches = []
        for b in ds:
            if cfg.get("targets"):
                x, y = b
                batches.append({"x": np.asarray(x).tolist(), "y": np.asarray(y).tolist()})
            else:
                batches.append({"x": np.asarray(b).tolist()})
        cases.append({"config": cfg, "batches": batches})
    with open(OUT, "w") as f:
        json.dump({"keras": keras.__version__, "data": data.tolist(), "targets": targets.tolist(),
                   "cases": cases}, f)
    print(f"wrote {OUT}: {len(cases)} cases")


if __name__ == "__main__":
    main()
