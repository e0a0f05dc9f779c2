//! Pruning parity with TFMOT 0.8.1 on tf_keras 2.21 (fixture from
//! `tools/golden/gen_pruning.py`): the schedules' prune flags and sparsities per step,
//! and for each short `fit` the pruning step, masks (exact) and kernels (1e-6 relative)
//! after every batch, the kernels after `fit` and the stripped model's predictions.

use std::sync::{Arc, Mutex};

use kiln::callbacks::{Callback, Logs};
use kiln::layers::{Conv2D, Dense, Flatten, LayerRef};
use kiln::models::{CompileArgs, FitArgs, Model, PredictArgs};
use kiln::optimizers::SGD;
use kiln_lite::sparsity::{
    block_mask, collect_prunable_layers, prune_low_magnitude, schedule_from_config, strip_pruning,
    BlockPooling, PruneLowMagnitude, PruningParams, UpdatePruningStep,
};
use kiln_tensor::Tensor;
use serde_json::Value;

fn fixture() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tools/golden/fixtures/pruning.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json")
}

fn f32s(v: &Value) -> Vec<f32> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number") as f32)
        .collect()
}

fn shape(v: &Value) -> Vec<usize> {
    v.as_array()
        .expect("shape")
        .iter()
        .map(|d| d.as_u64().expect("dim") as usize)
        .collect()
}

fn tensor(v: &Value) -> Tensor {
    Tensor::from_vec(f32s(&v["data"]), &shape(&v["shape"])).expect("tensor")
}

#[test]
fn schedules_match_tfmot_per_step() {
    let fx = fixture();
    for case in fx["schedules"].as_array().expect("schedules") {
        let sched = schedule_from_config(&serde_json::json!({
            "class_name": case["class"], "config": case["config"]
        }))
        .expect("schedule");
        let steps = case["steps"].as_array().expect("steps");
        for (i, s) in steps.iter().enumerate() {
            let step = s.as_i64().expect("step");
            let (prune, sparsity) = sched.at(step);
            assert_eq!(
                prune,
                case["prune"][i].as_bool().expect("bool"),
                "{} step {step}",
                case["name"]
            );
            let want = case["sparsity"][i].as_f64().expect("sparsity") as f32;
            assert!(
                (sparsity - want).abs() <= 1e-7,
                "{} step {step}: sparsity {sparsity} vs TFMOT {want}",
                case["name"]
            );
        }
    }
}

type Record = Vec<Vec<(i64, Vec<f32>, Vec<f32>)>>;

struct Recorder {
    layers: Vec<LayerRef>,
    out: Arc<Mutex<Record>>,
}

impl Callback for Recorder {
    fn on_train_batch_end(&mut self, _m: &mut Model, _b: usize, _l: &Logs) -> kiln::Result<()> {
        let mut rec = Vec::new();
        for l in &self.layers {
            l.downcast(|w: &mut PruneLowMagnitude| -> kiln::Result<()> {
                let (kernel, mask, _) = w.pruning_vars().remove(0);
                rec.push((
                    w.pruning_step().unwrap_or(-99),
                    mask.value().to_vec::<f32>()?,
                    kernel.value().to_vec::<f32>()?,
                ));
                Ok(())
            })
            .expect("wrapper")?;
        }
        self.out.lock().expect("lock").push(rec);
        Ok(())
    }
}

fn build(name: &str) -> Model {
    let layers: Vec<LayerRef> = match name {
        "dense_poly" => vec![
            Dense::new(6)
                .activation("relu")
                .name("d1")
                .input_shape(&[4])
                .into(),
            Dense::new(3).name("d2").into(),
        ],
        "conv_const" => vec![
            Conv2D::new(4, 3)
                .activation("relu")
                .name("c1")
                .input_shape(&[6, 6, 2])
                .into(),
            Flatten::new().into(),
            Dense::new(2).name("d1").into(),
        ],
        _ => vec![
            Dense::new(5)
                .activation("tanh")
                .name("b1")
                .input_shape(&[6])
                .into(),
            Dense::new(3).name("b2").into(),
        ],
    };
    Model::sequential(layers).expect("model")
}

/// `a` equals `b` within `rel` relative to each value, or to the tensor's largest
/// magnitude for values much smaller than it: a weight near zero is the difference of
/// O(1) numbers (`w - lr * grad`), so its rounding is on the tensor's scale.
fn close(a: &[f32], b: &[f32], rel: f32, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: length");
    let scale = b.iter().fold(0f32, |m, v| m.max(v.abs()));
    let mut worst = (0f32, 0f32);
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        let d = (x - y).abs();
        worst.0 = worst.0.max(d / y.abs().max(f32::MIN_POSITIVE));
        worst.1 = worst.1.max(d / scale.max(f32::MIN_POSITIVE));
        let tol = rel * y.abs().max(scale);
        assert!(d <= tol, "{what}[{i}]: kiln {x} vs TFMOT {y}");
    }
    if std::env::var_os("KILN_PRUNE_REPORT").is_some() {
        eprintln!(
            "{what}: max rel err {:.2e} per value, {:.2e} of max |w|",
            worst.0, worst.1
        );
    }
}

