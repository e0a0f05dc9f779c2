//! Seed 004's traced pieces: `LinearRegression` / `LinearRegressionV2` with a
//! `@tf.function` `call`, and the traced SGD step `v.assign_add(-0.05 * g)`.
#![allow(dead_code)]

use kiln::function::{Args, Function, Value};
use kiln_tensor::random::Generator;
use kiln_tensor::{DType, GradientTape, Tensor, Variable};

type Body = Box<dyn Fn(&Args) -> kiln_tensor::Result<Value>>;

/// A plain struct with variables and a traced `call` (the seed's `@tf.function def call`).
pub struct Linear {
    pub variables: Vec<Variable>,
    call: Function<Body>,
}

impl Linear {
    /// `LinearRegression(n)` (weights only) or `LinearRegressionV2(n)` (plus a bias
    /// initialised to 100).
    pub fn new(num_parameters: usize, with_bias: bool) -> kiln::Result<Linear> {
        let w = Variable::new(
            Generator::from_global().uniform(&[num_parameters, 1], 0.0, 1.0, DType::F32)?,
            "Variable",
            true,
        );
        let b = with_bias.then(|| {
            Variable::new(
                Tensor::from_vec(vec![100.0f32], &[1]).expect("static shape"),
                "Variable",
                true,
            )
        });
        let (w2, b2) = (w.clone(), b.clone());
        let body: Body = Box::new(move |a: &Args| {
            let y = a.tensor(0)?.matmul(&w2.value())?;
            Ok(Value::from(match &b2 {
                Some(b) => y.add(&b.value())?,
                None => y,
            }))
        });
        let mut variables = vec![w];
        variables.extend(b);
        Ok(Linear {
            variables,
            call: Function::new("call", body),
        })
    }

    /// `model(x)`, through the traced `call`.
    pub fn call(&self, x: &Tensor) -> kiln_tensor::Result<Tensor> {
        let y = self.call.call(&[x.into()])?;
        y.as_tensor()
            .cloned()
            .ok_or_else(|| kiln_tensor::Error::Trace("call returned no tensor".into()))
    }
}

/// The body of the seed's `train_step`: the loss under a tape, then
/// `v.assign_add(-0.05 * g)` for every variable. Returns the loss tensor.
pub fn sgd_step(model: &Linear, x: &Tensor, y: &Tensor) -> kiln_tensor::Result<Tensor> {
    let tape = GradientTape::new();
    let y_hat = model.call(x)?;
    let loss = y.sub(&y_hat)?.square()?.mean(&[], false)?;
    let refs: Vec<&Variable> = model.variables.iter().collect();
    let grads = tape.gradient(&loss, &refs)?;
    drop(tape);
    for (g, v) in grads.into_iter().zip(&model.variables) {
        if let Some(g) = g {
            v.assign_add(&g.mul(&Tensor::from_vec(vec![-0.05f32], &[1])?)?)?;
        }
    }
    Ok(loss)
}
