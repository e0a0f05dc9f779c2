//! Peer parity with PyTorch DDP (run under `mpirun -np 2`): the fixture of
//! `tools/golden/gen_ddp_parity.py` (DDP, gloo, 2 processes, DistributedSampler without
//! shuffling, SGD(0.1, momentum 0.9), batch 8 per process, 20 steps) trained again by
//! kiln's strategy from the same initial weights and data must end at the same weights
//! (1e-5).

use kiln::layers::Dense;
use kiln::losses::SparseCategoricalCrossentropy;
use kiln::models::{CompileArgs, FitArgs, Model};
use kiln::optimizers::SGD;
use kiln_distribute::MultiWorkerMirroredStrategy;
use kiln_tensor::Tensor;

type AnyResult<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn tensor(v: &serde_json::Value) -> AnyResult<Tensor> {
    fn walk(v: &serde_json::Value, shape: &mut Vec<usize>, out: &mut Vec<f32>, depth: usize) {
        match v {
            serde_json::Value::Array(a) => {
                if shape.len() == depth {
                    shape.push(a.len());
                }
                for x in a {
                    walk(x, shape, out, depth + 1);
                }
            }
            x => out.push(x.as_f64().unwrap_or(f64::NAN) as f32),
        }
    }
    let (mut shape, mut out) = (Vec::new(), Vec::new());
    walk(v, &mut shape, &mut out, 0);
    Ok(Tensor::from_vec(out, &shape)?)
}

fn run(strategy: &MultiWorkerMirroredStrategy) -> AnyResult<f64> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tools/golden/fixtures/ddp_parity.json"
    );
    let fx: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let world = fx["world_size"].as_u64().unwrap_or(0) as usize;
    if world != strategy.num_replicas_in_sync() {
        return Err(format!(
            "the fixture was made with {world} processes; run this with mpirun -np {world}"
        )
        .into());
    }
    let b = fx["batch_per_rank"].as_u64().unwrap_or(0) as usize;
    let lr = fx["lr"].as_f64().unwrap_or(0.0);
    let momentum = fx["momentum"].as_f64().unwrap_or(0.0);
    let x = tensor(&fx["x"])?;
    let y = tensor(&fx["y"])?.cast(kiln_tensor::DType::I32)?;
    let initial: Vec<Tensor> = fx["initial"]
        .as_array()
        .ok_or("initial")?
        .iter()
        .map(tensor)
        .collect::<AnyResult<_>>()?;
    let mut m = Model::sequential(vec![
        Dense::new(16).activation("relu").input_shape(&[8]).into(),
        Dense::new(3).into(),
    ])?;
    m.compile(
        CompileArgs::new()
            .optimizer(SGD::new(lr).momentum(momentum))
            .loss(SparseCategoricalCrossentropy::new().from_logits(true)),
    )?;
    m.set_weights(&initial)?;
    strategy.scope(&mut m)?;
    let shard = strategy.shard_tensors(&[x, y], false)?;
    m.fit(
        &shard[0],
        &shard[1],
        FitArgs::new()
            .batch_size(b)
            .epochs(1)
            .shuffle(false)
            .verbose(0),
    )?;
    let mut d = 0f64;
    let finals = fx["final"].as_array().ok_or("final")?;
    for (w, f) in m.get_weights().iter().zip(finals) {
        let f = tensor(f)?;
        for (a, b) in w.to_f64_vec().iter().zip(f.to_f64_vec()) {
            d = d.max((a - b).abs());
        }
    }
    Ok(d)
}

fn main() -> std::process::ExitCode {
    let strategy = match MultiWorkerMirroredStrategy::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match run(&strategy) {
        Ok(d) if d <= 1e-5 => {
            if strategy.is_chief() {
                println!(
                    "mpi_ddp_parity: max |w_kiln - w_ddp| = {d:.3e} after 20 steps (tol 1e-5): ok"
                );
            }
            std::process::ExitCode::SUCCESS
        }
        Ok(d) => {
            eprintln!(
                "rank {}: FAIL max |w_kiln - w_ddp| = {d:e} > 1e-5",
                strategy.rank()
            );
            std::process::ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("rank {}: FAIL {e}", strategy.rank());
            std::process::ExitCode::FAILURE
        }
    }
}
