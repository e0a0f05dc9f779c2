//! kiln's own int8 runtime against the TFLite interpreter's outputs (committed by
//! `tools/golden/check_tflite.py` for the tiny conv model): equal within one
//! quantization step, on every CPU kernel path this machine has.
mod models;

use kiln::Tensor;
use kiln_lite::quantize::Int8Model;
use kiln_lite::tflite::{Optimize, TfLiteConverter};
use kiln_tensor::cpu::dispatch::{available_cpu_paths, cpu_path, set_cpu_path};

fn json(name: &str) -> serde_json::Value {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tflite")
        .join(name);
    let s = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&s).expect("json")
}

fn floats(v: &serde_json::Value) -> Vec<f32> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number") as f32)
        .collect()
}

#[test]
fn int8_runtime_matches_the_interpreter_within_one_step() {
    let m = models::tiny().expect("model");
    let fx = json("tiny.json");
    let check = json("tiny_check.json");
    let shape: Vec<usize> = fx["input"]["shape"]
        .as_array()
        .expect("shape")
        .iter()
        .map(|v| v.as_u64().expect("dim") as usize)
        .collect();
    let x = Tensor::from_vec(floats(&fx["input"]["data"]), &shape).expect("input");
    let g = TfLiteConverter::from_keras_model(&m)
        .optimizations([Optimize::Default])
        .representative_dataset(models::representative(&[8, 8, 3], 16).expect("dataset"))
        .convert_graph()
        .expect("convert");
    let model = Int8Model::new(g).expect("int8 model");
    let interp = floats(&check["modes"]["int8"]["interpreter_output"]);
    let step = check["modes"]["int8"]["output_step"]
        .as_f64()
        .expect("step") as f32;
    let float = floats(&fx["kiln_float"]["data"]);
    let best = cpu_path();
    let mut first: Option<Vec<f32>> = None;
    for path in available_cpu_paths() {
        set_cpu_path(path).expect("path");
        let y = model
            .predict(&x)
            .expect("predict")
            .to_vec::<f32>()
            .expect("vec");
        assert_eq!(y.len(), interp.len());
        for (i, (a, b)) in y.iter().zip(&interp).enumerate() {
            assert!(
                (a - b).abs() <= step * 1.01,
                "{path}: output {i}: kiln {a} vs interpreter {b} (step {step})"
            );
        }
        for (a, b) in y.iter().zip(&float) {
            assert!(
                (a - b).abs() <= 2.0 * step * 1.01,
                "{path}: kiln int8 {a} vs float {b}"
            );
        }
        match &first {
            None => first = Some(y),
            Some(f) => assert_eq!(f, &y, "{path} differs from the first path"),
        }
    }
    set_cpu_path(best).expect("restore");
}

#[test]
fn int8_runtime_refuses_a_float_graph() {
    let m = models::tiny().expect("model");
    let g = TfLiteConverter::from_keras_model(&m)
        .convert_graph()
        .expect("convert");
    let e = Int8Model::new(g).err().expect("float graph must fail");
    assert!(e.to_string().contains("not int8"), "{e}");
}