fn run_fit(case: &Value) {
    let name = case["name"].as_str().expect("name");
    // The schedule's config round-trips to exactly what TFMOT's get_config wrote.
    let sched = schedule_from_config(&case["schedule"]).expect("schedule");
    assert_eq!(
        sched.get_config(),
        case["schedule"],
        "{name}: schedule config"
    );
    let base = build(name);
    let init: Vec<Tensor> = case["init"]
        .as_array()
        .expect("init")
        .iter()
        .map(tensor)
        .collect();
    base.set_weights(&init).expect("set_weights");
    let b = shape(&case["block_size"]);
    let params = PruningParams {
        pruning_schedule: schedule_from_config(&case["schedule"]).expect("schedule"),
        block_size: [b[0], b[1]],
        block_pooling_type: BlockPooling::parse(case["block_pooling_type"].as_str().expect("pool"))
            .expect("pooling"),
    };
    let mut pruned = prune_low_magnitude(&base, params)
        .expect("prune")
        .into_model()
        .expect("model");
    let lr = case["learning_rate"].as_f64().expect("lr");
    pruned
        .compile(CompileArgs::new().optimizer(SGD::new(lr)).loss("mse"))
        .expect("compile");
    let layers: Vec<LayerRef> = collect_prunable_layers(&pruned)
        .into_iter()
        .filter(|l| {
            l.downcast(|w: &mut PruneLowMagnitude| !w.pruning_vars().is_empty())
                .unwrap_or(false)
        })
        .collect();
    let names: Vec<String> = layers
        .iter()
        .map(|l| {
            l.downcast(|w: &mut PruneLowMagnitude| w.layer().name())
                .expect("wrapper")
        })
        .collect();
    let want_names: Vec<&str> = case["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(|v| v.as_str().expect("n"))
        .collect();
    assert_eq!(names, want_names, "{name}: pruned layers");
    let out = Arc::new(Mutex::new(Vec::new()));
    let x = tensor(&case["x"]);
    let y = tensor(&case["y"]);
    pruned
        .fit(
            &x,
            &y,
            FitArgs::new()
                .epochs(case["epochs"].as_u64().expect("epochs") as usize)
                .batch_size(case["batch_size"].as_u64().expect("batch") as usize)
                .shuffle(false)
                .verbose(0)
                .callback(UpdatePruningStep::new())
                .callback(Recorder {
                    layers: layers.clone(),
                    out: out.clone(),
                }),
        )
        .expect("fit");
    let got = out.lock().expect("lock").clone();
    let want = case["per_batch"].as_array().expect("per_batch");
    assert_eq!(got.len(), want.len(), "{name}: batches");
    for (bi, (g, w)) in got.iter().zip(want).enumerate() {
        for (li, (gl, wl)) in g.iter().zip(w.as_array().expect("layers")).enumerate() {
            let what = format!("{name} batch {bi} layer {}", want_names[li]);
            assert_eq!(gl.0, wl["step"].as_i64().expect("step"), "{what}: step");
            assert_eq!(gl.1, f32s(&wl["mask"]), "{what}: mask");
            close(
                &gl.2,
                &f32s(&wl["kernel"]),
                1e-6,
                &format!("{what}: kernel"),
            );
        }
    }
    for (l, want) in layers
        .iter()
        .zip(case["final_kernels"].as_array().expect("final"))
    {
        let k = l
            .downcast(|w: &mut PruneLowMagnitude| w.pruning_vars()[0].0.value().to_vec::<f32>())
            .expect("wrapper")
            .expect("kernel");
        close(&k, &f32s(want), 1e-6, &format!("{name}: final kernel"));
    }
    let mut stripped = strip_pruning(&pruned).expect("strip");
    assert!(stripped
        .layers()
        .iter()
        .all(|l| l.class_name() != "PruneLowMagnitude"));
    let pred = stripped
        .predict(&x, PredictArgs::new().verbose(0))
        .expect("predict");
    close(
        &pred.to_vec::<f32>().expect("pred"),
        &f32s(&case["stripped_predictions"]),
        1e-5,
        &format!("{name}: stripped predictions"),
    );
}

/// Block masks where the block does not divide the weight (TF's SAME padding, one row
/// before the data for a padding of 2), from `tools/golden/gen_pruning_blocks.py`.
#[test]
fn uneven_block_masks_match_tfmot() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tools/golden/fixtures/pruning_blocks.json"
    );
    let fx: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json");
    let w = f32s(&fx["weights"]);
    let s = shape(&fx["shape"]);
    for case in fx["cases"].as_array().expect("cases") {
        let b = shape(&case["block_size"]);
        let pooling =
            BlockPooling::parse(case["pooling"].as_str().expect("pooling")).expect("pool");
        let sparsity = case["sparsity"].as_f64().expect("sparsity") as f32;
        let (t, m) = block_mask(&w, s[0], s[1], [b[0], b[1]], pooling, sparsity);
        assert_eq!(m, f32s(&case["mask"]), "block {b:?} {pooling:?}");
        let want = case["threshold"].as_f64().expect("threshold") as f32;
        assert!(
            (t - want).abs() <= 1e-6 * want.abs(),
            "block {b:?}: threshold {t} vs {want}"
        );
    }
}

#[test]
fn dense_fit_matches_tfmot() {
    run_fit(&fixture()["fits"][0]);
}

#[test]
fn conv_fit_matches_tfmot() {
    run_fit(&fixture()["fits"][1]);
}

#[test]
fn block_avg_fit_matches_tfmot() {
    run_fit(&fixture()["fits"][2]);
}

#[test]
fn block_max_fit_matches_tfmot() {
    run_fit(&fixture()["fits"][3]);
}
