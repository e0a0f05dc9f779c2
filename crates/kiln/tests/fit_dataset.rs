//! `fit` / `evaluate` / `predict` over kiln-data Datasets.

use kiln::layers::Dense;
use kiln::models::EvaluateArgs;
use kiln::models::PredictArgs;
use kiln::models::{CompileArgs, FitArgs, Model};
use kiln_data::dataset::Dataset;
use kiln_tensor::{DType, Tensor};

fn data() -> (Tensor, Tensor) {
    let x = Tensor::from_vec((0..64).map(|v| (v % 8) as f32 / 8.0).collect(), &[32, 2]).unwrap();
    let y = x.sum(&[1], true).unwrap();
    (x, y)
}

fn model() -> Model {
    let mut m = Model::sequential(vec![Dense::new(1)
        .kernel_initializer("zeros")
        .input_shape(&[2])
        .into()])
    .unwrap();
    m.compile(
        CompileArgs::new()
            .optimizer(kiln::optimizers::SGD::new(0.1))
            .loss("mse")
            .metrics(["mae"]),
    )
    .unwrap();
    m
}

#[test]
fn fit_on_a_dataset_equals_fit_on_tensors_without_shuffle() {
    let (x, y) = data();
    let mut a = model();
    let ha = a
        .fit(
            &x,
            &y,
            FitArgs::new()
                .epochs(3)
                .batch_size(8)
                .shuffle(false)
                .verbose(0),
        )
        .unwrap();
    let mut b = model();
    let ds = Dataset::from_tensor_slices((x.clone(), y.clone()))
        .unwrap()
        .batch(8)
        .unwrap()
        .prefetch(2);
    let hb = b
        .fit_dataset(&ds, FitArgs::new().epochs(3).verbose(0))
        .unwrap();
    for (p, q) in ha.history["loss"].iter().zip(&hb.history["loss"]) {
        assert!((p - q).abs() < 1e-6, "{p} vs {q}");
    }
    let ea = a
        .evaluate(&x, &y, EvaluateArgs::new().batch_size(8).verbose(0))
        .unwrap();
    let eb = b.evaluate_dataset(&ds, 0).unwrap();
    assert!((ea.get("loss").unwrap() - eb.get("loss").unwrap()).abs() < 1e-6);
    let pa = a
        .predict(&x, PredictArgs::new().batch_size(8).verbose(0))
        .unwrap();
    let pb = b.predict_dataset(&ds).unwrap();
    assert_eq!(pa.to_vec::<f32>().unwrap(), pb.to_vec::<f32>().unwrap());
}

#[test]
fn steps_per_epoch_draws_from_a_repeating_dataset() {
    let (x, y) = data();
    let ds = Dataset::from_tensor_slices((x, y))
        .unwrap()
        .shuffle_with(32, Some(1), true)
        .batch_with(8, true)
        .unwrap()
        .repeat(None);
    let mut m = model();
    let h = m
        .fit_dataset(&ds, FitArgs::new().epochs(2).steps_per_epoch(3).verbose(0))
        .unwrap();
    assert_eq!(h.history["loss"].len(), 2);
    // A finite dataset shorter than steps_per_epoch restarts instead of ending the epoch.
    let short = Dataset::from_tensor_slices(data())
        .unwrap()
        .batch(16)
        .unwrap();
    assert!(m
        .fit_dataset(
            &short,
            FitArgs::new().epochs(1).steps_per_epoch(5).verbose(0)
        )
        .is_ok());
}

#[test]
fn sample_weights_and_errors() {
    let (x, y) = data();
    let w = Tensor::ones(&[32], DType::F32);
    let ds = Dataset::from_tensor_slices(kiln_data::dataset::Element::Tuple(vec![
        x.clone().into(),
        y.clone().into(),
        w.into(),
    ]))
    .unwrap()
    .batch(8)
    .unwrap();
    let mut m = model();
    m.fit_dataset(&ds, FitArgs::new().verbose(0)).unwrap();
    // Elements that are not (x, y) tuples.
    let bad = Dataset::from_tensor_slices(x).unwrap().batch(8).unwrap();
    let e = m
        .fit_dataset(&bad, FitArgs::new().verbose(0))
        .unwrap_err()
        .to_string();
    assert!(e.contains("(x, y)"), "{e}");
    // Not compiled.
    let mut raw = Model::sequential(vec![Dense::new(1).input_shape(&[2]).into()]).unwrap();
    assert!(raw.fit_dataset(&ds, FitArgs::new().verbose(0)).is_err());
    // Infinite without steps_per_epoch.
    assert!(m
        .fit_dataset(&ds.repeat(None), FitArgs::new().verbose(0))
        .is_err());
    assert!(m.evaluate_dataset(&ds.repeat(None), 0).is_err());
}

/// Regression (issue 15, bug 6): `validation_split` was accepted and ignored for a
/// dataset. Keras raises for it and for `sample_weight`; `class_weight` applies.
#[test]
fn dataset_fit_rejects_validation_split_and_sample_weight_and_applies_class_weight() {
    let (x, y) = data();
    let ds = Dataset::from_tensor_slices((x.clone(), y.clone()))
        .unwrap()
        .batch(8)
        .unwrap();
    let mut m = model();
    let e = m
        .fit_dataset(&ds, FitArgs::new().verbose(0).validation_split(0.2))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("validation_split") && e.contains("validation_data"),
        "{e}"
    );
    let e = m
        .fit_dataset(
            &ds,
            FitArgs::new()
                .verbose(0)
                .sample_weight(Tensor::ones(&[32], DType::F32)),
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("sample_weight"), "{e}");
    // class_weight: labels 0/1 weighted 1/3 give the same step as explicit weights.
    let labels = Tensor::from_vec((0..32).map(|i| (i % 2) as f32).collect(), &[32, 1]).unwrap();
    let w = Tensor::from_vec(
        (0..32)
            .map(|i| if i % 2 == 0 { 1.0f32 } else { 3.0 })
            .collect(),
        &[32],
    )
    .unwrap();
    let weighted = Dataset::from_tensor_slices(kiln_data::dataset::Element::Tuple(vec![
        x.clone().into(),
        labels.clone().into(),
        w.into(),
    ]))
    .unwrap()
    .batch(8)
    .unwrap();
    let plain = Dataset::from_tensor_slices((x, labels))
        .unwrap()
        .batch(8)
        .unwrap();
    let mut a = model();
    let ha = a
        .fit_dataset(&weighted, FitArgs::new().epochs(2).verbose(0))
        .unwrap();
    let mut b = model();
    let cw = std::collections::HashMap::from([(0usize, 1.0), (1usize, 3.0)]);
    let hb = b
        .fit_dataset(&plain, FitArgs::new().epochs(2).verbose(0).class_weight(cw))
        .unwrap();
    for (p, q) in ha.history["loss"].iter().zip(&hb.history["loss"]) {
        assert!((p - q).abs() < 1e-6, "{p} vs {q}");
    }
}
