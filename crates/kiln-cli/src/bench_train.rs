//! `kiln bench train`: the seed workloads of `../shared/bench/peers/*_workloads.py`
//! (same models, data, batch sizes and measurements), one JSON line per workload:
//! `{"workload", "impl": "kiln", "fit_epoch_s", "eval_s", "test_acc", "predict1_ms"}`.
//!
//! - `fit_epoch_s`: one `fit` epoch over the 60,000 training images (Adam, sparse
//!   categorical crossentropy, accuracy), as the TensorFlow peer's `model.fit(epochs=1)`.
//! - `eval_s`: `evaluate` on the 10,000 test images in batches of 1000.
//! - `predict1_ms`: mean latency of calling the model on one image, over 200 calls after
//!   a warm-up call (the peers' `model(one, training=False)`).
//!
//! `mlp_compiled` is `seed_workloads.py`'s: the MLP compiled with `jit_compile=true`, two
//! one-epoch `fit` calls, printing the peer's figures `fit_epoch_s` (tracing included)
//! and `fit_epoch2_s`, plus the same two epochs run eagerly (`eager_fit_epoch_s`,
//! `eager_fit_epoch2_s`) from the same start for the ratio.
//!
//! `dqn_step` is `seed_workloads.py`'s (S003-49 corrected) and prints the peer's figure:
//! `{"peer": "kiln", "workload": "dqn_step", "step_ms"}`, see [`dqn_step`].
//!
//! `kmeans_mnist` and `tsne_5000` are `seed_workloads.py`'s scikit-learn workloads, run
//! on kiln-learn: `KMeans(n_clusters=10, n_init=1, random_state=0)` on the 60,000
//! training images (pixels / 255), figures `fit_s`, `inertia`, `n_iter`; and
//! `TSNE(2, perplexity=30, init="pca", random_state=0)` on the first 5,000, figures
//! `fit_s`, `kl_divergence`. Both take the pixels in the peer's dtype: `kmeans_mnist`
//! float32 pixels (`x.astype(np.float32) / 255.0`), fitted with `KMeans::fit_f32`, which
//! computes in float32 as scikit-learn does on float32 input; `tsne_5000` float64
//! (kiln-learn's TSNE takes float64; the peer passes float32).

use kiln::models::EvaluateArgs;
use std::time::Instant;

use kiln::layers::{Conv2D, Dense, Flatten, MaxPooling2D};
use kiln::models::{CompileArgs, FitArgs, Model};
use kiln::optimizers::Adam;
use kiln_rl::agent::argmax;
use kiln_rl::rng::{np_random, Generator};
use kiln_rl::{make, Action, Env};
use kiln_tensor::{DType, Tensor};

/// The workloads kiln can run.
pub const WORKLOADS: &[&str] = &[
    "mlp",
    "cnn",
    "mlp_pipeline",
    "dqn_step",
    "mlp_compiled",
    "kmeans_mnist",
    "tsne_5000",
];

type AnyResult<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The peer's Q-network: Dense(24, relu) -> Dense(24, relu) -> Dense(2), MSE, Adam(1e-3).
fn q_network() -> kiln::Result<Model> {
    let mut m = Model::sequential(vec![
        Dense::new(24).activation("relu").input_shape(&[4]).into(),
        Dense::new(24).activation("relu").into(),
        Dense::new(2).into(),
    ])?;
    m.compile(CompileArgs::new().optimizer(Adam::new(1e-3)).loss("mse"))?;
    Ok(m)
}

/// `seed_workloads.py`'s `replay_batch(rng)`: 64 transitions with N(0, 1) states and next
/// states, actions in {0, 1}, rewards 1 and 5% terminal, drawn with NumPy's generator.
struct Minibatch {
    states: Vec<f32>,
    actions: Vec<usize>,
    rewards: Vec<f32>,
    next_states: Vec<f32>,
    done: Vec<bool>,
}

