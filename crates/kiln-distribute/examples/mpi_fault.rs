//! Faults under `mpirun -np 2`: `mpi_fault OUT_FILE BACKUP_DIR [KILL_EPOCH]`.
//!
//! Trains a small CNN-free MLP for 6 epochs with `BackupAndRestore` (one backup folder
//! per rank under BACKUP_DIR, since every replica holds the same state). With
//! KILL_EPOCH, rank 1 kills itself with SIGKILL in the middle of that epoch: the job
//! must end with an error (mpirun reports the dead rank) rather than hang. Run again
//! without KILL_EPOCH, it resumes from the last backup; rank 0 writes the final weights
//! to OUT_FILE (one number a line), to compare with an uninterrupted run's.

use kiln::callbacks::{BackupAndRestore, Callback, Logs};
use kiln::layers::Dense;
use kiln::models::{CompileArgs, FitArgs, Model};
use kiln::optimizers::Adam;
use kiln_distribute::MultiWorkerMirroredStrategy;
use kiln_tensor::random::Generator;
use kiln_tensor::DType;

/// Kills this process (SIGKILL: no cleanup, no MPI_Finalize) at `epoch`, batch 3.
struct Killer {
    epoch: usize,
    current: usize,
}

impl Callback for Killer {
    fn on_epoch_begin(&mut self, _m: &mut Model, epoch: usize, _l: &Logs) -> kiln::Result<()> {
        self.current = epoch;
        Ok(())
    }
    fn on_train_batch_begin(
        &mut self,
        _m: &mut Model,
        batch: usize,
        _l: &Logs,
    ) -> kiln::Result<()> {
        if self.current == self.epoch && batch == 3 {
            eprintln!(
                "rank 1: killing myself (SIGKILL) at epoch {} batch {batch}",
                self.epoch
            );
            let _ = std::process::Command::new("kill")
                .args(["-9", &std::process::id().to_string()])
                .status();
            std::thread::sleep(std::time::Duration::from_secs(600));
        }
        Ok(())
    }
}

/// Records the first epoch `fit` runs (later than 0 when BackupAndRestore resumed).
struct FirstEpoch(std::sync::Arc<std::sync::Mutex<Option<usize>>>);

impl Callback for FirstEpoch {
    fn on_epoch_begin(&mut self, _m: &mut Model, epoch: usize, _l: &Logs) -> kiln::Result<()> {
        self.0.lock().expect("lock").get_or_insert(epoch);
        Ok(())
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (out, backup) = match (args.get(1), args.get(2)) {
        (Some(o), Some(b)) => (o.clone(), b.clone()),
        _ => return Err("usage: mpi_fault OUT_FILE BACKUP_DIR [KILL_EPOCH]".into()),
    };
    let kill: Option<usize> = args.get(3).map(|s| s.parse()).transpose()?;
    let strategy = MultiWorkerMirroredStrategy::from_env()?;
    let rank = strategy.rank();
    let mut g = Generator::from_seed(3);
    let x = g.normal(&[256, 10], 0.0, 1.0, DType::F32)?;
    let y = g.uniform(&[256], 0.0, 3.0, DType::I32)?;
    kiln::utils::set_random_seed(5);
    let mut m = Model::sequential(vec![
        Dense::new(32).activation("relu").input_shape(&[10]).into(),
        Dense::new(3).activation("softmax").into(),
    ])?;
    m.compile(
        CompileArgs::new()
            .optimizer(Adam::new(1e-2))
            .loss("sparse_categorical_crossentropy")
            .metrics(["accuracy"]),
    )?;
    strategy.scope(&mut m)?;
    let shard = strategy.shard_tensors(&[x, y], false)?;
    let mut callbacks: Vec<Box<dyn Callback>> = vec![Box::new(BackupAndRestore::new(
        std::path::Path::new(&backup).join(format!("rank{rank}")),
    ))];
    let first = std::sync::Arc::new(std::sync::Mutex::new(None));
    callbacks.push(Box::new(FirstEpoch(first.clone())));
    if let (Some(e), 1) = (kill, rank) {
        callbacks.push(Box::new(Killer {
            epoch: e,
            current: 0,
        }));
    }
    let batch = strategy.per_replica_batch_size(32)?;
    m.fit(
        &shard[0],
        &shard[1],
        FitArgs::new()
            .batch_size(batch)
            .epochs(6)
            .shuffle(false)
            .verbose(0)
            .callbacks(callbacks),
    )?;
    if rank == 0 {
        let first = first.lock().expect("lock").unwrap_or(0);
        println!("mpi_fault: trained epochs {first}..6");
        let text: String = m
            .get_weights()
            .iter()
            .flat_map(|t| t.to_f64_vec())
            .map(|v| format!("{v:e}\n"))
            .collect();
        std::fs::write(&out, text)?;
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
