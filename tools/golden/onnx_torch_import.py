"""torch.onnx goldens for kiln's ONNX import: random-weight PyTorch models exported with
torch.onnx (opset 17, TorchScript exporter), inputs and onnxruntime's outputs saved as JSON
next to them in crates/kiln-onnx/tests/fixtures/torch/. torchvision is not installed, so
ResNet50 and MobileNetV2 are built here (torchvision's layer structure, random weights,
random BatchNorm statistics); their .onnx files are large and git-ignored (rerun this
script to get them), their .json inputs/outputs are committed. `torch_bn_block` is exported
with do_constant_folding=False so its BatchNormalization nodes stay in the file."""
import json, pathlib
import numpy as np, torch, onnxruntime as ort
from onnx_torch_models import Block, Bottleneck, Rnn, mobilenet_v2, resnet50

D = pathlib.Path(__file__).resolve().parents[2] / "crates/kiln-onnx/tests/fixtures/torch"
D.mkdir(parents=True, exist_ok=True)
torch.manual_seed(0)
models = {
    "torch_mlp": (torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4), torch.nn.Softmax(-1)), (3, 8)),
    "torch_cnn": (torch.nn.Sequential(
        torch.nn.Conv2d(2, 4, 3, padding=1), torch.nn.BatchNorm2d(4), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(4, 6, 3, stride=2), torch.nn.Tanh(), torch.nn.AvgPool2d(2, padding=1),
        torch.nn.Flatten(), torch.nn.Linear(6 * 2 * 2, 3)), (2, 2, 10, 10)),
}


torch.manual_seed(1)
models["torch_bn_block"] = (torch.nn.Sequential(Bottleneck(8, 4, 2, True), Bottleneck(16, 4, 1, False),
                                                torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten()), (2, 8, 12, 12))
models["torch_lstm"] = (Rnn(torch.nn.LSTM), (3, 5, 6))
models["torch_gru"] = (Rnn(torch.nn.GRU), (3, 5, 6))
models["torch_transformer_block"] = (Block(), (2, 5, 16))
models["torch_mobilenet_v2"] = (mobilenet_v2(), (1, 3, 64, 64))
models["torch_resnet50"] = (resnet50(), (1, 3, 64, 64))
for name, (m, shape) in models.items():
    m.eval()
    for p in m.modules():
        if isinstance(p, torch.nn.BatchNorm2d):
            p.running_mean.uniform_(-0.5, 0.5); p.running_var.uniform_(0.5, 1.5)
            p.weight.data.uniform_(0.5, 1.5); p.bias.data.uniform_(-0.2, 0.2)
    x = torch.rand(*shape) * 2 - 1
    f = D / f"{name}.onnx"
    torch.onnx.export(m, (x,), str(f), opset_version=17, dynamo=False,
                      do_constant_folding=name != "torch_bn_block",
                      input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "batch"}})
    y = ort.InferenceSession(str(f), providers=["CPUExecutionProvider"]).run(None, {"x": x.numpy()})[0]
    (D / f"{name}.json").write_text(json.dumps({
        "inputs": [{"shape": list(x.shape), "dtype": "F32", "data": x.numpy().astype(np.float64).ravel().tolist()}],
        "ort_outputs": [{"shape": list(y.shape), "data": y.astype(np.float64).ravel().tolist()}]}))
    print(name, "ok", f.stat().st_size, "bytes")