fn replay_batch(rng: &mut Generator, n: usize) -> AnyResult<Minibatch> {
    let states = (0..n * 4).map(|_| rng.standard_normal() as f32).collect();
    let actions = (0..n)
        .map(|_| rng.integers(0, 2).map(|a| a as usize))
        .collect::<std::result::Result<_, _>>()?;
    let next_states = (0..n * 4).map(|_| rng.standard_normal() as f32).collect();
    let done = (0..n).map(|_| rng.random() < 0.05).collect();
    Ok(Minibatch {
        states,
        actions,
        rewards: vec![1.0; n],
        next_states,
        done,
    })
}

/// The `dqn_step` workload: per environment step, one greedy call of the Q-network on one
/// CartPole state (kiln-rl's `CartPole-v1`, reset when an episode ends), then one training
/// step on a 64-transition minibatch: targets are the Q-network's outputs on the states with
/// the taken action's entry replaced by `r + 0.99 max_a' Q_target(s', a')` (just `r` at a
/// terminal transition), and `train_on_batch` on them. `step_ms` is the mean over 1000 steps
/// after 100 warm-up steps, as the peer measures (its Keras figure `step_ms_direct` is the
/// same calls: `model(state)` and `train_on_batch`).
pub fn dqn_step() -> AnyResult<String> {
    const BATCH: usize = 64;
    kiln::utils::set_random_seed(0);
    let mut q = q_network()?;
    let tq = q_network()?;
    let mut env = make("CartPole-v1")?;
    let (mut s, _) = env.reset(Some(0))?;
    let mut rng = np_random(Some(0)).0;
    let mut step = |q: &mut Model| -> AnyResult<()> {
        let qs = q.call(&Tensor::from_slice(&s, &[1, 4])?)?.to_vec::<f32>()?;
        let a = argmax(&qs)?;
        let (s2, _r, terminated, truncated, _) = env.step(Action::from(a))?;
        s = if terminated || truncated {
            env.reset(None)?.0
        } else {
            s2
        };
        let b = replay_batch(&mut rng, BATCH)?;
        let st = Tensor::from_vec(b.states, &[BATCH, 4])?;
        let nx = Tensor::from_vec(b.next_states, &[BATCH, 4])?;
        let mut tgt = q.call(&st)?.to_vec::<f32>()?;
        let nq = tq.call(&nx)?.to_vec::<f32>()?;
        for i in 0..BATCH {
            let best = nq[2 * i].max(nq[2 * i + 1]);
            let bootstrap = if b.done[i] { 0.0 } else { 0.99 * best };
            tgt[2 * i + b.actions[i]] = b.rewards[i] + bootstrap;
        }
        q.train_on_batch(&st, Tensor::from_vec(tgt, &[BATCH, 2])?, None)?;
        Ok(())
    };
    for _ in 0..100 {
        step(&mut q)?;
    }
    let t = Instant::now();
    for _ in 0..1000 {
        step(&mut q)?;
    }
    let step_ms = t.elapsed().as_secs_f64() / 1000.0 * 1e3;
    Ok(format!(
        "{{\"peer\": \"kiln\", \"workload\": \"dqn_step\", \"step_ms\": {step_ms:.4}}}"
    ))
}

fn mlp() -> kiln::Result<Model> {
    Model::sequential(vec![
        Dense::new(128)
            .activation("relu")
            .input_shape(&[784])
            .into(),
        Dense::new(10).activation("softmax").into(),
    ])
}

/// The peers' `cnn`: Conv2D(32, 3, relu, same) -> MaxPooling2D(2) -> Conv2D(64, 3, relu,
/// same) -> MaxPooling2D(2) -> Flatten -> Dense(128, relu) -> Dense(10, softmax).
fn cnn() -> kiln::Result<Model> {
    Model::sequential(vec![
        Conv2D::new(32, 3)
            .activation("relu")
            .padding("same")
            .input_shape(&[28, 28, 1])
            .into(),
        MaxPooling2D::new(2).into(),
        Conv2D::new(64, 3).activation("relu").padding("same").into(),
        MaxPooling2D::new(2).into(),
        Flatten::new().into(),
        Dense::new(128).activation("relu").into(),
        Dense::new(10).activation("softmax").into(),
    ])
}

