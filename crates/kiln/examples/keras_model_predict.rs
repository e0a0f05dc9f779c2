//! A model trained and saved by Keras 3.15 predicting in kiln: loads the Keras-written
//! `.keras` archive of the seed CNN (tools/golden/fixtures/saving/cnn.keras), prints its
//! summary, and checks kiln's predictions on the input Keras used against Keras's own
//! predictions (stored next to it by tools/golden/gen_saving.py).
//!
//! `cargo run -p kiln --example keras_model_predict [-- MODEL.keras]` (another archive
//! prints its summary and the prediction on an all-zeros input).

use std::path::PathBuf;

use kiln_tensor::{DType, Tensor};

fn tensor(v: &serde_json::Value) -> kiln::Result<Tensor> {
    let dims = |k: &str| -> Vec<usize> {
        v[k].as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|d| d.as_u64())
                    .map(|d| d as usize)
                    .collect()
            })
            .unwrap_or_default()
    };
    let data: Vec<f32> = v["data"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_f64())
                .map(|x| x as f32)
                .collect()
        })
        .unwrap_or_default();
    Ok(Tensor::from_vec(data, &dims("shape"))?)
}

fn main() -> kiln::Result<()> {
    let fixtures =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tools/golden/fixtures/saving");
    let path = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| fixtures.join("cnn.keras"));
    let model = kiln::saving::load_model(&path)?;
    println!("loaded {}", path.display());
    model.summary();
    let golden = path.with_extension("json");
    if path.starts_with(&fixtures) && golden.exists() {
        let text = std::fs::read_to_string(&golden).map_err(|e| kiln::Error::InvalidArgument {
            api: "example",
            msg: format!("{}: {e}", golden.display()),
        })?;
        let f: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| kiln::Error::InvalidArgument {
                api: "example",
                msg: format!("{}: {e}", golden.display()),
            })?;
        let x = tensor(&f["inputs"][0])?;
        let want = tensor(&f["predictions"][0])?.to_vec::<f32>()?;
        let got = model.call(&x)?.to_vec::<f32>()?;
        let worst = got
            .iter()
            .zip(&want)
            .map(|(a, b)| ((a - b).abs() / (1.0 + b.abs())) as f64)
            .fold(0.0, f64::max);
        let argmax = |v: &[f32]| {
            v.iter()
                .enumerate()
                .fold((0, f32::MIN), |m, (i, &x)| if x > m.1 { (i, x) } else { m })
                .0
        };
        let classes = want.len() / x.shape()[0];
        for (i, (g, w)) in got.chunks(classes).zip(want.chunks(classes)).enumerate() {
            println!(
                "sample {i}: kiln class {}, keras class {}",
                argmax(g),
                argmax(w)
            );
        }
        println!("largest relative difference from Keras: {worst:.2e}");
        assert!(worst <= 1e-5, "kiln differs from Keras by {worst}");
        println!("kiln predicts what Keras predicted");
    } else {
        let shape: Vec<usize> = model.inputs()[0]
            .shape()
            .iter()
            .map(|d| d.unwrap_or(1))
            .collect();
        let y = model.call(&Tensor::zeros(&shape, DType::F32))?;
        println!("prediction on zeros {:?}: {:?}", shape, y.to_vec::<f32>()?);
    }
    Ok(())
}
