//! `kiln train`: trains a model on the shipped MNIST with Keras's progress bar, evaluates
//! it on the test set and prints one JSON line of results.
//!
//! Until the Keras model API lands (the Keras-core issue) the MLP is written directly with
//! tensor ops, a `GradientTape` and the Adam optimizer — the same maths as
//! `Sequential([Flatten(), Dense(128, "relu"), Dense(10, "softmax")])` compiled with
//! `adam` and `sparse_categorical_crossentropy` (softmax folded into the loss, as Keras
//! does for numerical stability).

use std::time::Instant;

use kiln::optimizers::Adam;
use kiln::utils::Progbar;
use kiln_tensor::random::Generator;
use kiln_tensor::{DType, GradientTape, Tensor, Variable};

/// Options of `kiln train`.
pub struct TrainArgs {
    pub model: String,
    pub epochs: usize,
    pub batch_size: usize,
    pub seed: u64,
}

impl Default for TrainArgs {
    fn default() -> Self {
        TrainArgs {
            model: "mlp".into(),
            epochs: 5,
            batch_size: 128,
            seed: 42,
        }
    }
}

/// Parses `--model`, `--epochs`, `--batch-size`, `--seed`.
pub fn parse_args(args: &[String]) -> Result<TrainArgs, String> {
    let mut out = TrainArgs::default();
    let mut i = 0;
    while i < args.len() {
        let flag = args[i].as_str();
        let value = args
            .get(i + 1)
            .ok_or_else(|| format!("{flag} needs a value"))?;
        match flag {
            "--model" => out.model = value.clone(),
            "--epochs" => {
                out.epochs = value
                    .parse()
                    .map_err(|_| format!("--epochs: '{value}' is not a positive integer"))?
            }
            "--batch-size" => {
                out.batch_size = value
                    .parse()
                    .map_err(|_| format!("--batch-size: '{value}' is not a positive integer"))?
            }
            "--seed" => {
                out.seed = value
                    .parse()
                    .map_err(|_| format!("--seed: '{value}' is not an integer"))?
            }
            other => {
                return Err(format!(
                    "unknown option '{other}' (expected --model, --epochs, --batch-size, --seed)"
                ))
            }
        }
        i += 2;
    }
    if out.model != "mlp" {
        return Err(format!(
            "--model '{}' is not available yet (models: mlp; 'cnn' comes with the vision layers)",
            out.model
        ));
    }
    if out.epochs == 0 || out.batch_size == 0 {
        return Err("--epochs and --batch-size must be at least 1".into());
    }
    Ok(out)
}

/// Keras's glorot_uniform: U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out)).
fn glorot_uniform(gen: &mut Generator, fan_in: usize, fan_out: usize) -> kiln::Result<Tensor> {
    let limit = (6.0 / (fan_in + fan_out) as f64).sqrt();
    Ok(gen.uniform(&[fan_in, fan_out], -limit, limit, DType::F32)?)
}

struct Mlp {
    w1: Variable,
    b1: Variable,
    w2: Variable,
    b2: Variable,
}

impl Mlp {
    fn new(gen: &mut Generator) -> kiln::Result<Mlp> {
        Ok(Mlp {
            w1: Variable::new(glorot_uniform(gen, 784, 128)?, "dense/kernel", true),
            b1: Variable::new(Tensor::zeros(&[128], DType::F32), "dense/bias", true),
            w2: Variable::new(glorot_uniform(gen, 128, 10)?, "dense_1/kernel", true),
            b2: Variable::new(Tensor::zeros(&[10], DType::F32), "dense_1/bias", true),
        })
    }

    fn variables(&self) -> Vec<Variable> {
        vec![
            self.w1.clone(),
            self.b1.clone(),
            self.w2.clone(),
            self.b2.clone(),
        ]
    }

    /// Logits for a batch of flattened images.
    fn logits(&self, x: &Tensor) -> kiln::Result<Tensor> {
        let h = x.matmul(&self.w1.value())?.add(&self.b1.value())?.relu()?;
        Ok(h.matmul(&self.w2.value())?.add(&self.b2.value())?)
    }
}

