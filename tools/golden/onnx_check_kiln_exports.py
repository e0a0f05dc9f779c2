"""Checks kiln's exported ONNX files with the real tools.

For every crates/kiln-onnx/tests/fixtures/export/NAME.onnx (written by
`cargo run -p kiln-onnx --example write_export_fixtures -- --apps`; the MLP, CNN,
multi-input, embedding, LSTM, GRU, SimpleRNN and transformer-block files are committed,
ResNet50's and MobileNetV2's are git-ignored, their .json/.ort.json committed): onnx.checker.check_model
(full_check=True), then onnxruntime (CPU) on the saved inputs; prints the max |diff|
against kiln's outputs and writes NAME.ort.json (onnxruntime's outputs) for the CI test.
"""
import json, pathlib, sys
import numpy as np
import onnx, onnxruntime as ort

D = pathlib.Path(__file__).resolve().parents[2] / "crates/kiln-onnx/tests/fixtures/export"
DT = {"F32": np.float32, "I32": np.int32, "I64": np.int64, "F64": np.float64}
worst = 0.0
for f in sorted(D.glob("*.onnx")):
    m = onnx.load(str(f))
    onnx.checker.check_model(m, full_check=True)
    j = json.loads(f.with_suffix(".json").read_text())
    sess = ort.InferenceSession(str(f), providers=["CPUExecutionProvider"])
    feeds = {i.name: np.array(x["data"], dtype=DT[x["dtype"]]).reshape(x["shape"])
             for i, x in zip(sess.get_inputs(), j["inputs"])}
    outs = sess.run(None, feeds)
    diffs = [float(np.max(np.abs(o - np.array(k["data"]).reshape(k["shape"]))))
             for o, k in zip(outs, j["kiln_outputs"])]
    worst = max(worst, *diffs)
    print(f"{f.stem}: checker full_check ok, opset {m.opset_import[0].version}, ir {m.ir_version}, "
          f"onnxruntime {ort.__version__} max|diff| vs kiln {max(diffs):.3g}")
    f.with_suffix(".ort.json").write_text(json.dumps(
        {"outputs": [{"shape": list(o.shape), "data": o.astype(np.float64).ravel().tolist()} for o in outs]}))
print(f"worst {worst:.3g}")
sys.exit(0 if worst <= 1e-5 else 1)