/// Runs one workload and returns its JSON line.
pub fn run_workload(name: &str) -> AnyResult<String> {
    if name == "dqn_step" {
        return dqn_step();
    }
    if name == "mlp_compiled" {
        return mlp_compiled();
    }
    if name == "kmeans_mnist" {
        return kmeans_mnist();
    }
    if name == "tsne_5000" {
        return tsne_5000();
    }
    let ((x_train, y_train), (x_test, y_test)) = kiln_data::datasets::mnist::load_data()?;
    let x_train = x_train
        .cast(DType::F32)?
        .div_scalar(255.0)?
        .reshape(&[-1, 784])?;
    let x_test = x_test
        .cast(DType::F32)?
        .div_scalar(255.0)?
        .reshape(&[-1, 784])?;
    let (y_train, y_test) = (y_train.cast(DType::I64)?, y_test.cast(DType::I64)?);
    kiln::utils::set_random_seed(0);
    let (mut model, batch, x_train, x_test) = match name {
        "mlp" | "mlp_pipeline" => (mlp()?, 128, x_train, x_test),
        "cnn" => (
            cnn()?,
            64,
            x_train.reshape(&[-1, 28, 28, 1])?,
            x_test.reshape(&[-1, 28, 28, 1])?,
        ),
        other => {
            return Err(kiln::Error::InvalidArgument {
                api: "kiln bench train",
                msg: format!(
                    "unknown workload '{other}'; available: {}",
                    WORKLOADS.join(", ")
                ),
            }
            .into());
        }
    };
    model.compile(
        CompileArgs::new()
            .optimizer("adam")
            .loss("sparse_categorical_crossentropy")
            .metrics(["accuracy"]),
    )?;
    let t = Instant::now();
    if name == "mlp_pipeline" {
        // The same epoch fed by a tf.data-style pipeline:
        // from_tensor_slices -> shuffle(10000) -> batch(128) -> prefetch(2).
        let ds =
            kiln_data::dataset::Dataset::from_tensor_slices((x_train.clone(), y_train.clone()))?
                .shuffle_with(10_000, Some(0), true)
                .batch(batch)?
                .prefetch(2);
        model.fit_dataset(&ds, FitArgs::new().epochs(1).verbose(0))?;
    } else {
        model.fit(
            &x_train,
            &y_train,
            FitArgs::new().epochs(1).batch_size(batch).verbose(0),
        )?;
    }
    let fit_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let logs = model.evaluate(
        &x_test,
        &y_test,
        EvaluateArgs::new().batch_size(1000).verbose(0),
    )?;
    let eval_s = t.elapsed().as_secs_f64();
    let begin = vec![0isize; x_test.rank()];
    let mut size = vec![-1isize; x_test.rank()];
    size[0] = 1;
    let one: Tensor = x_test.slice(&begin, &size)?.contiguous();
    model.call(&one)?;
    let t = Instant::now();
    for _ in 0..200 {
        std::hint::black_box(model.call(&one)?);
    }
    let lat_ms = t.elapsed().as_secs_f64() / 200.0 * 1e3;
    Ok(format!(
        "{{\"workload\": \"{name}\", \"impl\": \"kiln\", \"fit_epoch_s\": {fit_s:.3}, \"eval_s\": {eval_s:.3}, \"test_acc\": {:.4}, \"predict1_ms\": {lat_ms:.4}}}",
        logs.get("accuracy").unwrap_or(f64::NAN)
    ))
}

/// The first `n` MNIST training images as a `(n, 784)` float64 matrix of pixels / 255
/// (all 60,000 when `n` is `None`).
fn mnist_pixels(n: Option<usize>) -> AnyResult<kiln_learn::Matrix> {
    let ((x_train, _), _) = kiln_data::datasets::mnist::load_data()?;
    let bytes = x_train.to_vec::<u8>()?;
    let rows = n.unwrap_or(bytes.len() / 784).min(bytes.len() / 784);
    let pixels = bytes[..rows * 784]
        .iter()
        .map(|&p| f64::from(p) / 255.0)
        .collect();
    Ok(kiln_learn::Matrix::new(pixels, rows, 784)?)
}

