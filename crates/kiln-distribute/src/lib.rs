//! Data-parallel training for kiln across processes, on MPI
//! (`tf.distribute.MultiWorkerMirroredStrategy`, PyTorch's `DistributedDataParallel`).
//!
//! Start one process per replica with `mpirun -np N` (OpenMPI, MPICH) or `srun`; each
//! builds the same model, joins the job with
//! [`MultiWorkerMirroredStrategy::from_env`] and puts the model under the strategy with
//! [`MultiWorkerMirroredStrategy::scope`]. `fit` then trains every replica on its own
//! shard and averages gradients with all-reduce before each optimizer step.
//!
//! The MPI backend is the `mpi` cargo feature (off by default); everything else (the
//! strategy, [`DistributedSampler`], sharding, the single-process
//! [`LocalCommunicator`]) builds and runs without MPI.

mod comm;
mod error;
#[cfg(feature = "mpi")]
mod mpi_comm;
mod sampler;
mod strategy;

pub use comm::{Communicator, LocalCommunicator};
pub use error::{Error, Result};
#[cfg(feature = "mpi")]
pub use mpi_comm::MpiCommunicator;
pub use sampler::DistributedSampler;
pub use strategy::{shard_dataset, MultiWorkerMirroredStrategy, ReduceOp, ReduceStats};
