"""onnxruntime CPU side of the kiln-onnx ResNet50 bench (see
crates/kiln-onnx/examples/bench_resnet50.rs): same file, batch 1 and 32, median seconds.
`--torch PATH` first writes torch.onnx's ResNet50 (224x224, NCHW, random weights; the
architecture of tools/golden/onnx_torch_import.py) to PATH."""
import json, sys, time
import numpy as np, onnxruntime as ort

args = [a for a in sys.argv[1:] if not a.startswith("--")]
path = args[0]
if "--torch" in sys.argv:
    import torch
    from onnx_torch_models import resnet50
    torch.manual_seed(3)
    m = resnet50().eval()
    torch.onnx.export(m, (torch.rand(1, 3, 224, 224),), path, opset_version=17, dynamo=False,
                      input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "batch"}})
sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
inp = sess.get_inputs()[0]
nchw = inp.shape[1] == 3
for batch, reps in [(1, 5), (32, 2)]:
    x = np.random.rand(*((batch, 3, 224, 224) if nchw else (batch, 224, 224, 3))).astype(np.float32)
    sess.run(None, {inp.name: x})
    ts = []
    for _ in range(reps):
        t = time.perf_counter(); sess.run(None, {inp.name: x}); ts.append(time.perf_counter() - t)
    print(json.dumps({"bench": "onnxruntime_resnet50", "file": path, "batch": batch, "median_s": round(sorted(ts)[len(ts) // 2], 4),
                      "threads": sess.get_session_options().intra_op_num_threads, "ort": ort.__version__}))