/// The MNIST training images as row-major float32 pixels / 255, as the peer's
/// `XTR.reshape(-1, 784).astype(np.float32) / 255.0` (a float32 division), with the
/// number of images.
fn mnist_pixels_f32() -> AnyResult<(Vec<f32>, usize)> {
    let ((x_train, _), _) = kiln_data::datasets::mnist::load_data()?;
    let bytes = x_train.to_vec::<u8>()?;
    let rows = bytes.len() / 784;
    let pixels = bytes[..rows * 784]
        .iter()
        .map(|&p| f32::from(p) / 255.0)
        .collect();
    Ok((pixels, rows))
}

/// `kmeans_mnist`: `KMeans(n_clusters=10, n_init=1, random_state=0).fit(x)` on the
/// 60,000 training images as float32 pixels (the peer's input), so that the fit runs
/// in float32 as the peer's does; the fit is timed (data loading excluded, as the
/// peer).
fn kmeans_mnist() -> AnyResult<String> {
    use kiln_learn::cluster::{KMeans, NInit};
    let (x, n) = mnist_pixels_f32()?;
    let km = KMeans {
        n_clusters: 10,
        n_init: NInit::Count(1),
        random_state: Some(0),
        ..KMeans::default()
    };
    let t = Instant::now();
    let fitted = km.fit_f32(&x, n, 784, None)?;
    let fit_s = t.elapsed().as_secs_f64();
    Ok(format!(
        "{{\"peer\": \"kiln\", \"workload\": \"kmeans_mnist\", \"fit_s\": {fit_s:.4}, \"inertia\": {:.4}, \"n_iter\": {}}}",
        fitted.inertia_, fitted.n_iter_
    ))
}

/// `tsne_5000`: `TSNE(2, perplexity=30, init="pca", random_state=0).fit(x)` on the
/// first 5,000 training images.
fn tsne_5000() -> AnyResult<String> {
    use kiln_learn::manifold::TSNE;
    let x = mnist_pixels(Some(5000))?;
    let tsne = TSNE {
        n_components: 2,
        perplexity: 30.0,
        random_state: Some(0),
        ..TSNE::default()
    };
    let t = Instant::now();
    let fitted = tsne.fit_transform(&x)?;
    let fit_s = t.elapsed().as_secs_f64();
    Ok(format!(
        "{{\"peer\": \"kiln\", \"workload\": \"tsne_5000\", \"fit_s\": {fit_s:.4}, \"kl_divergence\": {:.4}}}",
        fitted.kl_divergence_
    ))
}

/// Two one-epoch fits of the MLP, compiled and eager, from the same weights.
fn mlp_compiled() -> AnyResult<String> {
    let ((x_train, y_train), _) = kiln_data::datasets::mnist::load_data()?;
    let x = x_train
        .cast(DType::F32)?
        .div_scalar(255.0)?
        .reshape(&[-1, 784])?;
    let y = y_train.cast(DType::I64)?;
    kiln::utils::set_random_seed(0);
    let start = mlp()?.get_weights();
    let mut times = Vec::new();
    for jit in [true, false] {
        let mut m = mlp()?;
        m.set_weights(&start)?;
        m.compile(
            CompileArgs::new()
                .optimizer("adam")
                .loss("sparse_categorical_crossentropy")
                .metrics(["accuracy"])
                .jit_compile(jit),
        )?;
        for _ in 0..2 {
            let t = Instant::now();
            m.fit(&x, &y, FitArgs::new().epochs(1).batch_size(128).verbose(0))?;
            times.push(t.elapsed().as_secs_f64());
        }
    }
    Ok(format!(
        "{{\"peer\": \"kiln\", \"workload\": \"mlp_compiled\", \"fit_epoch_s\": {:.4}, \"fit_epoch2_s\": {:.4}, \"eager_fit_epoch_s\": {:.4}, \"eager_fit_epoch2_s\": {:.4}}}",
        times[0], times[1], times[2], times[3]
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn dqn_step_prints_the_peers_figure() {
        let line = super::run_workload("dqn_step").unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["peer"], "kiln");
        assert_eq!(v["workload"], "dqn_step");
        let ms = v["step_ms"].as_f64().unwrap();
        assert!(ms > 0.0 && ms.is_finite(), "{line}");
    }
}
