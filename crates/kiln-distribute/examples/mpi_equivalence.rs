//! Acceptance check (run under `mpirun -np N`): N replicas with batch B each train to
//! the same weights as one process with batch N*B over the same samples, for an MLP,
//! the seed CNN and an LSTM; and every rank logs the same numbers.
//!
//! Every rank builds its model from a different seed, so the test also checks that the
//! weight broadcast from rank 0 happened. Rank 0 then trains a fresh copy from the
//! broadcast weights in-process with the global batch (the `-np 1` run) and compares.
//! Exits non-zero on any failure (on every rank).
//!
//! ```text
//! mpirun --oversubscribe -np 2 target/debug/examples/mpi_equivalence
//! ```

use kiln::layers::{Conv2D, Dense, Flatten, MaxPooling2D, LSTM};
use kiln::models::{CompileArgs, FitArgs, Model};
use kiln::optimizers::SGD;
use kiln_distribute::{MultiWorkerMirroredStrategy, Result};
use kiln_tensor::random::Generator;
use kiln_tensor::{DType, Tensor};

const PER_REPLICA: usize = 8;
const STEPS_PER_EPOCH: usize = 10;
const EPOCHS: usize = 2;
const TOL: f64 = 1e-5;

fn build(kind: &str) -> kiln::Result<Model> {
    match kind {
        "mlp" => Model::sequential(vec![
            Dense::new(32).activation("relu").input_shape(&[12]).into(),
            Dense::new(4).activation("softmax").into(),
        ]),
        // The seed CNN's layers (kiln train --model cnn), on 12x12 images to stay fast.
        "cnn" => Model::sequential(vec![
            Conv2D::new(32, 3)
                .activation("relu")
                .padding("same")
                .input_shape(&[12, 12, 1])
                .into(),
            MaxPooling2D::new(2).into(),
            Conv2D::new(64, 3).activation("relu").padding("same").into(),
            MaxPooling2D::new(2).into(),
            Flatten::new().into(),
            Dense::new(128).activation("relu").into(),
            Dense::new(4).activation("softmax").into(),
        ]),
        _ => Model::sequential(vec![
            LSTM::new(16).input_shape(&[6, 3]).into(),
            Dense::new(4).activation("softmax").into(),
        ]),
    }
}

fn data(kind: &str, n: usize) -> kiln::Result<(Tensor, Tensor)> {
    let mut g = Generator::from_seed(1234);
    let shape: Vec<usize> = match kind {
        "mlp" => vec![n, 12],
        "cnn" => vec![n, 12, 12, 1],
        _ => vec![n, 6, 3],
    };
    let x = g.normal(&shape, 0.0, 1.0, DType::F32)?;
    let y = g.uniform(&[n], 0.0, 4.0, DType::I32)?;
    Ok((x, y))
}

fn compile(m: &mut Model) -> kiln::Result<()> {
    m.compile(
        CompileArgs::new()
            .optimizer(SGD::new(0.05).momentum(0.9))
            .loss("sparse_categorical_crossentropy")
            .metrics(["accuracy"]),
    )
}

fn max_diff(a: &[Tensor], b: &[Tensor]) -> f64 {
    a.iter()
        .zip(b)
        .flat_map(|(a, b)| {
            a.to_f64_vec()
                .into_iter()
                .zip(b.to_f64_vec())
                .map(|(x, y)| (x - y).abs())
        })
        .fold(0.0, f64::max)
}

