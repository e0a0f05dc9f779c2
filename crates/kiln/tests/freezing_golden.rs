//! Freezing (`set_trainable(false)`) against Keras 3.15 on the TensorFlow backend
//! (tools/golden/gen_freezing.py): the seed GAN recipe (seed defect 17: D frozen before
//! its first step never trains), the recipe that toggles D around its steps, an inner
//! model frozen and unfrozen after compile (the trainable list is read when a step
//! signature is first seen, kept until a retrace or `compile`), and a frozen
//! BatchNormalization running in inference mode inside `train_on_batch`.
//!
//! After every call: exactly the same variables changed, every value within 1e-5, the
//! logs within 1e-5 relative.

mod common;

use common::{fixture, tensor_f32};
use std::collections::BTreeSet;

use kiln::callbacks::Logs;
use kiln::layers::{BatchNormalization, Dense, Input};
use kiln::models::{CompileArgs, FitArgs, Model};
use kiln::optimizers::{Adam, SGD};
use kiln_tensor::{Tensor, Variable};
use serde_json::Value;

/// Row `i` of a stacked `(k, n, d)` fixture tensor.
fn row(t: &Tensor, i: isize) -> Tensor {
    let s = t.shape();
    t.slice(&[i, 0, 0], &[1, -1, -1])
        .unwrap()
        .reshape(&[s[1] as isize, s[2] as isize])
        .unwrap()
}

/// `layer_name/variable_name`, as the fixture keys them.
fn key(v: &Variable) -> String {
    let parts: Vec<&str> = v.name().split('/').collect();
    parts[parts.len().saturating_sub(2)..].join("/")
}

struct Recorder {
    case: &'static str,
    vars: Vec<Variable>,
    want: Vec<Value>,
    next: usize,
    worst: f64,
}

impl Recorder {
    fn new(case: &'static str, model: &Model, fx: &Value) -> Recorder {
        let vars = model.weights();
        for v in &vars {
            let init = &fx[case]["initial"][key(v)];
            assert!(init.is_object(), "{case}: no initial value for {}", key(v));
            v.assign(&tensor_f32(init)).unwrap();
        }
        Recorder {
            case,
            vars,
            want: fx[case]["steps"].as_array().unwrap().clone(),
            next: 0,
            worst: 0.0,
        }
    }

    fn step(&mut self, f: impl FnOnce() -> kiln::Result<Logs>) {
        let want = self.want[self.next].clone();
        self.next += 1;
        let label = want["label"].as_str().unwrap();
        let before: Vec<Vec<f32>> = self
            .vars
            .iter()
            .map(|v| v.value().to_vec::<f32>().unwrap())
            .collect();
        let logs = f().unwrap_or_else(|e| panic!("{} '{label}': {e}", self.case));
        let changed: BTreeSet<String> = self
            .vars
            .iter()
            .zip(&before)
            .filter(|(v, b)| v.value().to_vec::<f32>().unwrap() != **b)
            .map(|(v, _)| key(v))
            .collect();
        let want_changed: BTreeSet<String> = want["changed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            changed, want_changed,
            "{} '{label}': the variables that changed",
            self.case
        );
        for v in &self.vars {
            let w = tensor_f32(&want["weights"][key(v)])
                .to_vec::<f32>()
                .unwrap();
            for (g, w) in v.value().to_vec::<f32>().unwrap().iter().zip(&w) {
                let d = (g - w).abs() as f64 / (w.abs() as f64).max(1.0);
                self.worst = self.worst.max(d);
                assert!(
                    d < 1e-5,
                    "{} '{label}': {} {g} vs keras {w}",
                    self.case,
                    key(v)
                );
            }
        }
        for (name, w) in want["logs"].as_object().unwrap() {
            let w = w.as_f64().unwrap();
            let g = logs
                .get(name)
                .unwrap_or_else(|| panic!("{} '{label}': no {name} in the logs", self.case));
            let d = (g - w).abs() / w.abs().max(1.0);
            self.worst = self.worst.max(d);
            assert!(d < 1e-5, "{} '{label}': {name} {g} vs keras {w}", self.case);
        }
    }

    fn done(&self) {
        assert_eq!(self.next, self.want.len(), "{}: steps left over", self.case);
        println!("{}: max difference {:e}", self.case, self.worst);
    }
}

