//! Bad input under `mpirun -np 2`: each must be an `Err` on every rank, never a hang.
//! - ranks that build models of different shapes (detected at the weight broadcast);
//! - ranks that build different numbers of variables;
//! - a global batch that does not divide by the number of replicas.

use kiln::layers::Dense;
use kiln::models::Model;
use kiln_distribute::{Error, MultiWorkerMirroredStrategy};

fn main() -> std::process::ExitCode {
    let strategy = match MultiWorkerMirroredStrategy::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let rank = strategy.rank();
    let mut failures = Vec::new();

    // Shapes differ on rank 1: Dense(5) instead of Dense(4).
    let units = if rank == 1 { 5 } else { 4 };
    let mut m = Model::sequential(vec![Dense::new(units).input_shape(&[3]).into()]).unwrap();
    match strategy.scope(&mut m) {
        Err(
            e @ Error::StructureMismatch {
                rank: 1, index: 0, ..
            },
        ) => {
            if rank == 0 {
                println!("shape mismatch: {e}");
            }
            if !e.to_string().contains("'kernel' [3, 4]") {
                failures.push(format!("the error does not name rank 0's kernel: {e}"));
            }
        }
        other => failures.push(format!(
            "shape mismatch: expected StructureMismatch, got {:?}",
            other.err()
        )),
    }

    // Rank 1 has one more layer.
    let mut layers = vec![Dense::new(4).input_shape(&[3]).into()];
    if rank == 1 {
        layers.push(Dense::new(2).into());
    }
    let mut m = Model::sequential(layers).unwrap();
    match strategy.scope(&mut m) {
        Err(
            e @ Error::StructureMismatch {
                rank: 1, index: 2, ..
            },
        ) => {
            if rank == 0 {
                println!("extra layer: {e}");
            }
            if !e.to_string().contains("no variable") {
                failures.push(format!(
                    "the error does not say rank 0 has no variable there: {e}"
                ));
            }
        }
        other => failures.push(format!(
            "extra layer: expected StructureMismatch, got {:?}",
            other.err()
        )),
    }

    // A global batch of 7 over 2 replicas.
    match strategy.per_replica_batch_size(7) {
        Err(e) => {
            if rank == 0 {
                println!("global batch 7: {e}");
            }
        }
        Ok(b) => failures.push(format!("global batch 7 gave {b} per replica")),
    }

    for f in &failures {
        eprintln!("rank {rank}: FAIL {f}");
    }
    let all = strategy
        .communicator()
        .all_gather_u64(failures.len() as u64)
        .unwrap_or_default();
    if all.is_empty() || all.iter().any(|&c| c > 0) {
        return std::process::ExitCode::FAILURE;
    }
    if rank == 0 {
        println!("mpi_bad_input: ok");
    }
    std::process::ExitCode::SUCCESS
}
