//! A VAE whose KL term reaches `fit` and `evaluate` through `add_loss`, against Keras 3.15
//! (tools/golden/gen_vae_add_loss.py): same weights, same noise, same batches, per-epoch
//! losses within 1e-5 relative. Also: an add_loss term of rank 2 or more is an `Err`.

mod common;

use common::tensor_f32;
use kiln::layers::*;
use kiln::models::{CompileArgs, EvaluateArgs, FitArgs, Model};
use kiln::optimizers::Adam;
use kiln_tensor::{DType, Tensor};
use serde_json::Value;

const D: isize = 12;
const Z: isize = 2;

#[derive(kiln::layers::Layer)]
struct Vae {
    base: LayerBase,
    enc: LayerRef,
    mu: LayerRef,
    lv: LayerRef,
    dec: LayerRef,
    out: LayerRef,
}

impl Layer for Vae {
    fn call(&mut self, inputs: &[Tensor], _c: &CallContext) -> kiln::Result<Vec<Tensor>> {
        let x = inputs[0].slice(&[0, 0], &[-1, D])?;
        let eps = inputs[0].slice(&[0, D], &[-1, Z])?;
        let h = self.enc.call(&x)?;
        let (mu, lv) = (self.mu.call(&h)?, self.lv.call(&h)?);
        let z = mu.add(&lv.mul_scalar(0.5)?.exp()?.mul(&eps)?)?;
        let inner = lv.add_scalar(1.0)?.sub(&mu.square()?)?.sub(&lv.exp()?)?;
        let kl = inner.sum(&[1], false)?.mean(&[], false)?.mul_scalar(-0.5)?;
        self.base.add_loss(kl);
        Ok(vec![self.out.call(&self.dec.call(&z)?)?])
    }
}

fn layers() -> Vec<(&'static str, LayerRef)> {
    vec![
        ("enc", Dense::new(8).activation("relu").into()),
        ("mu", Dense::new(2).into()),
        ("lv", Dense::new(2).into()),
        ("dec", Dense::new(8).activation("relu").into()),
        ("out", Dense::new(12).activation("sigmoid").into()),
    ]
}

#[test]
fn vae_with_add_loss_matches_keras() {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tools/golden/fixtures/vae_add_loss.json"
    );
    let fx: Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
    let inputs = tensor_f32(&fx["inputs"]);
    let x = inputs.slice(&[0, 0], &[-1, D]).unwrap();
    kiln::utils::clear_session();
    let ls = layers();
    let get = |n: &str| ls.iter().find(|(k, _)| *k == n).unwrap().1.clone();
    let mut m = Model::from_layer(Vae {
        base: LayerBase::new("vae"),
        enc: get("enc"),
        mu: get("mu"),
        lv: get("lv"),
        dec: get("dec"),
        out: get("out"),
    });
    m.call(&inputs.slice(&[0, 0], &[2, -1]).unwrap()).unwrap();
    for (name, l) in &ls {
        let w: Vec<Tensor> = fx["weights"][name]
            .as_array()
            .unwrap()
            .iter()
            .map(tensor_f32)
            .collect();
        l.set_weights(&w).unwrap();
    }
    m.compile(
        CompileArgs::new()
            .optimizer(Adam::new(1e-2))
            .loss("binary_crossentropy"),
    )
    .unwrap();
    let h = m
        .fit(
            &inputs,
            &x,
            FitArgs::new()
                .epochs(3)
                .batch_size(32)
                .shuffle(false)
                .verbose(0),
        )
        .unwrap();
    let mut worst = 0.0f64;
    let want: Vec<f64> = fx["history"]["loss"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    for (e, (g, w)) in h.get("loss").iter().zip(&want).enumerate() {
        let r = (g - w).abs() / w.abs();
        worst = worst.max(r);
        assert!(r < 1e-5, "epoch {e}: kiln {g} vs keras {w}");
    }
    let ev = m
        .evaluate(&inputs, &x, EvaluateArgs::new().batch_size(32).verbose(0))
        .unwrap();
    let w = fx["evaluate"]["loss"].as_f64().unwrap();
    let g = ev["loss"];
    let r = (g - w).abs() / w.abs();
    worst = worst.max(r);
    assert!(r < 1e-5, "evaluate: kiln {g} vs keras {w}");
    println!("vae add_loss: max relative difference {worst:e}");
}

#[test]
fn an_add_loss_term_of_rank_two_is_an_error() {
    #[derive(kiln::layers::Layer)]
    struct BadLoss {
        base: LayerBase,
        dense: LayerRef,
    }
    impl Layer for BadLoss {
        fn call(&mut self, inputs: &[Tensor], _c: &CallContext) -> kiln::Result<Vec<Tensor>> {
            let y = self.dense.call(&inputs[0])?;
            self.base.add_loss(y.square()?);
            Ok(vec![y])
        }
    }
    let mut m = Model::from_layer(BadLoss {
        base: LayerBase::new("bad"),
        dense: Dense::new(2).into(),
    });
    m.compile(CompileArgs::new().optimizer("sgd").loss("mse"))
        .unwrap();
    let x = Tensor::ones(&[4, 3], DType::F32);
    let y = Tensor::zeros(&[4, 2], DType::F32);
    let e = m.fit(&x, &y, FitArgs::new().verbose(0)).unwrap_err();
    assert!(e.to_string().contains("add_loss"), "{e}");
}