fn gan_case(case: &'static str, toggle: bool) {
    let fx = fixture("freezing.json");
    kiln::utils::clear_session();
    let disc = Model::sequential(vec![
        Dense::new(3)
            .activation("relu")
            .name("d_hidden")
            .input_shape(&[4])
            .into(),
        Dense::new(1).activation("sigmoid").name("d_out").into(),
    ])
    .unwrap();
    let mut disc = disc;
    disc.compile(
        CompileArgs::new()
            .optimizer(Adam::new(0.01))
            .loss("binary_crossentropy")
            .metrics(["accuracy"]),
    )
    .unwrap();
    disc.set_trainable(false);
    let mut generator = Model::sequential(vec![
        Dense::new(3)
            .activation("relu")
            .name("g_hidden")
            .input_shape(&[2])
            .into(),
        BatchNormalization::new().momentum(0.8).name("g_bn").into(),
        Dense::new(4).activation("tanh").name("g_out").into(),
    ])
    .unwrap();
    let z = Input::shape(&[2]);
    let out = disc
        .call_symbolic(&generator.call_symbolic(&z).unwrap())
        .unwrap();
    let mut gan = Model::new(&[z], &[out]).unwrap();
    gan.compile(
        CompileArgs::new()
            .optimizer(Adam::new(0.01))
            .loss("binary_crossentropy"),
    )
    .unwrap();
    let mut rec = Recorder::new(case, &gan, &fx);
    let (real, noise, noise_g) = (
        tensor_f32(&fx[case]["real"]),
        tensor_f32(&fx[case]["noise"]),
        tensor_f32(&fx[case]["noise_g"]),
    );
    let ones = Tensor::ones(&[6, 1], kiln::DType::F32);
    let zeros = Tensor::zeros(&[6, 1], kiln::DType::F32);
    for it in 0..3 {
        if toggle {
            disc.set_trainable(true);
        }
        rec.step(|| disc.train_on_batch(row(&real, it), &ones, None));
        let fake = generator
            .predict_on_batch(row(&noise, it))
            .unwrap()
            .remove(0);
        rec.step(|| disc.train_on_batch(&fake, &zeros, None));
        if toggle {
            disc.set_trainable(false);
        }
        let y = Tensor::ones(&[8, 1], kiln::DType::F32);
        rec.step(|| gan.train_on_batch(row(&noise_g, it), &y, None));
    }
    rec.done();
}

#[test]
fn the_seed_gan_recipe_never_trains_the_discriminator_as_in_keras_3() {
    gan_case("gan_seed", false);
}

#[test]
fn toggling_the_discriminator_around_its_steps_trains_it() {
    gan_case("gan_toggle", true);
}

#[test]
fn an_inner_model_frozen_after_compile_follows_keras_traces() {
    nested_case(false);
}

#[test]
fn the_same_with_jit_compile() {
    nested_case(true);
}

fn nested_case(jit: bool) {
    let fx = fixture("freezing.json");
    kiln::utils::clear_session();
    let inner = Model::sequential(vec![Dense::new(3)
        .activation("tanh")
        .name("inner_dense")
        .input_shape(&[4])
        .into()])
    .unwrap();
    let mut outer =
        Model::sequential(vec![inner.as_layer(), Dense::new(1).name("head").into()]).unwrap();
    let sgd = || {
        CompileArgs::new()
            .optimizer(SGD::new(0.1))
            .loss("mse")
            .jit_compile(jit)
    };
    outer.compile(sgd()).unwrap();
    let mut rec = Recorder::new("nested", &outer, &fx);
    let (x, y) = (
        tensor_f32(&fx["nested"]["x"]),
        tensor_f32(&fx["nested"]["y"]),
    );
    let first = |t: &Tensor, n: isize| t.slice(&[0, 0], &[n, -1]).unwrap();
    let fit = |m: &mut Model, bs: usize| -> kiln::Result<Logs> {
        let h = m.fit(
            &x,
            &y,
            FitArgs::new()
                .batch_size(bs)
                .epochs(1)
                .shuffle(false)
                .verbose(0),
        )?;
        let mut logs = Logs::new();
        logs.insert("loss", *h.get("loss").last().unwrap());
        Ok(logs)
    };
    rec.step(|| outer.train_on_batch(first(&x, 8), first(&y, 8), None));
    inner.set_trainable(false);
    rec.step(|| outer.train_on_batch(first(&x, 8), first(&y, 8), None));
    rec.step(|| outer.train_on_batch(first(&x, 5), first(&y, 5), None));
    inner.set_trainable(true);
    rec.step(|| outer.train_on_batch(first(&x, 3), first(&y, 3), None));
    inner.set_trainable(false);
    rec.step(|| fit(&mut outer, 4));
    inner.set_trainable(true);
    rec.step(|| fit(&mut outer, 4));
    outer.compile(sgd()).unwrap();
    rec.step(|| outer.train_on_batch(first(&x, 8), first(&y, 8), None));
    inner.set_trainable(false);
    outer.compile(sgd()).unwrap();
    rec.step(|| outer.train_on_batch(first(&x, 8), first(&y, 8), None));
    rec.done();
}

#[test]
fn a_frozen_batch_normalization_trains_in_inference_mode() {
    let fx = fixture("freezing.json");
    kiln::utils::clear_session();
    let bn = kiln::layers::LayerRef::from(BatchNormalization::new().name("bn"));
    let mut model = Model::sequential(vec![
        Dense::new(3).name("pre").input_shape(&[4]).into(),
        bn.clone(),
        Dense::new(1).name("post").into(),
    ])
    .unwrap();
    model
        .compile(CompileArgs::new().optimizer(SGD::new(0.1)).loss("mse"))
        .unwrap();
    let mut rec = Recorder::new("bn_frozen", &model, &fx);
    bn.set_trainable(false);
    let (x, y) = (
        tensor_f32(&fx["bn_frozen"]["x"]),
        tensor_f32(&fx["bn_frozen"]["y"]),
    );
    for (name, training) in [("pred_training_true", true), ("pred_training_false", false)] {
        let got = model
            .call_multi(&[row(&x, 0)], training)
            .unwrap()
            .remove(0)
            .to_vec::<f32>()
            .unwrap();
        let want = tensor_f32(&fx["bn_frozen"][name]).to_vec::<f32>().unwrap();
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-5, "{name}: {g} vs keras {w}");
        }
    }
    for i in 0..2 {
        rec.step(|| model.train_on_batch(row(&x, i), row(&y, i), None));
    }
    rec.done();
}
