//! Bench (not in CI): kiln's runner predicting an imported ResNet50 (random weights,
//! 224x224, batch 1 and 32), with a per-op profile of one batch-1 run on stderr.
//!
//! kiln's own export (NHWC input), written for the onnxruntime side:
//! `cargo run --release -p kiln-onnx --example bench_resnet50 -- /tmp/resnet50.onnx`
//! then `~/peers/bin/python tools/golden/onnx_bench_resnet50.py /tmp/resnet50.onnx`.
//!
//! An existing file (torch.onnx's NCHW ResNet50 from
//! `~/peers/bin/python tools/golden/onnx_bench_resnet50.py --torch /tmp/torch_r50.onnx`):
//! `cargo run --release -p kiln-onnx --example bench_resnet50 -- /tmp/torch_r50.onnx --load`.
//! `--nodes` also prints the 25 slowest nodes of a batch-1 run.
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .cloned()
        .unwrap_or_else(|| "/tmp/kiln_resnet50.onnx".into());
    let load_only = args.iter().any(|a| a == "--load");
    if !load_only {
        kiln::utils::set_random_seed(5);
        let model = kiln::applications::resnet50(kiln::applications::AppArgs::new())?;
        kiln_onnx::export(&model, &path, kiln_onnx::DEFAULT_OPSET)?;
    }
    let t = Instant::now();
    let graph = kiln_onnx::load(&path)?;
    eprintln!(
        "load {:.3}s, {} nodes after load-time folding",
        t.elapsed().as_secs_f64(),
        graph.num_nodes()
    );
    for batch in [1usize, 32] {
        let shape = if load_only {
            [batch, 3, 224, 224]
        } else {
            [batch, 224, 224, 3]
        };
        let x = kiln_tensor::random::uniform(&shape, 0.0, 1.0, kiln::DType::F32)?;
        let (_, prof) = graph.run_profiled(std::slice::from_ref(&x))?; // warm-up
        if batch == 1 && args.iter().any(|a| a == "--nodes") {
            let (_, nodes) = graph.run_profiled_by_node(std::slice::from_ref(&x))?;
            for (node, s) in nodes.iter().take(25) {
                eprintln!("  {node:<60} {s:8.4}s");
            }
        }
        if batch == 1 {
            let total: f64 = prof.iter().map(|p| p.1).sum();
            for (op, s) in &prof {
                eprintln!("  {op:<20} {s:8.4}s {:5.1}%", 100.0 * s / total);
            }
        }
        let reps = if batch == 1 { 5 } else { 2 };
        let mut times = Vec::new();
        for _ in 0..reps {
            let t = Instant::now();
            graph.run(std::slice::from_ref(&x))?;
            times.push(t.elapsed().as_secs_f64());
        }
        times.sort_by(|a, b| a.total_cmp(b));
        println!(
            "{{\"bench\": \"kiln_onnx_resnet50\", \"file\": \"{path}\", \"batch\": {batch}, \"median_s\": {:.4}}}",
            times[times.len() / 2]
        );
    }
    Ok(())
}
