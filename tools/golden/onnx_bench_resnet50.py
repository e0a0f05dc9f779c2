"""onnxruntime CPU side of the kiln-onnx ResNet50 bench (see
crates/kiln-onnx/examples/bench_resnet50.rs): same file, batch 1 and 32, median seconds."""
import json, sys, time
import numpy as np, onnxruntime as ort

sess = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
name = sess.get_inputs()[0].name
for batch, reps in [(1, 5), (32, 2)]:
    x = np.random.rand(batch, 224, 224, 3).astype(np.float32)
    sess.run(None, {name: x})
    ts = []
    for _ in range(reps):
        t = time.perf_counter(); sess.run(None, {name: x}); ts.append(time.perf_counter() - t)
    print(json.dumps({"bench": "onnxruntime_resnet50", "batch": batch, "median_s": round(sorted(ts)[len(ts) // 2], 4),
                      "threads": sess.get_session_options().intra_op_num_threads, "ort": ort.__version__}))
