//! `compile_config` round trips (issue 15, bugs 3-5): Keras 3 files with loss maps and
//! lists, loss weights, per-output metrics and registered custom losses and metrics load
//! compiled and train on as Keras does after loading (tools/golden/gen_saving_compile.py);
//! kiln's own saves keep every loss, the loss weights and per-output metrics, so training
//! continues with the same losses (1e-6); what cannot be restored is an Err naming it.

mod common;

use std::path::PathBuf;

use kiln::layers::*;
use kiln::losses::{LossFn, SparseCategoricalCrossentropy};
use kiln::metrics::MeanMetricWrapper;
use kiln::models::{CompileArgs, LossArg, MetricArg, Model};
use kiln::optimizers::{Adam, SGD};
use kiln::saving::{CompileRestore, LoadOptions};
use kiln_tensor::{DType, Tensor};
use serde_json::Value;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tools/golden/fixtures/saving/compile")
}

fn fixture(name: &str) -> Value {
    let text = std::fs::read_to_string(dir().join(format!("{name}.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kiln-compile-config-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

fn register_demo_objects() {
    kiln::saving::register_loss_fn("demo", "scaled_abs", |y, p| {
        Ok(p.sub(y)?.abs()?.mean(&[-1], false)?.mul_scalar(2.0)?)
    });
    kiln::saving::register_metric_fn("demo", "max_abs_err", |y, p| {
        Ok(p.sub(y)?.abs()?.max(&[-1], false)?)
    });
}

/// Loads a Keras-written file and replays the fixture's two training steps.
fn replay_keras_file(name: &str) {
    let f = fixture(name);
    let model_path = dir().join(format!("{name}.keras"));
    let mut m = kiln::saving::load_model(&model_path).unwrap();
    assert!(m.is_compiled(), "{name}: loaded uncompiled");
    for (b, want) in f["batches"]
        .as_array()
        .unwrap()
        .iter()
        .zip(f["logs"].as_array().unwrap())
    {
        let x = common::tensor(&b["x"]);
        let ys: Vec<Tensor> = b["y"]
            .as_array()
            .unwrap()
            .iter()
            .map(common::tensor)
            .collect();
        let logs = m.train_on_batch(&x, ys, None).unwrap();
        for (k, v) in want.as_object().unwrap() {
            let w = v.as_f64().unwrap();
            let got = logs
                .get(k)
                .unwrap_or_else(|| panic!("{name}: no '{k}' in kiln's logs {:?}", logs.sorted()));
            assert!(
                (got - w).abs() <= 2e-5 * w.abs().max(1.0),
                "{name}: {k} = {got}, Keras {w}"
            );
        }
    }
}

#[test]
fn keras_loss_and_metric_maps_with_loss_weights_restore_and_train_as_keras() {
    replay_keras_file("two_output_maps");
}

#[test]
fn keras_loss_lists_with_weights_and_per_output_metrics_restore_and_train_as_keras() {
    replay_keras_file("two_output_lists");
}

#[test]
fn keras_registered_custom_loss_and_metric_functions_restore_and_train_as_keras() {
    register_demo_objects();
    replay_keras_file("custom_loss_metric");
}

fn two_output_model() -> Model {
    kiln::utils::clear_session();
    kiln::tensor::random::set_global_seed(3);
    let x = Input::new(&[Some(4)]).name("x").build();
    let h = Dense::new(5)
        .activation("tanh")
        .name("hidden")
        .apply(&x)
        .unwrap();
    let cls = Dense::new(3).name("cls").apply(&h).unwrap();
    let reg = Dense::new(1).name("reg").apply(&h).unwrap();
    Model::new(&[x], &[cls, reg]).unwrap()
}

fn batch(seed: u64) -> (Tensor, Vec<Tensor>) {
    let mut g = kiln::tensor::random::Generator::from_seed(seed);
    let x = g.normal(&[8, 4], 0.0, 1.0, DType::F32).unwrap();
    let y_cls =
        Tensor::from_vec((0..8).map(|i| (i * 7 + seed as i64) % 3).collect(), &[8]).unwrap();
    let y_reg = g.normal(&[8, 1], 0.0, 1.0, DType::F32).unwrap();
    (x, vec![y_cls, y_reg])
}

/// Trains `a` one step, saves, reloads into `b`, then trains both on the same batches:
/// every logged value must agree (the reloaded model trains with the same losses).
fn continues_identically(mut a: Model, file: &str) -> Model {
    let (x, y) = batch(1);
    a.train_on_batch(&x, y, None).unwrap();
    let path = tmp(file);
    kiln::saving::save_model(&a, &path).unwrap();
    let mut b = kiln::saving::load_model(&path).unwrap();
    assert!(b.is_compiled());
    for seed in 2..4 {
        let (x, y) = batch(seed);
        let la = a.train_on_batch(&x, y.clone(), None).unwrap();
        let lb = b.train_on_batch(&x, y, None).unwrap();
        assert_eq!(
            la.sorted().iter().map(|(k, _)| *k).collect::<Vec<_>>(),
            lb.sorted().iter().map(|(k, _)| *k).collect::<Vec<_>>()
        );
        for ((k, va), (_, vb)) in la.sorted().into_iter().zip(lb.sorted()) {
            assert!(
                (va - vb).abs() <= 1e-6 * va.abs().max(1.0),
                "{file}: {k}: before saving {va}, after loading {vb}"
            );
        }
    }
    b
}

/// Regression (bugs 3 and 4): a list of losses came back as the last loss for every
/// output, and loss_weights were saved as null.
#[test]
fn a_list_of_losses_and_loss_weights_survive_save_and_load() {
    let mut a = two_output_model();
    a.compile(
        CompileArgs::new()
            .optimizer(Adam::new(0.01))
            .losses(vec![
                LossArg::from(SparseCategoricalCrossentropy::new().from_logits(true)),
                LossArg::from("mse"),
            ])
            .loss_weights(&[1.0, 0.25]),
    )
    .unwrap();
    let cc = a.get_compile_config().unwrap();
    assert_eq!(cc["loss_weights"], serde_json::json!([1.0, 0.25]));
    assert_eq!(cc["loss"][0]["class_name"], "SparseCategoricalCrossentropy");
    assert_eq!(cc["loss"][0]["config"]["from_logits"], true);
    assert_eq!(cc["loss"][1], "mean_squared_error");
    let b = continues_identically(a, "losses_list.keras");
    assert_eq!(b.get_compile_config().unwrap()["loss"], cc["loss"]);
}

/// Regression (bug 5): per-output metrics and custom losses and metrics left the loaded
/// model silently uncompiled.
#[test]
fn per_output_metrics_and_registered_custom_objects_reload_compiled() {
    register_demo_objects();
    let mut a = two_output_model();
    a.compile(
        CompileArgs::new()
            .optimizer(SGD::new(0.05).momentum(0.9))
            .losses(vec![
                LossArg::from("sparse_categorical_crossentropy"),
                LossArg::from(kiln::losses::get("demo>scaled_abs").unwrap()),
            ])
            .metrics_per_output(vec![
                vec![MetricArg::from("accuracy")],
                vec![
                    MetricArg::from("mae"),
                    MetricArg::from(kiln::metrics::get("demo>max_abs_err").unwrap()),
                ],
            ]),
    )
    .unwrap();
    let cc = a.get_compile_config().unwrap();
    assert_eq!(
        cc["loss"][1],
        serde_json::json!({"module": "builtins", "class_name": "function",
            "config": "demo>scaled_abs", "registered_name": "function"})
    );
    assert_eq!(cc["metrics"][0], serde_json::json!(["accuracy"]));
    assert_eq!(cc["metrics"][1][1]["config"], "demo>max_abs_err");
    continues_identically(a, "custom_objects.keras");
}

/// Bad input (acceptance 4): a custom loss that is not registered when loading is an
/// Err naming it (Keras raises); with `CompileRestore::Warn` the model loads uncompiled.
#[test]
fn an_unregistered_custom_loss_is_an_error_naming_it() {
    let mut a = two_output_model();
    a.compile(CompileArgs::new().optimizer("adam").losses(vec![
        LossArg::from("mse"),
        LossArg::from(LossFn::new("never_registered", |y, p| {
            Ok(p.sub(y)?.abs()?.mean(&[-1], false)?)
        })),
    ]))
    .unwrap();
    let path = tmp("unregistered.keras");
    kiln::saving::save_model(&a, &path).unwrap();
    let e = kiln::saving::load_model(&path).err().unwrap().to_string();
    assert!(e.contains("never_registered"), "{e}");
    assert!(e.contains("register_loss_fn"), "{e}");
    let m = kiln::saving::load_model_with(
        &path,
        &LoadOptions::new().on_compile_error(CompileRestore::Warn),
    )
    .unwrap();
    assert!(!m.is_compiled());
    let m = kiln::saving::load_model_with(&path, &LoadOptions::new().compile(false)).unwrap();
    assert!(!m.is_compiled());
}

/// Bad input (acceptance 4): a saved loss map naming an output the model does not have
/// is an Err naming the key and the outputs.
#[test]
fn a_loss_map_naming_a_missing_output_is_an_error_naming_both() {
    let f = fixture("two_output_maps");
    let mut cc = f["compile_config"].clone();
    let loss = cc["loss"].as_object_mut().unwrap();
    let reg = loss.remove("reg").unwrap();
    loss.insert("regression".into(), reg);
    let mut m = kiln::saving::load_model_uncompiled(dir().join("two_output_maps.keras")).unwrap();
    let e = m.compile_from_config(&cc).err().unwrap().to_string();
    assert!(
        e.contains("'regression'") && e.contains("\"cls\"") && e.contains("\"reg\""),
        "{e}"
    );
}

#[test]
fn a_custom_metric_object_round_trips_by_registered_class() {
    kiln::saving::register_metric("demo", "HalfMae", |cfg| {
        let name = cfg["name"].as_str().unwrap_or("half_mae").to_string();
        Ok(Box::new(HalfMae(MeanMetricWrapper::new(&name, |y, p| {
            Ok(p.sub(y)?.abs()?.mean(&[-1], false)?.mul_scalar(0.5)?)
        }))))
    });
    let mut a = two_output_model();
    a.compile(
        CompileArgs::new()
            .optimizer("adam")
            .losses(vec![
                LossArg::from("sparse_categorical_crossentropy"),
                LossArg::from("mse"),
            ])
            .metrics_per_output(vec![
                vec![],
                vec![MetricArg::from(HalfMae(MeanMetricWrapper::new(
                    "hm",
                    |y, p| Ok(p.sub(y)?.abs()?.mean(&[-1], false)?.mul_scalar(0.5)?),
                )))],
            ]),
    )
    .unwrap();
    let cc = a.get_compile_config().unwrap();
    assert_eq!(cc["metrics"][1][0]["registered_name"], "demo>HalfMae");
    continues_identically(a, "custom_metric_class.keras");
}

/// A user metric class: a [`MeanMetricWrapper`] registered as `demo>HalfMae`.
struct HalfMae(MeanMetricWrapper);

impl kiln::metrics::Metric for HalfMae {
    fn name(&self) -> &str {
        self.0.name()
    }
    fn update_state(&mut self, y: &Tensor, p: &Tensor, w: Option<&Tensor>) -> kiln::Result<()> {
        self.0.update_state(y, p, w)
    }
    fn result(&self) -> f64 {
        self.0.result()
    }
    fn reset_state(&mut self) {
        self.0.reset_state()
    }
    fn get_config(&self) -> Value {
        serde_json::json!({"name": self.0.name()})
    }
    fn class_name(&self) -> String {
        "HalfMae".into()
    }
}

// ---- A registered subclassed model (Keras's "demo>Classifier" with "demo>Scale") ----

#[path = "../examples/common/demo_classifier.rs"]
mod demo_classifier;
use demo_classifier::{classifier, register_classifier};

#[test]
fn keras_registered_subclassed_model_loads_predicts_and_trains_as_keras() {
    register_classifier();
    let f = fixture("subclassed");
    let mut m = kiln::saving::load_model(dir().join("subclassed.keras")).unwrap();
    assert!(m.is_compiled());
    assert_eq!(m.as_layer().class_name(), "Classifier");
    let x = common::tensor(&f["batches"][0]["x"]);
    let want = common::tensor(&f["predictions"][0]).to_f64_vec();
    let got = m
        .predict(&x, kiln::models::PredictArgs::new().verbose(0))
        .unwrap()
        .to_f64_vec();
    for (g, w) in got.iter().zip(&want) {
        assert!((g - w).abs() <= 1e-5, "prediction {g} vs Keras {w}");
    }
    replay_keras_file("subclassed");
}

#[test]
fn a_registered_subclassed_model_round_trips_and_trains_on_identically() {
    register_classifier();
    let m = classifier(5);
    m.call(&Tensor::ones(&[2, 4], DType::F32)).unwrap();
    let mut m = m;
    m.compile(
        CompileArgs::new()
            .optimizer(Adam::new(0.01))
            .loss(SparseCategoricalCrossentropy::new().from_logits(true))
            .metrics(["accuracy"]),
    )
    .unwrap();
    let (x, y) = {
        let (x, ys) = batch(7);
        (x, ys[0].clone())
    };
    m.train_on_batch(&x, &y, None).unwrap();
    let path = tmp("subclassed.keras");
    m.save(&path).unwrap();
    let config: Value = {
        let f = std::fs::File::open(&path).unwrap();
        let mut z = zip::ZipArchive::new(f).unwrap();
        let mut s = String::new();
        std::io::Read::read_to_string(&mut z.by_name("config.json").unwrap(), &mut s).unwrap();
        serde_json::from_str(&s).unwrap()
    };
    assert_eq!(config["registered_name"], "demo>Classifier");
    assert_eq!(config["config"]["units"], 5);
    assert_eq!(
        config["build_config"]["input_shape"],
        serde_json::json!([2, 4])
    );
    let mut again = kiln::saving::load_model(&path).unwrap();
    for _ in 0..2 {
        let a = m.train_on_batch(&x, &y, None).unwrap();
        let b = again.train_on_batch(&x, &y, None).unwrap();
        let (la, lb) = (a["loss"], b["loss"]);
        assert!((la - lb).abs() <= 1e-6 * la.abs().max(1.0), "{la} vs {lb}");
    }
}

#[test]
fn an_unregistered_subclassed_model_is_an_error_naming_its_class() {
    #[derive(Layer)]
    struct Unlisted {
        base: LayerBase,
        d: LayerRef,
    }
    impl Layer for Unlisted {
        fn call(&mut self, x: &[Tensor], _ctx: &CallContext) -> kiln::Result<Vec<Tensor>> {
            Ok(vec![self.d.call(&x[0])?])
        }
    }
    let m = Model::from_layer(Unlisted {
        base: LayerBase::new("unlisted"),
        d: Dense::new(2).into(),
    });
    m.call(&Tensor::ones(&[1, 3], DType::F32)).unwrap();
    let e = m.save(tmp("unlisted.keras")).unwrap_err().to_string();
    assert!(
        e.contains("'Unlisted'") && e.contains("register_model"),
        "{e}"
    );
    // A file naming a class nobody registered: the error names it and what is known.
    let cfg = serde_json::json!({"class_name": "Mystery", "registered_name": "demo>Mystery", "config": {}});
    let Err(e) = kiln::saving::model_from_config(&cfg) else {
        panic!("an unregistered class loaded");
    };
    let e = e.to_string();
    assert!(e.contains("'Mystery'") && e.contains("demo>Mystery"), "{e}");
}

// Issue 26's optimizers, losses and metrics in Keras-written files
// (tools/golden/gen_saving_issue26.py): restored with their configs and optimizer state,
// they train on as Keras does.

#[test]
fn keras_file_binary_focal_lamb_and_threshold_metrics_train_on_as_keras() {
    replay_keras_file("issue26_focal_lamb");
}

#[test]
fn keras_file_categorical_focal_adafactor_and_iou_r2_train_on_as_keras() {
    replay_keras_file("issue26_categorical_adafactor");
}

#[test]
fn keras_file_tversky_muon_and_correlations_train_on_as_keras() {
    replay_keras_file("issue26_tversky_muon");
}

#[test]
fn keras_file_generalized_cross_entropy_ftrl_trains_on_as_keras() {
    replay_keras_file("issue26_gce_ftrl");
}

#[test]
fn keras_file_dice_schedule_free_adamw_trains_on_as_keras() {
    replay_keras_file("issue26_dice_schedule_free");
}
