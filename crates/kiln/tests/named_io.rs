//! Named inputs and outputs (issue 15): losses, loss weights and metrics keyed by output
//! name; `x` and `y` keyed by input and output name; `predict_named`; maps saved in
//! `compile_config` as Keras saves them; names that do not exist are errors naming the
//! expected and received keys.

use kiln::layers::*;
use kiln::losses::SparseCategoricalCrossentropy;
use kiln::models::EvaluateArgs;
use kiln::models::PredictArgs;
use kiln::models::{CompileArgs, FitArgs, LossArg, MetricArg, Model};
use kiln_tensor::{DType, Tensor};

fn model() -> Model {
    kiln::utils::clear_session();
    kiln::tensor::random::set_global_seed(11);
    let a = Input::new(&[Some(3)]).name("a").build();
    let b = Input::new(&[Some(2)]).name("b").build();
    let h = concatenate(&[a.clone(), b.clone()]).unwrap();
    let h = Dense::new(6)
        .activation("tanh")
        .name("hidden")
        .apply(&h)
        .unwrap();
    let cls = Dense::new(3).name("cls").apply(&h).unwrap();
    let reg = Dense::new(1).name("reg").apply(&h).unwrap();
    Model::new(&[a, b], &[cls, reg]).unwrap()
}

fn data() -> (Tensor, Tensor, Tensor, Tensor) {
    let mut g = kiln::tensor::random::Generator::from_seed(5);
    let a = g.normal(&[16, 3], 0.0, 1.0, DType::F32).unwrap();
    let b = g.normal(&[16, 2], 0.0, 1.0, DType::F32).unwrap();
    let y_cls = Tensor::from_vec((0..16).map(|i| (i % 3) as i64).collect(), &[16]).unwrap();
    let y_reg = g.normal(&[16, 1], 0.0, 1.0, DType::F32).unwrap();
    (a, b, y_cls, y_reg)
}

#[test]
fn maps_train_exactly_as_lists_and_are_saved_keyed_by_name() {
    let (a, b, y_cls, y_reg) = data();
    let mut by_list = model();
    // Both models start from the same weights (the global seed is shared with tests
    // running on other threads, so seeding alone does not guarantee it).
    let start = by_list.get_weights();
    by_list
        .compile(
            CompileArgs::new()
                .optimizer("adam")
                .losses(vec![
                    LossArg::from(SparseCategoricalCrossentropy::new().from_logits(true)),
                    LossArg::from("mse"),
                ])
                .loss_weights(&[1.0, 0.5])
                .metrics_per_output(vec![
                    vec![MetricArg::from("accuracy")],
                    vec![MetricArg::from("mae")],
                ]),
        )
        .unwrap();
    let hl = by_list
        .fit(
            vec![a.clone(), b.clone()],
            vec![y_cls.clone(), y_reg.clone()],
            FitArgs::new()
                .epochs(3)
                .batch_size(4)
                .shuffle(false)
                .verbose(0),
        )
        .unwrap();
    let mut by_name = model();
    by_name.set_weights(&start).unwrap();
    by_name
        .compile(
            CompileArgs::new()
                .optimizer("adam")
                // Given in the other order: resolved by name.
                .loss_map([
                    ("reg", LossArg::from("mse")),
                    (
                        "cls",
                        LossArg::from(SparseCategoricalCrossentropy::new().from_logits(true)),
                    ),
                ])
                .loss_weights_map([("reg", 0.5)])
                .metrics_map([
                    ("cls", vec![MetricArg::from("accuracy")]),
                    ("reg", vec![MetricArg::from("mae")]),
                ]),
        )
        .unwrap();
    let hn = by_name
        .fit(
            [("b", b.clone()), ("a", a.clone())],
            [("reg", y_reg.clone()), ("cls", y_cls.clone())],
            FitArgs::new()
                .epochs(3)
                .batch_size(4)
                .shuffle(false)
                .verbose(0),
        )
        .unwrap();
    for key in ["loss", "cls_loss", "reg_loss", "cls_accuracy", "reg_mae"] {
        let (l, n) = (&hl.history[key], &hn.history[key]);
        for (p, q) in l.iter().zip(n) {
            assert!(
                (p - q).abs() <= 1e-6 * p.abs().max(1.0),
                "{key}: {p} vs {q}"
            );
        }
    }
    let cc = by_name.get_compile_config().unwrap();
    assert_eq!(cc["loss"]["reg"], "mean_squared_error");
    assert_eq!(
        cc["loss"]["cls"]["class_name"],
        "SparseCategoricalCrossentropy"
    );
    assert_eq!(
        cc["loss_weights"],
        serde_json::json!({"cls": 1.0, "reg": 0.5})
    );
    assert_eq!(
        cc["metrics"],
        serde_json::json!({"cls": ["accuracy"], "reg": ["mae"]})
    );
    // Saved and reloaded, the maps come back as maps and predict by name works.
    let path = std::env::temp_dir().join(format!("kiln-named-io-{}.keras", std::process::id()));
    kiln::saving::save_model(&by_name, &path).unwrap();
    let mut again = kiln::saving::load_model(&path).unwrap();
    assert_eq!(again.get_compile_config().unwrap()["loss"], cc["loss"]);
    let out = again
        .predict_named(
            [("a", a.clone()), ("b", b.clone())],
            PredictArgs::new().batch_size(8).verbose(0),
        )
        .unwrap();
    let want = by_name
        .predict_multi(vec![a, b], PredictArgs::new().batch_size(8).verbose(0))
        .unwrap();
    assert_eq!(
        out["reg"].to_vec::<f32>().unwrap(),
        want[1].to_vec::<f32>().unwrap()
    );
    std::fs::remove_file(&path).unwrap();
}

/// Bad input (acceptance 4): `x` missing an input name, `y` naming an output that does
/// not exist, a loss map naming an unknown output: Errs naming expected and received.
#[test]
fn unknown_or_missing_names_are_errors_naming_both_sides() {
    let (a, b, y_cls, y_reg) = data();
    let mut m = model();
    m.compile(CompileArgs::new().optimizer("sgd").loss_map([
        ("cls", LossArg::from("sparse_categorical_crossentropy")),
        ("reg", LossArg::from("mse")),
    ]))
    .unwrap();
    let e = m
        .fit(
            [("a", a.clone())],
            [("cls", y_cls.clone()), ("reg", y_reg.clone())],
            FitArgs::new().verbose(0),
        )
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("'b'") && e.contains("[\"a\"]") && e.contains("[\"a\", \"b\"]"),
        "{e}"
    );
    let e = m
        .evaluate(
            [("a", a.clone()), ("b", b.clone())],
            [("cls", y_cls), ("regression", y_reg)],
            EvaluateArgs::new().batch_size(8).verbose(0),
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("'regression'") && e.contains("\"reg\""), "{e}");
    let e = m
        .compile(CompileArgs::new().loss_map([("cls", "mse"), ("rgr", "mse")]))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("'rgr'") && e.contains("[\"cls\", \"reg\"]"),
        "{e}"
    );
    let e = m
        .compile(CompileArgs::new().loss_map([("cls", "mse")]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("no entry for output 'reg'"), "{e}");
}
