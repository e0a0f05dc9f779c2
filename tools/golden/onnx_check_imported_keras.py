"""Keras 3 loads the .keras file kiln saved for an ONNX model it imported and fine-tuned
(crates/kiln-onnx/examples/onnx_to_keras.rs) and predicts what kiln predicted.

    cargo run -p kiln-onnx --example onnx_to_keras -- /tmp/kiln_onnx_keras
    ~/peers/bin/python tools/golden/onnx_check_imported_keras.py /tmp/kiln_onnx_keras
"""
import json, os, pathlib, sys
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np, keras

d = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/kiln_onnx_keras")
j = json.loads((d / "torch_mlp.pred.json").read_text())
x = np.array(j["x"]["data"], np.float32).reshape(j["x"]["shape"])
want = np.array(j["kiln_predictions"]["data"], np.float32).reshape(j["kiln_predictions"]["shape"])
m = keras.saving.load_model(d / "torch_mlp.keras")
got = np.asarray(m.predict(x, verbose=0))
diff = float(np.abs(got - want).max())
print(f"keras {keras.__version__}: torch_mlp.keras loads, {len(m.layers)} layers, max |keras - kiln| = {diff:.2e}")
sys.exit(0 if diff <= 1e-5 else 1)
