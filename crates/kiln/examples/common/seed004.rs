//! Shared set-up of seed 004's linear-regression scenarios: the data, the hand-written
//! SGD step (`v.assign_add(-0.05 * g)`), and the checks the examples assert.
#![allow(dead_code)]

use kiln::initializers::Initializer;
use kiln::layers::{CallContext, Layer, LayerBase};
use kiln::models::Model;
use kiln_tensor::random::Generator;
use kiln_tensor::{DType, GradientTape, Tensor, Variable};

/// `x = uniform((32, 5))`, `y = x @ [0, 1, 2, 3, 4]^T` (the seed's `tf.random.set_seed(42)`
/// becomes kiln's seed 42; the stream differs from TensorFlow's).
pub fn data() -> (Tensor, Tensor) {
    kiln::utils::set_random_seed(42);
    let true_weights = Tensor::arange(0.0, 5.0, 1.0, DType::F32)
        .and_then(|t| t.reshape(&[5, 1]))
        .expect("static shapes");
    let x = Generator::from_seed(42)
        .uniform(&[32, 5], 0.0, 1.0, DType::F32)
        .expect("static shapes");
    let y = x.matmul(&true_weights).expect("static shapes");
    (x, y)
}

/// One step of plain gradient descent with learning rate 0.05 on every variable of
/// `forward`'s computation; returns the mean squared loss before the step.
pub fn train_step(
    vars: &[Variable],
    x: &Tensor,
    y: &Tensor,
    forward: impl Fn(&Tensor) -> kiln::Result<Tensor>,
) -> kiln::Result<f32> {
    Ok(sgd_loss(vars, x, y, forward)?.item::<f32>()?)
}

/// [`train_step`] returning the loss as a tensor (what a traced step returns).
pub fn sgd_loss(
    vars: &[Variable],
    x: &Tensor,
    y: &Tensor,
    forward: impl Fn(&Tensor) -> kiln::Result<Tensor>,
) -> kiln::Result<Tensor> {
    let tape = GradientTape::new();
    let y_hat = forward(x)?;
    let loss = y.sub(&y_hat)?.square()?.mean(&[], false)?;
    let refs: Vec<&Variable> = vars.iter().collect();
    let grads = tape.gradient(&loss, &refs)?;
    drop(tape);
    for (g, v) in grads.into_iter().zip(vars) {
        if let Some(g) = g {
            v.assign_add(&g.mul_scalar(-0.05)?)?;
        }
    }
    Ok(loss)
}

/// The seed's `@tf.function def train_step(model)` for one model: traced on its first call
/// (which builds a lazy model, so that call traces twice, as TF does), then replayed.
/// Returns the loss tensor.
pub fn traced_train_step<'a>(
    model: &'a Model,
    x: &'a Tensor,
    y: &'a Tensor,
) -> kiln::function::Function<
    impl Fn(&kiln::function::Args) -> kiln::Result<kiln::function::Value> + 'a,
> {
    kiln::function::Function::new("train_step", move |_| {
        if model.weights().is_empty() {
            model.call(x)?;
        }
        let loss = sgd_loss(&model.weights(), x, y, |x| model.call(x))?;
        Ok(kiln::function::Value::from(loss))
    })
}

/// Calls a traced step and reads its loss.
pub fn loss_of(v: kiln::function::Value) -> kiln::Result<f32> {
    match v.as_tensor() {
        Some(t) => Ok(t.item::<f32>()?),
        None => Err(kiln::Error::InvalidArgument {
            api: "train_step",
            msg: "the step returned no loss".into(),
        }),
    }
}

/// `train_step` for a Keras model: its variables, its call.
pub fn train_model_step(model: &Model, x: &Tensor, y: &Tensor) -> kiln::Result<f32> {
    if model.weights().is_empty() {
        model.call(x)?; // builds lazy layers, as the first traced call does in TF
    }
    train_step(&model.weights(), x, y, |x| model.call(x))
}

/// `tf.reduce_mean(tf.abs(y - model(x)))`.
pub fn mean_absolute_error(model: &Model, x: &Tensor, y: &Tensor) -> kiln::Result<f32> {
    Ok(y.sub(&model.call(x)?)?
        .abs()?
        .mean(&[], false)?
        .item::<f32>()?)
}

/// `reduce(tf.linalg.matmul, model.variables)`.
pub fn reduce_matmul(vars: &[Variable]) -> kiln::Result<Tensor> {
    let mut it = vars.iter();
    let first = it
        .next()
        .map(|v| v.value())
        .ok_or_else(|| kiln::Error::InvalidArgument {
            api: "reduce_matmul",
            msg: "no variables".into(),
        })?;
    it.try_fold(first, |acc, v| Ok(acc.matmul(&v.value())?))
}

/// Prints variables as `pprint(model.variables)` does (name, shape, values).
pub fn pprint(vars: &[Variable]) {
    let parts: Vec<String> = vars
        .iter()
        .map(|v| {
            format!(
                "<Variable '{}' shape={:?} dtype={}, numpy={}>",
                v.name(),
                v.shape(),
                v.dtype(),
                v.value()
            )
        })
        .collect();
    println!("[{}]", parts.join(",\n "));
}

/// Exits with an error when `w` (shape (5, 1)) is not within `tol` of [0, 1, 2, 3, 4].
pub fn assert_recovers(what: &str, w: &Tensor, tol: f32) {
    let v = w.to_vec::<f32>().unwrap_or_default();
    let ok = v.len() == 5
        && v.iter()
            .enumerate()
            .all(|(i, &x)| (x - i as f32).abs() <= tol);
    if !ok {
        eprintln!("{what}: weights {v:?} are not within {tol} of [0, 1, 2, 3, 4]");
        std::process::exit(1);
    }
    println!("{what}: recovered [0, 1, 2, 3, 4] within {tol}");
}

/// Seed 004's subclassed `LinearRegression(tf.keras.Model)`: one `(n, 1)` weight drawn
/// uniformly from [0, 1), `call(x) = x @ w`.
#[derive(kiln::layers::Layer)]
pub struct LinearRegression {
    base: LayerBase,
    weights: Variable,
}

impl LinearRegression {
    /// `LinearRegression(num_parameters)` as a model.
    pub fn model(num_parameters: usize) -> kiln::Result<Model> {
        let mut base = LayerBase::new("linear_regression");
        let weights = base.add_weight(
            "Variable",
            &[num_parameters, 1],
            &Initializer::random_uniform(0.0, 1.0),
            true,
            None,
            None,
        )?;
        Ok(Model::from_layer(LinearRegression { base, weights }))
    }
}

impl Layer for LinearRegression {
    fn call(&mut self, x: &[Tensor], _ctx: &CallContext) -> kiln::Result<Vec<Tensor>> {
        Ok(vec![x[0].matmul(&self.weights.value())?])
    }
}
