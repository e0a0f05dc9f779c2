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
//! `gan_iter_b64` and `vae_epoch` are `seed_workloads.py`'s, see [`gan_iter_b64`] and
//! [`vae_epoch`]; they print the peer's figures (`iter_ms`; `fit_epoch_s`, `val_loss`).
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
    "gan_iter_b64",
    "vae_epoch",
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
    if name == "gan_iter_b64" {
        return gan_iter_b64();
    }
    if name == "vae_epoch" {
        return vae_epoch();
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

fn leaky() -> kiln::layers::LayerRef {
    kiln::layers::LeakyReLU::new().negative_slope(0.2).into()
}

/// The `gan_iter_b64` workload, S003-35's GAN as `seed_workloads.py` builds it: G
/// 100 -> Dense 256/512/1024, each followed by LeakyReLU(0.2) and BatchNormalization
/// (momentum 0.8) -> Dense(784, tanh) -> Reshape(28, 28, 1); D Flatten -> Dense 512 ->
/// LeakyReLU(0.2) -> Dense 256 -> LeakyReLU(0.2) -> Dense(1, sigmoid), binary
/// crossentropy, Adam(2e-4, beta_1 0.5), D with accuracy; MNIST / 127.5 - 1. One
/// iteration: G's outputs for 64 noise vectors (inference mode), `train_on_batch` of D on
/// 64 real and on the 64 generated images, and of the combined model (D frozen) on the
/// noise. `iter_ms` is the mean over 200 iterations after 20 warm-up ones.
///
/// D is set trainable around its own steps, so that D trains as PyTorch's peer trains
/// it; the Keras peer runs the seed's recipe, in which Keras 3 never updates D (seed
/// defect 17), so it does a little less work per iteration than kiln.
pub fn gan_iter_b64() -> AnyResult<String> {
    use kiln::layers::{BatchNormalization, Input, Reshape};
    const B: usize = 64;
    kiln::utils::set_random_seed(0);
    let mut g = Model::sequential(vec![
        Dense::new(256).input_shape(&[100]).into(),
        leaky(),
        BatchNormalization::new().momentum(0.8).into(),
        Dense::new(512).into(),
        leaky(),
        BatchNormalization::new().momentum(0.8).into(),
        Dense::new(1024).into(),
        leaky(),
        BatchNormalization::new().momentum(0.8).into(),
        Dense::new(784).activation("tanh").into(),
        Reshape::new(&[28, 28, 1]).into(),
    ])?;
    let mut d = Model::sequential(vec![
        Flatten::new().input_shape(&[28, 28, 1]).into(),
        Dense::new(512).into(),
        leaky(),
        Dense::new(256).into(),
        leaky(),
        Dense::new(1).activation("sigmoid").into(),
    ])?;
    let adam = || Adam::new(2e-4).beta_1(0.5);
    d.compile(
        CompileArgs::new()
            .loss("binary_crossentropy")
            .optimizer(adam())
            .metrics(["accuracy"]),
    )?;
    d.set_trainable(false);
    let z = Input::shape(&[100]);
    let out = d.call_symbolic(&g.call_symbolic(&z)?)?;
    let mut gan = Model::new(&[z], &[out])?;
    gan.compile(
        CompileArgs::new()
            .loss("binary_crossentropy")
            .optimizer(adam()),
    )?;
    let ((x_train, _), _) = kiln_data::datasets::mnist::load_data()?;
    let x = x_train
        .cast(DType::F32)?
        .div_scalar(127.5)?
        .add_scalar(-1.0)?
        .reshape(&[-1, 28, 28, 1])?;
    let n = x.shape()[0] as i64;
    let mut rng = kiln_tensor::random::Generator::from_seed(0);
    let ones = Tensor::ones(&[B, 1], DType::F32);
    let zeros = Tensor::zeros(&[B, 1], DType::F32);
    let mut it = || -> AnyResult<()> {
        let real = x.gather(&rng.randint(&[B], 0, n, DType::I64)?, 0)?;
        let noise = rng.normal(&[B, 100], 0.0, 1.0, DType::F32)?;
        let fake = g.predict_on_batch(&noise)?.remove(0);
        d.set_trainable(true);
        d.train_on_batch(&real, &ones, None)?;
        d.train_on_batch(&fake, &zeros, None)?;
        d.set_trainable(false);
        gan.train_on_batch(&noise, &ones, None)?;
        Ok(())
    };
    for _ in 0..20 {
        it()?;
    }
    let t = Instant::now();
    for _ in 0..200 {
        it()?;
    }
    let iter_ms = t.elapsed().as_secs_f64() / 200.0 * 1e3;
    Ok(format!(
        "{{\"peer\": \"kiln\", \"workload\": \"gan_iter_b64\", \"iter_ms\": {iter_ms:.4}}}"
    ))
}

/// S001-2's sampling layer: `z_mean + exp(z_log_var / 2) * eps`.
#[derive(kiln::layers::Layer)]
struct Sampling {
    base: kiln::layers::LayerBase,
}

impl kiln::layers::Layer for Sampling {
    fn compute_output_shape(
        &self,
        input_shapes: &[kiln::layers::Shape],
    ) -> Option<kiln::Result<Vec<kiln::layers::Shape>>> {
        Some(Ok(vec![input_shapes[0].clone()]))
    }

    fn call(
        &mut self,
        inputs: &[Tensor],
        _ctx: &kiln::layers::CallContext,
    ) -> kiln::Result<Vec<Tensor>> {
        let eps = kiln_tensor::random::normal(inputs[0].shape(), 0.0, 1.0, inputs[0].dtype())?;
        Ok(vec![
            inputs[0].add(&inputs[1].mul_scalar(0.5)?.exp()?.mul(&eps)?)?
        ])
    }
}

/// The VAE of `vae_epoch`: the encoder's `(z_mean, z_log_var, z)`, the decoder's image, and
/// the KL term `-0.5 mean_batch(sum_latent(1 + lv - mu^2 - exp(lv)))` through `add_loss`.
#[derive(kiln::layers::Layer)]
struct Vae {
    base: kiln::layers::LayerBase,
    enc: kiln::layers::LayerRef,
    dec: kiln::layers::LayerRef,
}

impl kiln::layers::Layer for Vae {
    fn call(
        &mut self,
        inputs: &[Tensor],
        ctx: &kiln::layers::CallContext,
    ) -> kiln::Result<Vec<Tensor>> {
        let e = self.enc.call_multi(&inputs[..1], Some(ctx.training))?;
        let (m, lv) = (&e[0], &e[1]);
        let y = self.dec.call_multi(&e[2..3], Some(ctx.training))?;
        let kl = lv
            .add_scalar(1.0)?
            .sub(&m.square()?)?
            .sub(&lv.exp()?)?
            .sum(&[1], false)?
            .mean(&[], false)?
            .mul_scalar(-0.5)?;
        self.base.add_loss(kl);
        Ok(y)
    }
}

/// The `vae_epoch` workload, S001-2's VAE as `seed_workloads.py` builds it: encoder
/// Flatten -> Dense(512, relu) -> Dense(2) z_mean, Dense(2) z_log_var -> sampling; decoder
/// Dense(512, relu) -> Dense(784, sigmoid) -> Reshape(28, 28, 1); loss 784 x the binary
/// crossentropy (a sum over the pixels) plus the KL term through `add_loss`; Adam; one
/// `fit` epoch over the 60,000 training images in batches of 128 with the test set as
/// validation data. Figures: `fit_epoch_s` (validation included, as Keras's `fit`) and
/// the final `val_loss`.
pub fn vae_epoch() -> AnyResult<String> {
    use kiln::layers::{Input, LayerApply, LayerBase, LayerRef, Reshape};
    use kiln::losses::LossFn;
    kiln::utils::set_random_seed(0);
    let inp = Input::shape(&[28, 28, 1]);
    let h = Dense::new(512)
        .activation("relu")
        .apply(&Flatten::new().apply(&inp)?)?;
    let (zm, zl) = (Dense::new(2).apply(&h)?, Dense::new(2).apply(&h)?);
    let zz = LayerRef::new(Sampling {
        base: LayerBase::new("sampling"),
    })
    .call(&[zm.clone(), zl.clone()])?;
    let enc = Model::new(&[inp], &[zm, zl, zz])?;
    let dec = Model::sequential(vec![
        Dense::new(512).activation("relu").input_shape(&[2]).into(),
        Dense::new(784).activation("sigmoid").into(),
        Reshape::new(&[28, 28, 1]).into(),
    ])?;
    let mut vae = Model::from_layer(Vae {
        base: LayerBase::new("vae"),
        enc: enc.as_layer(),
        dec: dec.as_layer(),
    });
    let loss = LossFn::new("bce_784", |t, p| {
        let (t, p) = (t.reshape(&[-1, 784])?, p.reshape(&[-1, 784])?);
        Ok(kiln::losses::binary_crossentropy(&t, &p, false, 0.0, -1)?.mul_scalar(784.0)?)
    });
    vae.compile(CompileArgs::new().optimizer("adam").loss(loss))?;
    let ((x_train, _), (x_test, _)) = kiln_data::datasets::mnist::load_data()?;
    let prep = |x: Tensor| -> kiln::Result<Tensor> {
        Ok(x.cast(DType::F32)?
            .div_scalar(255.0)?
            .reshape(&[-1, 28, 28, 1])?)
    };
    let (x, xt) = (prep(x_train)?, prep(x_test)?);
    let t = Instant::now();
    let h = vae.fit(
        &x,
        &x,
        FitArgs::new()
            .epochs(1)
            .batch_size(128)
            .validation_data(&xt, &xt)
            .verbose(0),
    )?;
    let fit_s = t.elapsed().as_secs_f64();
    let val = h.get("val_loss").last().copied().unwrap_or(f64::NAN);
    Ok(format!(
        "{{\"peer\": \"kiln\", \"workload\": \"vae_epoch\", \"fit_epoch_s\": {fit_s:.4}, \"val_loss\": {val:.4}}}"
    ))
}
