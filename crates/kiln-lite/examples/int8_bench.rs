//! kiln's int8 runtime on the fixture models: writes its outputs next to the
//! interpreter's (for `tools/golden/check_tflite.py --kiln-int8`) and, with `--bench`,
//! times single-image int8 MobileNetV2(0.35) 96x96 inference, printing one JSON line.
//!
//! `cargo run --release -p kiln-lite --example int8_bench [-- --apps] [-- --bench]`
#[path = "../tests/models.rs"]
mod models;

use kiln_lite::quantize::Int8Model;
use kiln_lite::tflite::{Optimize, TfLiteConverter};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tflite");
    let args: Vec<String> = std::env::args().collect();
    let mut list = vec![
        ("tiny", models::tiny()?, vec![8usize, 8, 3]),
        ("mlp", models::mlp()?, vec![28, 28]),
        ("cnn", models::cnn()?, vec![28, 28, 1]),
    ];
    if args.iter().any(|a| a == "--apps" || a == "--bench") {
        list.push(("mobilenet_v2", models::mobilenet_v2()?, vec![96, 96, 3]));
    }
    for (name, model, shape) in list {
        let g = TfLiteConverter::from_keras_model(&model)
            .optimizations([Optimize::Default])
            .representative_dataset(models::representative(&shape, 16)?)
            .convert_graph()?;
        let m = Int8Model::new(g)?;
        let mut full = vec![2];
        full.extend_from_slice(&shape);
        let x = models::ramp(&full, 7)?;
        let y = m.predict(&x)?;
        let j = serde_json::json!({"shape": y.shape(), "data": y.to_vec::<f32>()?});
        std::fs::write(dir.join(format!("{name}_kiln_int8.json")), j.to_string())?;
        println!("wrote {name}_kiln_int8.json");
        if name == "mobilenet_v2" && args.iter().any(|a| a == "--bench") {
            full[0] = 1;
            let one = models::ramp(&full, 7)?;
            for _ in 0..3 {
                m.predict(&one)?;
            }
            let mut times = Vec::new();
            for _ in 0..20 {
                let t = std::time::Instant::now();
                m.predict(&one)?;
                times.push(t.elapsed().as_secs_f64());
            }
            times.sort_by(|a, b| a.total_cmp(b));
            println!(
                "{}",
                serde_json::json!({"bench": "int8_mobilenet_v2_035_96", "impl": "kiln",
                    "path": kiln_tensor::cpu::dispatch::cpu_path().name(), "seconds": times[times.len() / 2]})
            );
        }
    }
    Ok(())
}
