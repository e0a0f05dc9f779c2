//! Global 1-D pooling with Keras masks against Keras 3.15
//! (tools/golden/gen_masked_pooling.py): GlobalAveragePooling1D averages the unmasked
//! steps only, GlobalMaxPooling1D ignores the mask; outputs, output masks (none) and the
//! gradient w.r.t. the input, and Embedding(mask_zero) -> GlobalAveragePooling1D with
//! the gradient w.r.t. the embedding table. Tolerance 1e-5 relative (f32).

mod common;

use common::{fixture, tensor};
use kiln::layers::{Embedding, GlobalAveragePooling1D, LayerRef};
use kiln_tensor::{DType, GradientTape, Tensor};

const TOL: f64 = 1e-5;

fn close(what: &str, got: &Tensor, want: &Tensor) {
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    for (i, (a, b)) in got.to_f64_vec().iter().zip(want.to_f64_vec()).enumerate() {
        assert!(
            (a - b).abs() <= TOL * (1.0 + b.abs()),
            "{what}[{i}]: kiln {a} vs keras {b}"
        );
    }
}

#[test]
fn masked_global_pooling_1d_matches_keras() {
    let fx = fixture("masked_pooling.json");
    let cases = fx["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 5);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let class = case["class"].as_str().unwrap();
        let layer = kiln::layers::from_config(class, &case["config"]).unwrap();
        let x = tensor(&case["x"]);
        let mask = (!case["mask"].is_null()).then(|| tensor(&case["mask"]));
        let tape = GradientTape::new();
        tape.watch(&x);
        let (outs, masks) = layer
            .call_with_masks(std::slice::from_ref(&x), &[mask], None)
            .unwrap();
        close(&format!("{name} output"), &outs[0], &tensor(&case["y"]));
        assert!(case["output_mask"].is_null());
        assert!(masks.iter().all(Option::is_none), "{name}: output mask");
        let obj = outs[0]
            .mul(&tensor(&case["cotangent"]))
            .unwrap()
            .sum_all()
            .unwrap();
        let g = tape.gradient(&obj, &[&x]).unwrap()[0].clone().unwrap();
        close(&format!("{name} grad x"), &g, &tensor(&case["grad_x"]));
    }
}

#[test]
fn embedding_mask_zero_into_global_average_pooling_matches_keras() {
    let c = &fixture("masked_pooling.json")["chained"];
    let emb = LayerRef::new(Embedding::new(9, 3).mask_zero(true));
    let pool = LayerRef::new(GlobalAveragePooling1D::new());
    let ids = tensor(&c["ids"]);
    emb.build(&[vec![None, Some(5)]]).unwrap();
    emb.set_weights(&[tensor(&c["weights"])]).unwrap();
    let tape = GradientTape::new();
    let (e, m) = emb.call_with_masks(&[ids], &[], None).unwrap();
    let (y, _) = pool.call_with_masks(&e, &m, None).unwrap();
    close("embedding -> gap1d output", &y[0], &tensor(&c["y"]));
    let obj = y[0]
        .mul(&tensor(&c["cotangent"]))
        .unwrap()
        .sum_all()
        .unwrap();
    let w = emb.trainable_weights();
    let g = tape.gradient(&obj, &[&w[0]]).unwrap()[0].clone().unwrap();
    close(
        "embedding -> gap1d grad table",
        &g,
        &tensor(&c["grad_weight"]),
    );
}

#[test]
fn fully_masked_row_divides_zero_by_zero_and_bad_masks_are_errors() {
    // Keras computes sum / count, so a row with no kept step is NaN.
    let pool = LayerRef::new(GlobalAveragePooling1D::new());
    let x = Tensor::ones(&[2, 3, 2], DType::F32);
    let m = Tensor::from_vec(vec![true, false, true, false, false, false], &[2, 3]).unwrap();
    let (y, _) = pool
        .call_with_masks(std::slice::from_ref(&x), &[Some(m)], None)
        .unwrap();
    let v = y[0].to_vec::<f32>().unwrap();
    assert_eq!(&v[..2], &[1.0, 1.0]);
    assert!(v[2].is_nan() && v[3].is_nan());
    let bad = Tensor::from_vec(vec![true; 4], &[2, 2]).unwrap();
    let e = pool
        .call_with_masks(&[x], &[Some(bad)], None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("(2, 2)") && e.contains("(2, 3)"), "{e}");
}