/// Runs one model; returns this rank's list of failures.
fn check(strategy: &MultiWorkerMirroredStrategy, kind: &str) -> Result<Vec<String>> {
    let n = strategy.num_replicas_in_sync();
    let rank = strategy.rank();
    let global = strategy
        .per_replica_batch_size(PER_REPLICA * n)
        .map(|b| b * n)?;
    let samples = global * STEPS_PER_EPOCH;
    let (x, y) = data(kind, samples)?;

    kiln::utils::set_random_seed(100 + rank as u64);
    let mut model = build(kind)?;
    compile(&mut model)?;
    strategy.scope(&mut model)?;
    let initial = model.get_weights();
    let shard = strategy.shard_tensors(&[x.clone(), y.clone()], false)?;
    let args = FitArgs::new()
        .batch_size(strategy.per_replica_batch_size(global)?)
        .epochs(EPOCHS)
        .shuffle(false)
        .verbose(0);
    let hist = model.fit(&shard[0], &shard[1], args)?;
    let mut failures = Vec::new();

    // Every rank logged the same numbers: compare with rank 0's.
    let mut logged: Vec<f64> = ["loss", "accuracy"]
        .iter()
        .flat_map(|k| hist.get(k).to_vec())
        .collect();
    let mine = logged.clone();
    strategy.communicator().broadcast_f64(&mut logged, 0)?;
    if mine != logged {
        failures.push(format!(
            "{kind}: rank {rank} logged {mine:?}, rank 0 {logged:?}"
        ));
    }
    // Every rank holds the same weights.
    let mut w: Vec<f64> = model
        .get_weights()
        .iter()
        .flat_map(|t| t.to_f64_vec())
        .collect();
    let w_mine = w.clone();
    strategy.communicator().broadcast_f64(&mut w, 0)?;
    let spread = w
        .iter()
        .zip(&w_mine)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    if spread != 0.0 {
        failures.push(format!(
            "{kind}: rank {rank}'s weights differ from rank 0's by {spread:e}"
        ));
    }

    if rank == 0 {
        // The one-process run: global batch over the same samples, same start.
        let mut single = build(kind)?;
        compile(&mut single)?;
        single.set_weights(&initial)?;
        let args = FitArgs::new()
            .batch_size(global)
            .epochs(EPOCHS)
            .shuffle(false)
            .verbose(0);
        let h1 = single.fit(&x, &y, args)?;
        let d = max_diff(&model.get_weights(), &single.get_weights());
        let dl = hist
            .get("loss")
            .iter()
            .zip(h1.get("loss"))
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        println!(
            "{kind}: {n} replicas x batch {} vs 1 x batch {global}, {} steps: max |dw| = {d:.3e}, max |dloss| = {dl:.3e}",
            global / n,
            STEPS_PER_EPOCH * EPOCHS
        );
        if d.is_nan() || d > TOL {
            failures.push(format!(
                "{kind}: weights differ from the one-process run by {d:e} > {TOL:e}"
            ));
        }
        if dl.is_nan() || dl > TOL {
            failures.push(format!(
                "{kind}: logged loss differs from the one-process run by {dl:e}"
            ));
        }
    }
    Ok(failures)
}

fn main() -> std::process::ExitCode {
    let strategy = match MultiWorkerMirroredStrategy::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let mut failures = Vec::new();
    // Once with the all-reduce after backward (the default), once overlapped with it
    // (small buckets, so several start during backward).
    let overlapped = MultiWorkerMirroredStrategy::from_env()
        .and_then(|s| s.bucket_cap_mb(0.01))
        .and_then(|s| s.overlap(true));
    let overlapped = match overlapped {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    for (label, s) in [("", &strategy), (" (overlap)", &overlapped)] {
        for kind in ["mlp", "cnn", "lstm"] {
            if s.is_chief() && !label.is_empty() {
                print!("overlap: ");
            }
            match check(s, kind) {
                Ok(f) => failures.extend(f),
                Err(e) => failures.push(format!("{kind}{label}: {e}")),
            }
        }
    }
    for f in &failures {
        eprintln!("rank {}: FAIL {f}", strategy.rank());
    }
    // Every rank exits with the same status.
    let all = strategy
        .communicator()
        .all_gather_u64(failures.len() as u64)
        .unwrap_or_default();
    if all.iter().any(|&c| c > 0) || all.is_empty() {
        return std::process::ExitCode::FAILURE;
    }
    if strategy.is_chief() {
        println!(
            "mpi_equivalence: ok on {} ranks",
            strategy.num_replicas_in_sync()
        );
    }
    std::process::ExitCode::SUCCESS
}
