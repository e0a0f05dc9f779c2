//! Normalization.adapt and Rescaling against Keras 3.15
//! (tools/golden/gen_preprocessing.py).

use kiln::layers::{LayerRef, Normalization, Rescaling};
use kiln_tensor::Tensor;
use serde_json::Value;

fn f32s(v: &Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

fn close(what: &str, got: &[f64], want: &[f32], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (a, b)) in got.iter().zip(want).enumerate() {
        let b = *b as f64;
        assert!(
            (a - b).abs() <= tol * (1.0 + b.abs()),
            "{what}[{i}]: kiln {a} vs keras {b}"
        );
    }
}

#[test]
fn normalization_adapt_and_rescaling_match_keras() {
    let path = format!(
        "{}/../../tools/golden/fixtures/preprocessing.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let root: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let data = Tensor::from_vec(f32s(&root["data"]), &[20, 3, 4]).unwrap();
    let x = Tensor::from_vec(f32s(&root["x"]), &[2, 3, 4]).unwrap();
    for c in root["cases"].as_array().unwrap() {
        let kw = &c["kwargs"];
        let mut n = Normalization::new();
        match kw.get("axis") {
            Some(Value::Array(a)) => {
                n = n.axes(
                    &a.iter()
                        .map(|v| v.as_i64().unwrap() as isize)
                        .collect::<Vec<_>>(),
                )
            }
            Some(v) => n = n.axis(v.as_i64().unwrap() as isize),
            None => {}
        }
        if kw.get("invert").and_then(Value::as_bool) == Some(true) {
            n = n.invert(true);
        }
        n.adapt(&data).unwrap();
        let l = LayerRef::new(n);
        let w = l.weights();
        let want = c["weights"].as_array().unwrap();
        assert_eq!(w.len(), want.len(), "{kw}: weights");
        for (v, e) in w.iter().zip(want) {
            assert!(
                v.name().ends_with(e["name"].as_str().unwrap()),
                "{kw}: {} vs {}",
                v.name(),
                e["name"]
            );
            assert!(!v.trainable());
            close(
                &format!("{kw} {}", v.name()),
                &v.value().to_f64_vec(),
                &f32s(&e["data"]),
                1e-5,
            );
        }
        let y = l.call(&x).unwrap();
        close(&format!("{kw} y"), &y.to_f64_vec(), &f32s(&c["y"]), 1e-5);
    }
    let fixed = LayerRef::new(
        Normalization::new().mean_variance(&[1.0, 2.0, 3.0, 4.0], &[1.0, 4.0, 0.0, 16.0]),
    );
    close(
        "fixed",
        &fixed.call(&x).unwrap().to_f64_vec(),
        &f32s(&root["fixed_y"]),
        1e-5,
    );
    assert!(fixed.weights().is_empty());
    let r = LayerRef::new(Rescaling::new(1.0 / 127.5).offset(-1.0));
    close(
        "rescaling",
        &r.call(&x).unwrap().to_f64_vec(),
        &f32s(&root["rescaling_y"]),
        1e-6,
    );
    // Bad input.
    let mut bad = Normalization::new().axis(5);
    assert!(bad.adapt(&data).is_err());
    let wrong = LayerRef::new(Normalization::new().mean_variance(&[1.0, 2.0], &[1.0, 1.0]));
    assert!(wrong.call(&x).is_err());
}
