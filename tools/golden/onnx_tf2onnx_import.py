"""tf2onnx goldens for kiln's ONNX import: small random-weight Keras 3 models (LSTM, GRU,
CNN) converted by tf2onnx 1.17 at opset 17. `tf2onnx.convert.from_keras` fails on Keras 3
(KeyError on a keras_tensor name), so the models go through `model.export` (a TF
SavedModel) and `python -m tf2onnx.convert --saved-model`. Inputs and onnxruntime's outputs
are saved as JSON in crates/kiln-onnx/tests/fixtures/tf2onnx/."""
import json, pathlib, subprocess, sys, tempfile
import numpy as np, keras, onnxruntime as ort

D = pathlib.Path(__file__).resolve().parents[2] / "crates/kiln-onnx/tests/fixtures/tf2onnx"
D.mkdir(parents=True, exist_ok=True)
keras.utils.set_random_seed(0)
models = {
    "tf2onnx_lstm": (keras.Sequential([keras.Input((6, 3)), keras.layers.LSTM(5, return_sequences=True),
                                       keras.layers.LSTM(4), keras.layers.Dense(2)]), (2, 6, 3)),
    "tf2onnx_gru": (keras.Sequential([keras.Input((6, 3)), keras.layers.GRU(4), keras.layers.Dense(2)]), (2, 6, 3)),
    "tf2onnx_cnn": (keras.Sequential([keras.Input((10, 10, 2)), keras.layers.Conv2D(4, 3, activation="relu"),
                                      keras.layers.MaxPooling2D(), keras.layers.Flatten(),
                                      keras.layers.Dense(3, activation="softmax")]), (2, 10, 10, 2)),
}
for name, (m, shape) in models.items():
    x = np.random.rand(*shape).astype(np.float32) * 2 - 1
    f = D / f"{name}.onnx"
    with tempfile.TemporaryDirectory() as sm:
        m.export(sm, verbose=False)
        subprocess.run([sys.executable, "-m", "tf2onnx.convert", "--saved-model", sm, "--opset", "17",
                        "--output", str(f)], check=True, capture_output=True)
    s = ort.InferenceSession(str(f), providers=["CPUExecutionProvider"])
    y = s.run(None, {s.get_inputs()[0].name: x})[0]
    assert np.abs(y - m(x).numpy()).max() < 1e-5
    (D / f"{name}.json").write_text(json.dumps({
        "inputs": [{"shape": list(x.shape), "dtype": "F32", "data": x.astype(np.float64).ravel().tolist()}],
        "ort_outputs": [{"shape": list(y.shape), "data": y.astype(np.float64).ravel().tolist()}]}))
    print(name, "ok", f.stat().st_size, "bytes")
