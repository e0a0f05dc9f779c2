//! Bench (not in CI): kiln's runner predicting an imported ResNet50 (random weights,
//! 224x224, batch 1 and 32). Writes the exported file for the onnxruntime side:
//!
//! `cargo run --release -p kiln-onnx --example bench_resnet50 -- /tmp/resnet50.onnx`
//! then `~/peers/bin/python tools/golden/onnx_bench_resnet50.py /tmp/resnet50.onnx`.
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "/tmp/kiln_resnet50.onnx".into());
    kiln::utils::set_random_seed(5);
    let model = kiln::applications::resnet50(kiln::applications::AppArgs::new())?;
    kiln_onnx::export(&model, &path, kiln_onnx::DEFAULT_OPSET)?;
    let graph = kiln_onnx::load(&path)?;
    for batch in [1usize, 32] {
        let x = kiln_tensor::random::uniform(&[batch, 224, 224, 3], 0.0, 1.0, kiln::DType::F32)?;
        graph.run(std::slice::from_ref(&x))?; // warm-up
        let reps = if batch == 1 { 5 } else { 2 };
        let mut times = Vec::new();
        for _ in 0..reps {
            let t = Instant::now();
            graph.run(std::slice::from_ref(&x))?;
            times.push(t.elapsed().as_secs_f64());
        }
        times.sort_by(|a, b| a.total_cmp(b));
        println!(
            "{{\"bench\": \"kiln_onnx_resnet50\", \"batch\": {batch}, \"median_s\": {:.4}}}",
            times[times.len() / 2]
        );
    }
    Ok(())
}
