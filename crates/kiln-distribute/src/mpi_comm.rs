//! The MPI backend (feature `mpi`): the collectives on `MPI_COMM_WORLD` through the
//! `mpi` crate (rsmpi).

use std::sync::{mpsc, Arc, Mutex, Weak};

use mpi::collective::SystemOperation;
use mpi::environment::Threading;
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
/// The thread support MPI granted at initialization.
static THREADING: Mutex<Threading> = Mutex::new(Threading::Single);

/// `MPI_COMM_WORLD` of the job this process was started in.
///
/// The communicator handle is made afresh for each call (`SimpleCommunicator::world()`
/// is a constant handle), so this type holds only the universe, which keeps MPI
/// initialized. Call the collectives from the thread that created it (MPI is
/// initialized at `MPI_THREAD_SINGLE`'s default level).
pub struct MpiCommunicator {
    rank: usize,
    size: usize,
    /// The communication thread for buckets started during backward (present when MPI
    /// gave `MPI_THREAD_SERIALIZED`): jobs in, sums out, one at a time.
    worker: Option<Worker>,
    _universe: Arc<Universe>,
}

struct Worker {
    jobs: Option<mpsc::Sender<Vec<f32>>>,
    results: Mutex<mpsc::Receiver<Vec<f32>>>,
    pending: Mutex<usize>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Worker {
    /// The thread that runs blocking all-reduces of the buckets it is sent. The main
    /// thread makes no MPI call while a bucket is pending (it waits for all of them in
    /// `finish_all_reduce_sum_f32` first), which is what MPI_THREAD_SERIALIZED allows.
    fn spawn() -> Worker {
        let (jtx, jrx) = mpsc::channel::<Vec<f32>>();
        let (rtx, rrx) = mpsc::channel::<Vec<f32>>();
        let thread = std::thread::Builder::new()
            .name("kiln-mpi-allreduce".into())
            .spawn(move || {
                let w = SimpleCommunicator::world();
                for send in jrx {
                    let mut recv = vec![0f32; send.len()];
                    w.all_reduce_into(&send[..], &mut recv[..], SystemOperation::sum());
                    if rtx.send(recv).is_err() {
                        break;
                    }
                }
            })
            .ok();
        Worker {
            jobs: Some(jtx),
            results: Mutex::new(rrx),
            pending: Mutex::new(0),
            thread,
        }
    }
}

impl Drop for MpiCommunicator {
    fn drop(&mut self) {
        // Stop the communication thread before the universe finalizes MPI.
        if let Some(w) = &mut self.worker {
            w.jobs.take();
            if let Some(t) = w.thread.take() {
                let _ = t.join();
            }
        }
    }
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
                let u = mpi::initialize_with_threading(Threading::Serialized)
                    .map(|(u, level)| {
                        *THREADING.lock().expect("threading lock") = level;
                        u
                    })
                    .ok_or_else(|| {
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
        drop(slot);
        let world = universe.world();
        let serialized = matches!(
            *THREADING.lock().expect("threading lock"),
            Threading::Serialized | Threading::Multiple
        );
        Ok(MpiCommunicator {
            rank: world.rank() as usize,
            size: world.size() as usize,
            worker: serialized.then(Worker::spawn),
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
    fn start_all_reduce_sum_f32(&self, bucket: &[f32]) -> Result<bool> {
        let Some(w) = &self.worker else {
            return Ok(false);
        };
        let Some(jobs) = &w.jobs else {
            return Ok(false);
        };
        if w.thread.is_none() || jobs.send(bucket.to_vec()).is_err() {
            return Ok(false);
        }
        *w.pending.lock().expect("pending lock") += 1;
        Ok(true)
    }
    fn finish_all_reduce_sum_f32(&self) -> Result<Vec<Vec<f32>>> {
        let Some(w) = &self.worker else {
            return Ok(Vec::new());
        };
        let mut pending = w.pending.lock().expect("pending lock");
        let rx = w.results.lock().expect("results lock");
        let mut out = Vec::with_capacity(*pending);
        while *pending > 0 {
            let r = rx.recv().map_err(|_| {
                Error::NoCluster("the MPI communication thread ended mid all-reduce".into())
            })?;
            out.push(r);
            *pending -= 1;
        }
        Ok(out)
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
