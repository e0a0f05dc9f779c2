//! Scaling of the seed CNN (`kiln train --model cnn`'s layers) under `mpirun -np N`:
//! `mpi_scaling [SAMPLES] [BUCKET_MB] [on|off]` (the last: overlap) trains one epoch of SAMPLES synthetic 28x28x1
//! images (default 6400) at global batch 64 and prints, on rank 0, one JSON line with
//! the epoch time, samples per second, and the time and share of the epoch spent in the
//! gradient all-reduce (packing, MPI_Iallreduce of every bucket, waiting, unpacking).
//! Set `KILN_NUM_THREADS=1` for one thread per rank.
//!
//! ```text
//! cargo build --release -p kiln-distribute --features mpi --example mpi_scaling
//! KILN_NUM_THREADS=1 mpirun -np 1 target/release/examples/mpi_scaling
//! KILN_NUM_THREADS=1 mpirun -np 2 target/release/examples/mpi_scaling
//! ```

use std::time::Instant;

use kiln::layers::{Conv2D, Dense, Flatten, MaxPooling2D};
use kiln::models::{CompileArgs, FitArgs, Model};
use kiln::optimizers::Adam;
use kiln_distribute::MultiWorkerMirroredStrategy;
use kiln_tensor::random::Generator;
use kiln_tensor::DType;

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let samples: usize = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(6400);
    let bucket_mb: f64 = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(25.0);
    let overlap = args.get(3).is_some_and(|s| s == "on");
    let strategy = MultiWorkerMirroredStrategy::from_env()?
        .bucket_cap_mb(bucket_mb)?
        .overlap(overlap)?;
    let mut g = Generator::from_seed(0);
    let x = g.uniform(&[samples, 28, 28, 1], 0.0, 1.0, DType::F32)?;
    let y = g.uniform(&[samples], 0.0, 10.0, DType::I32)?;
    kiln::utils::set_random_seed(42);
    let mut m = Model::sequential(vec![
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
    ])?;
    m.compile(
        CompileArgs::new()
            .optimizer(Adam::new(1e-3))
            .loss("sparse_categorical_crossentropy")
            .metrics(["accuracy"]),
    )?;
    strategy.scope(&mut m)?;
    let batch = strategy.per_replica_batch_size(64)?;
    let shard = strategy.shard_tensors(&[x, y], false)?;
    // Warm-up: a few steps (allocations, first-call costs).
    let wx = shard[0].slice(&[0, 0, 0, 0], &[(batch * 4) as isize, -1, -1, -1])?;
    let wy = shard[1].slice(&[0], &[(batch * 4) as isize])?;
    m.fit(
        &wx,
        &wy,
        FitArgs::new().batch_size(batch).epochs(1).verbose(0),
    )?;
    strategy.communicator().barrier()?;
    strategy.reset_stats();
    let t0 = Instant::now();
    m.fit(
        &shard[0],
        &shard[1],
        FitArgs::new().batch_size(batch).epochs(1).verbose(0),
    )?;
    strategy.communicator().barrier()?;
    let epoch_s = t0.elapsed().as_secs_f64();
    let st = strategy.stats();
    let reduce_s = st.reduce_time.as_secs_f64();
    if strategy.is_chief() {
        println!(
            "{{\"workload\": \"cnn_epoch_mpi\", \"replicas\": {}, \"threads_per_rank\": \"{}\", \"samples\": {samples}, \"global_batch\": 64, \"bucket_mb\": {bucket_mb}, \"overlap\": {overlap}, \"steps\": {}, \"buckets_per_step\": {:.1}, \"epoch_s\": {epoch_s:.3}, \"samples_per_s\": {:.1}, \"allreduce_s\": {reduce_s:.3}, \"allreduce_share\": {:.4}}}",
            strategy.num_replicas_in_sync(),
            std::env::var("KILN_NUM_THREADS").unwrap_or_else(|_| "default".into()),
            st.steps,
            st.buckets as f64 / st.steps.max(1) as f64,
            samples as f64 / epoch_s,
            reduce_s / epoch_s
        );
    }
    Ok(())
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
