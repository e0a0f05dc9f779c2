//! The MPI backend (feature `mpi`): the collectives on `MPI_COMM_WORLD` through the
//! `mpi` crate (rsmpi).

use std::sync::{Arc, Mutex, Weak};

use mpi::collective::SystemOperation;
use mpi::environment::Universe;
use mpi::topology::SimpleCommunicator;
use mpi::traits::Communicator as _;
use mpi::traits::*;

use crate::comm::Communicator;
use crate::{Error, Result};

/// The environment variables MPI launchers set in the processes they start (OpenMPI's
/// mpirun, MPICH's Hydra, PMIx, Slurm's srun).
const LAUNCHER_VARS: [&str; 5] = [
    "OMPI_COMM_WORLD_SIZE",
    "PMI_SIZE",
    "PMIX_RANK",
    "PMI_RANK",
    "SLURM_PROCID",
];

/// MPI can be initialized once per process; the universe lives while any strategy
/// holds it and finalizes MPI when the last one is dropped.
static UNIVERSE: Mutex<Option<Weak<Universe>>> = Mutex::new(None);

/// `MPI_COMM_WORLD` of the job this process was started in.
///
/// The communicator handle is made afresh for each call (`SimpleCommunicator::world()`
/// is a constant handle), so this type holds only the universe, which keeps MPI
/// initialized. Call the collectives from the thread that created it (MPI is
/// initialized at `MPI_THREAD_SINGLE`'s default level).
pub struct MpiCommunicator {
    _universe: Arc<Universe>,
    rank: usize,
    size: usize,
}

impl MpiCommunicator {
    /// Initializes MPI (or reuses this process's live initialization). Not started by
    /// an MPI launcher is an `Err` naming the variables looked for, rather than a
    /// silent one-process job.
    pub fn from_env() -> Result<MpiCommunicator> {
        if !LAUNCHER_VARS.iter().any(|v| std::env::var_os(v).is_some()) {
            return Err(Error::NoCluster(format!(
                "MultiWorkerMirroredStrategy::from_env: this process was not started by an \
                 MPI launcher (none of {} is set); run it under `mpirun -np N` or `srun`, \
                 or use MultiWorkerMirroredStrategy::local() for one process",
                LAUNCHER_VARS.join(", ")
            )));
        }
        let mut slot = UNIVERSE.lock().expect("universe lock");
        let universe = match slot.as_ref().and_then(Weak::upgrade) {
            Some(u) => u,
            None => {
                let u = mpi::initialize().ok_or_else(|| {
                    Error::NoCluster(
                        "MPI could not be initialized: it was already initialized (and \
                         possibly finalized) in this process by other code"
                            .into(),
                    )
                })?;
                let u = Arc::new(u);
                *slot = Some(Arc::downgrade(&u));
                u
            }
        };
        let world = universe.world();
        Ok(MpiCommunicator {
            rank: world.rank() as usize,
            size: world.size() as usize,
            _universe: universe,
        })
    }
}

fn world() -> SimpleCommunicator {
    SimpleCommunicator::world()
}

impl Communicator for MpiCommunicator {
    fn rank(&self) -> usize {
        self.rank
    }
    fn size(&self) -> usize {
        self.size
    }
    fn all_reduce_sum_f32(&self, buckets: &mut [Vec<f32>]) -> Result<()> {
        let w = world();
        let sends: Vec<Vec<f32>> = buckets.to_vec();
        mpi::request::scope(|scope| {
            // All buckets in flight together (MPI_Iallreduce), then wait for each.
            let reqs: Vec<_> = sends
                .iter()
                .zip(buckets.iter_mut())
                .map(|(s, r)| {
                    w.immediate_all_reduce_into(scope, &s[..], &mut r[..], SystemOperation::sum())
                })
                .collect();
            for r in reqs {
                r.wait();
            }
        });
        Ok(())
    }
    fn all_reduce_sum_f64(&self, buf: &mut [f64]) -> Result<()> {
        let send = buf.to_vec();
        world().all_reduce_into(&send[..], buf, SystemOperation::sum());
        Ok(())
    }
    fn broadcast_f64(&self, buf: &mut [f64], root: usize) -> Result<()> {
        world().process_at_rank(root as i32).broadcast_into(buf);
        Ok(())
    }
    fn broadcast_bytes(&self, buf: &mut Vec<u8>, root: usize) -> Result<()> {
        let w = world();
        let p = w.process_at_rank(root as i32);
        let mut len = buf.len() as u64;
        p.broadcast_into(&mut len);
        buf.resize(len as usize, 0);
        p.broadcast_into(&mut buf[..]);
        Ok(())
    }
    fn all_gather_u64(&self, value: u64) -> Result<Vec<u64>> {
        let mut out = vec![0u64; self.size];
        world().all_gather_into(&value, &mut out[..]);
        Ok(out)
    }
    fn barrier(&self) -> Result<()> {
        world().barrier();
        Ok(())
    }
}
