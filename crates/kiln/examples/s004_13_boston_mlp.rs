//! S004-13: an `MLP(4, 1)` (a custom sequential feature extractor of Dense relu layers and
//! a linear head) trained on Boston housing by hand-written full-batch gradient descent
//! (lr 0.01) for 1000 iterations with the seed's `@tf.function` `train_step` and
//! `test_step` (traced once each with `kiln::function`), recording training and testing
//! MSE every 10; prints the
//! history's tail and the constant-predictor baseline, and saves the seed's log-scale
//! plot of both curves (`ch3_plot_1.png`, through `kiln-plot`).
//!
//! Data: the real Boston housing rows kiln ships (`datasets/boston_housing`), split as
//! `keras.datasets.boston_housing.load_data()` (seed 113, test_split 0.2; checked against
//! Keras's first training row and the seed's constant-predictor MSE, 83.24384), or Keras's
//! `boston_housing.npz` from `$KILN_DATA_DIR` when present.

#[path = "common/plots.rs"]
mod plots;

use kiln::function::{Function, Value};
use kiln::layers::{CallContext, Dense, Layer, LayerBase, LayerRef};
use kiln::models::Model;
use kiln_tensor::{DType, GradientTape, Tensor, Variable};

#[derive(Layer)]
#[layer(class_name = "Sequential")]
struct Stack {
    base: LayerBase,
    layers: Vec<LayerRef>,
}

impl Layer for Stack {
    fn call(&mut self, x: &[Tensor], _ctx: &CallContext) -> kiln::Result<Vec<Tensor>> {
        let mut x = x[0].clone();
        for l in &self.layers {
            x = l.call(&x)?;
        }
        Ok(vec![x])
    }
}

#[derive(Layer)]
struct Mlp {
    base: LayerBase,
    feature_extractor: Model,
    last_linear: LayerRef,
}

impl Mlp {
    fn new(num_hidden_units: &[usize], num_targets: usize) -> Mlp {
        let layers = num_hidden_units
            .iter()
            .map(|&u| Dense::new(u).activation("relu").into())
            .collect();
        Mlp {
            base: LayerBase::new("mlp"),
            feature_extractor: Model::from_layer(Stack {
                base: LayerBase::new("sequential"),
                layers,
            }),
            last_linear: Dense::new(num_targets).activation("linear").into(),
        }
    }
}

impl Layer for Mlp {
    fn call(&mut self, x: &[Tensor], _ctx: &CallContext) -> kiln::Result<Vec<Tensor>> {
        let features = self.feature_extractor.call(&x[0])?;
        Ok(vec![self.last_linear.call(&features)?])
    }
}

fn mse(model: &Model, x: &Tensor, y: &Tensor) -> kiln::Result<Tensor> {
    Ok(y.sub(&model.call(x)?)?.square()?.mean(&[], false)?)
}

fn main() -> kiln::Result<()> {
    let ((x_tr, y_tr), (x_te, y_te)) = kiln_data::datasets::boston_housing::load_data()?;
    let f32s = |t: &Tensor| t.cast(DType::F32);
    let (x_tr, x_te) = (f32s(&x_tr)?, f32s(&x_te)?);
    let (y_tr, y_te) = (f32s(&y_tr)?.expand_dims(-1)?, f32s(&y_te)?.expand_dims(-1)?);
    kiln::utils::set_random_seed(0);
    let model = Model::from_layer(Mlp::new(&[4], 1));
    model.call(&x_tr)?; // build
    let vars: Vec<Variable> = model.weights();
    let train_step = Function::new("train_step", |a| {
        let (x, y) = (a.tensor(0)?, a.tensor(1)?);
        let tape = GradientTape::new();
        let loss = mse(&model, &x, &y)?;
        let refs: Vec<&Variable> = vars.iter().collect();
        let grads = tape.gradient(&loss, &refs)?;
        drop(tape);
        for (g, v) in grads.into_iter().zip(&vars) {
            if let Some(g) = g {
                v.assign_add(&g.mul_scalar(-0.01)?)?;
            }
        }
        Ok::<_, kiln::Error>(Value::from(loss))
    });
    let test_step = Function::new("test_step", |a| {
        Ok::<_, kiln::Error>(Value::from(mse(&model, &a.tensor(0)?, &a.tensor(1)?)?))
    });
    let item = |v: Value| -> kiln::Result<f32> {
        Ok(v.as_tensor().map_or(Ok(f32::NAN), |t| t.item::<f32>())?)
    };
    let mut history: Vec<(usize, f32, f32)> = Vec::new();
    for iteration in 1..=1000 {
        let loss = train_step.call(&[x_tr.clone().into(), y_tr.clone().into()])?;
        let te_loss = test_step.call(&[x_te.clone().into(), y_te.clone().into()])?;
        if iteration % 10 == 0 {
            history.push((iteration, item(loss)?, item(te_loss)?));
        }
    }
    assert_eq!(train_step.experimental_get_tracing_count(), 1);
    assert_eq!(test_step.experimental_get_tracing_count(), 1);
    println!("    iteration  training_loss  testing_loss");
    for (i, (it, tr, te)) in history
        .iter()
        .enumerate()
        .skip(history.len().saturating_sub(5))
    {
        println!("{i:<3} {it:>10} {tr:>14.6} {te:>13.6}");
    }
    let baseline = y_te
        .sub(&y_te.mean(&[], false)?)?
        .square()?
        .mean(&[], false)?;
    println!("{baseline}");
    let its: Vec<f64> = history.iter().map(|h| h.0 as f64).collect();
    let tr: Vec<f64> = history.iter().map(|h| f64::from(h.1)).collect();
    let te: Vec<f64> = history.iter().map(|h| f64::from(h.2)).collect();
    plots::curves(
        "ch3_plot_1.png",
        "MSE",
        &its,
        &[("training_loss", &tr), ("testing_loss", &te)],
        "iteration",
        true,
    )?;
    Ok(())
}