/// Mean loss and number of correct predictions of `logits` against int labels.
fn loss_and_correct(logits: &Tensor, labels: &Tensor) -> kiln::Result<(Tensor, usize)> {
    let loss = labels
        .sparse_softmax_cross_entropy_with_logits(logits)?
        .mean(&[], false)?;
    let pred = logits.argmax(-1)?.to_vec::<i64>()?;
    let truth = labels.to_vec::<i64>()?;
    let correct = pred.iter().zip(&truth).filter(|(p, t)| p == t).count();
    Ok((loss, correct))
}

/// Runs `kiln train`; returns the JSON result line.
pub fn run(args: &TrainArgs) -> kiln::Result<String> {
    let ((x_train, y_train), (x_test, y_test)) = kiln_data::datasets::mnist::load_data()?;
    let scale = Tensor::scalar(1.0f32 / 255.0);
    let x_train = x_train.cast(DType::F32)?.reshape(&[-1, 784])?.mul(&scale)?;
    let x_test = x_test.cast(DType::F32)?.reshape(&[-1, 784])?.mul(&scale)?;
    let y_train = y_train.cast(DType::I64)?;
    let y_test = y_test.cast(DType::I64)?;
    let n = x_train.shape()[0];

    let mut gen = Generator::from_seed(args.seed);
    let model = Mlp::new(&mut gen)?;
    let vars = model.variables();
    let mut opt = Adam::default();
    let steps = n.div_ceil(args.batch_size);
    let started = Instant::now();
    for epoch in 0..args.epochs {
        println!("Epoch {}/{}", epoch + 1, args.epochs);
        let mut bar = Progbar::new(Some(steps), 1);
        let perm = gen.permutation(n);
        let (mut loss_sum, mut correct, mut seen) = (0.0f64, 0usize, 0usize);
        for step in 0..steps {
            let lo = step * args.batch_size;
            let hi = (lo + args.batch_size).min(n);
            let idx = perm.slice(&[lo as isize], &[(hi - lo) as isize])?;
            let xb = x_train.gather(&idx, 0)?;
            let yb = y_train.gather(&idx, 0)?;
            let tape = GradientTape::new();
            let logits = model.logits(&xb)?;
            let (loss, c) = loss_and_correct(&logits, &yb)?;
            let grads = tape.gradient(&loss, &vars)?;
            drop(tape);
            let pairs: Vec<(Tensor, Variable)> = grads
                .into_iter()
                .zip(&vars)
                .map(|(g, v)| g.map(|g| (g, v.clone())))
                .collect::<Option<Vec<_>>>()
                .expect("every weight feeds the loss");
            opt.apply_gradients(&pairs)?;
            let b = hi - lo;
            loss_sum += loss.item::<f32>()? as f64 * b as f64;
            correct += c;
            seen += b;
            bar.update(
                step + 1,
                &[
                    ("accuracy", correct as f64 / seen as f64),
                    ("loss", loss_sum / seen as f64),
                ],
            );
        }
    }
    let train_seconds = started.elapsed().as_secs_f64();

    // Evaluate in batches of 1000.
    let nt = x_test.shape()[0];
    let (mut loss_sum, mut correct) = (0.0f64, 0usize);
    for lo in (0..nt).step_by(1000) {
        let hi = (lo + 1000).min(nt);
        let xb = x_test.slice(&[lo as isize, 0], &[(hi - lo) as isize, -1])?;
        let yb = y_test.slice(&[lo as isize], &[(hi - lo) as isize])?;
        let (loss, c) = loss_and_correct(&model.logits(&xb)?, &yb)?;
        loss_sum += loss.item::<f32>()? as f64 * (hi - lo) as f64;
        correct += c;
    }
    let test_loss = loss_sum / nt as f64;
    let test_accuracy = correct as f64 / nt as f64;
    println!("test_loss: {test_loss:.4} - test_accuracy: {test_accuracy:.4}");
    Ok(format!(
        "{{\"model\": \"{}\", \"epochs\": {}, \"batch_size\": {}, \"seed\": {}, \"test_loss\": {}, \"test_accuracy\": {}, \"train_seconds\": {:.3}}}",
        args.model, args.epochs, args.batch_size, args.seed, test_loss, test_accuracy, train_seconds
    ))
}
