#!/usr/bin/env python3
"""Golden fixture for kiln-tuner's scikeras wrappers (scikeras 0.13.0 on Keras 3.15.1).

    ~/peers/bin/pip install --no-deps scikeras==0.13.0
    ~/peers/bin/python tools/golden/gen_scikeras.py

Writes tools/golden/fixtures/scikeras.json: KerasClassifier / KerasRegressor's
get_params() defaults (the callables `model` and `build_fn` left out: kiln's factory is
not a parameter value), routed set_params, and the messages of an unknown parameter and
of predict before fit (crates/kiln-tuner/tests/scikeras.rs).
"""

import json
import os
import warnings

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import scikeras  # noqa: E402
from scikeras.wrappers import KerasClassifier, KerasRegressor  # noqa: E402

assert scikeras.__version__ == "0.13.0", scikeras.__version__


def build(units=8):
    raise AssertionError("never built")


def plain(params):
    return {k: v for k, v in sorted(params.items()) if k not in ("model", "build_fn")}


doc = {"versions": {"scikeras": scikeras.__version__}}
doc["classifier_defaults"] = plain(KerasClassifier(build).get_params())
doc["regressor_defaults"] = plain(KerasRegressor(build).get_params())
c = KerasClassifier(build, units=4)
c.set_params(model__units=16, fit__batch_size=64, epochs=3)
doc["routed"] = plain(c.get_params())
try:
    c.set_params(foo=1)
except ValueError as e:
    doc["unknown_param"] = str(e)
try:
    c.predict(np.zeros((2, 3)))
except Exception as e:  # sklearn's NotFittedError
    doc["not_fitted"] = {"type": type(e).__name__, "message": str(e)}
path = os.path.join("tools", "golden", "fixtures", "scikeras.json")
with open(path, "w") as f:
    json.dump(doc, f, indent=1, sort_keys=True)
    f.write("\n")
print("wrote", path)
