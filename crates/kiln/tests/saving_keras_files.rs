//! `.keras` interop: archives written by Keras 3.15 (tools/golden/gen_saving.py) load in
//! kiln and predict what Keras predicted; kiln's archives load back with the same
//! predictions; corrupt archives are errors naming the file and the problem.

mod common;

use common::tensor_f32;
use kiln::saving::{load_model, save_model};
use kiln_tensor::Tensor;
use serde_json::Value;
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tools/golden/fixtures/saving")
}

fn fixture(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir().join(format!("{name}.json"))).unwrap())
        .unwrap()
}

fn close(what: &str, got: &Tensor, want: &Tensor) {
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    for (i, (a, b)) in got.to_f64_vec().iter().zip(want.to_f64_vec()).enumerate() {
        assert!(
            (a - b).abs() <= 1e-5 * (1.0 + b.abs()),
            "{what}[{i}]: kiln {a} vs keras {b}"
        );
    }
}

fn predictions(model: &kiln::models::Model, inputs: &[Tensor]) -> Vec<Tensor> {
    model.call_multi(inputs, false).unwrap()
}

const MODELS: [&str; 5] = ["mlp", "cnn", "multi_input_shared", "batchnorm", "lstm"];

#[test]
fn keras_archives_load_and_predict_like_keras() {
    for name in MODELS {
        let f = fixture(name);
        let model = load_model(dir().join(format!("{name}.keras")))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let inputs: Vec<Tensor> = f["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(tensor_f32)
            .collect();
        let got = predictions(&model, &inputs);
        let want: Vec<Tensor> = f["predictions"]
            .as_array()
            .unwrap()
            .iter()
            .map(tensor_f32)
            .collect();
        assert_eq!(got.len(), want.len(), "{name}: outputs");
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            close(&format!("{name} output {i}"), g, w);
        }
    }
}

#[test]
fn kiln_archives_round_trip() {
    let tmp = std::env::temp_dir().join(format!("kiln_saving_rt_{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    for name in MODELS {
        let f = fixture(name);
        let model = load_model(dir().join(format!("{name}.keras"))).unwrap();
        let path = tmp.join(format!("{name}.keras"));
        save_model(&model, &path).unwrap();
        let again = load_model(&path).unwrap();
        let inputs: Vec<Tensor> = f["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(tensor_f32)
            .collect();
        for (g, w) in predictions(&again, &inputs)
            .iter()
            .zip(predictions(&model, &inputs).iter())
        {
            assert_eq!(
                g.to_vec::<f32>().unwrap(),
                w.to_vec::<f32>().unwrap(),
                "{name}"
            );
        }
        assert_eq!(
            again.summary_string(None),
            model.summary_string(None),
            "{name}: summary"
        );
    }
    std::fs::remove_dir_all(&tmp).ok();
}

#[test]
fn corrupt_archives_are_errors_naming_the_file() {
    let tmp = std::env::temp_dir().join(format!("kiln_saving_bad_{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let good = std::fs::read(dir().join("mlp.keras")).unwrap();
    let write = |n: &str, b: &[u8]| {
        let p = tmp.join(n);
        std::fs::write(&p, b).unwrap();
        p
    };
    let err = |p: &PathBuf| {
        load_model(p)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    // Truncated zip.
    let p = write("truncated.keras", &good[..good.len() / 2]);
    let e = err(&p);
    assert!(e.contains("truncated.keras"), "{e}");
    // A zip without config.json.
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        use std::io::Write;
        let mut z = zip::ZipWriter::new(&mut buf);
        z.start_file("model.weights.h5", zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(b"nothing").unwrap();
        z.finish().unwrap();
    }
    let p = write("noconfig.keras", &buf.into_inner());
    assert!(err(&p).contains("config.json"), "{}", err(&p));
    // Every truncation point and a sample of bit flips: an Err or a model, never a panic.
    for cut in (0..good.len()).step_by(97) {
        let p = write("cut.keras", &good[..cut]);
        let _ = load_model(&p);
    }
    for i in (0..good.len()).step_by(13) {
        let mut b = good.clone();
        b[i] ^= 0x5a;
        let p = write("flip.keras", &b);
        let _ = load_model(&p);
    }
    std::fs::remove_dir_all(&tmp).ok();
}

#[test]
fn legacy_h5_files_load_and_predict_like_keras() {
    for name in MODELS {
        let f = fixture(name);
        let model = load_model(dir().join(format!("{name}_legacy.h5")))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let inputs: Vec<Tensor> = f["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(tensor_f32)
            .collect();
        let want: Vec<Tensor> = f["predictions"]
            .as_array()
            .unwrap()
            .iter()
            .map(tensor_f32)
            .collect();
        for (i, (g, w)) in predictions(&model, &inputs).iter().zip(&want).enumerate() {
            close(&format!("{name} legacy output {i}"), g, w);
        }
    }
    // A truncated legacy file is an error naming it.
    let good = std::fs::read(dir().join("mlp_legacy.h5")).unwrap();
    let p = std::env::temp_dir().join(format!("kiln_legacy_cut_{}.h5", std::process::id()));
    std::fs::write(&p, &good[..good.len() / 3]).unwrap();
    let e = load_model(&p).err().unwrap().to_string();
    assert!(e.contains("kiln_legacy_cut"), "{e}");
    std::fs::remove_file(&p).ok();
}
