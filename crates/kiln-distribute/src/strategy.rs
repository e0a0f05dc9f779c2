//! `MultiWorkerMirroredStrategy`: synchronous data parallelism, one replica per process.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kiln::callbacks::{Callback, Logs};
use kiln::models::{DistributeHook, Model};
use kiln_data::dataset::Dataset;
use kiln_tensor::{DType, Tensor, Variable};

use crate::comm::{Communicator, LocalCommunicator};
use crate::sampler::DistributedSampler;
use crate::{Error, Result};

/// How `strategy.reduce` combines the replicas' values (`tf.distribute.ReduceOp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReduceOp {
    /// The sum over replicas.
    Sum,
    /// The mean over replicas.
    Mean,
}

/// Time spent in gradient all-reduce, summed over the steps since the strategy was made
/// (or since [`MultiWorkerMirroredStrategy::reset_stats`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct ReduceStats {
    /// Steps whose gradients were all-reduced.
    pub steps: u64,
    /// Buckets all-reduced.
    pub buckets: u64,
    /// Gradient elements all-reduced.
    pub elements: u64,
    /// Wall time in the all-reduce calls (packing, communication including waiting for
    /// the slowest replica, unpacking).
    pub reduce_time: Duration,
}

/// What the model's hook and the strategy share.
struct Shared {
    comm: Arc<dyn Communicator>,
    bucket_elems: usize,
    /// Start buckets during backward ([`MultiWorkerMirroredStrategy::overlap`]).
    overlap: bool,
    stats: Mutex<ReduceStats>,
    step: Mutex<StepBuckets>,
}

/// The buckets of the step in progress when they fill during backward.
#[derive(Default)]
struct StepBuckets {
    /// The bucket being filled.
    current: Vec<f32>,
    /// Closed buckets: `None` when handed to the communicator's thread, else the data
    /// (to all-reduce after backward).
    closed: Vec<Option<Vec<f32>>>,
    /// (gradient index, bucket, offset, shape) of each gradient packed.
    records: Vec<(usize, usize, usize, Vec<usize>)>,
    /// Time spent packing and starting buckets during backward.
    time: Duration,
}

fn f32_values(i: usize, g: &Tensor) -> Result<Vec<f32>> {
    match g.dtype() {
        DType::F32 => Ok(g.to_vec::<f32>()?),
        other => Err(Error::InvalidArgument {
            api: "MultiWorkerMirroredStrategy",
            msg: format!(
                "gradient #{i} has dtype {other:?}; the gradient all-reduce supports float32 \
                 gradients only"
            ),
        }),
    }
}

impl Shared {
    /// Averages the gradients across replicas, in buckets of `bucket_elems` elements
    /// (PyTorch DDP's `bucket_cap_mb`), filled in reverse variable order as DDP does
    /// (the last layers' gradients come first out of backward).
    /// During backward: packs the complete gradient `i` into the current bucket and
    /// starts the bucket on the communicator's thread when it is full.
    fn gradient_ready(&self, i: usize, g: &Tensor) -> Result<()> {
        let t0 = Instant::now();
        let mut st = self.step.lock().expect("step lock");
        let vals = f32_values(i, g)?;
        if !st.current.is_empty() && st.current.len() + vals.len() > self.bucket_elems {
            self.close_bucket(&mut st)?;
        }
        let (b, off) = (st.closed.len(), st.current.len());
        st.records.push((i, b, off, g.shape().to_vec()));
        st.current.extend_from_slice(&vals);
        st.time += t0.elapsed();
        Ok(())
    }

    fn close_bucket(&self, st: &mut StepBuckets) -> Result<()> {
        let b = std::mem::take(&mut st.current);
        let started = self.comm.size() > 1 && self.comm.start_all_reduce_sum_f32(&b)?;
        st.closed.push(if started { None } else { Some(b) });
        Ok(())
    }

    /// After backward, with buckets filled by [`Shared::gradient_ready`]: starts the
    /// last one, waits for all, and writes the means into `grads`.
    fn finish_overlapped(&self, grads: &mut [Option<Tensor>]) -> Result<()> {
        let t0 = Instant::now();
        let mut st = std::mem::take(&mut *self.step.lock().expect("step lock"));
        let present = grads.iter().filter(|g| g.is_some()).count();
        if present != st.records.len() {
            // Drain what was started so the next collective lines up, then refuse.
            self.comm.finish_all_reduce_sum_f32()?;
            return Err(Error::InvalidArgument {
                api: "MultiWorkerMirroredStrategy",
                msg: format!(
                    "{} gradients were reported ready during backward but {present} came out \
                     of it; expected the same",
                    st.records.len()
                ),
            });
        }
        if !st.current.is_empty() {
            self.close_bucket(&mut st)?;
        }
        let n = self.comm.size();
        let mut started = self.comm.finish_all_reduce_sum_f32()?.into_iter();
        let mut sync: Vec<Vec<f32>> = Vec::new();
        let mut which: Vec<usize> = Vec::new();
        for (k, b) in st.closed.iter_mut().enumerate() {
            if let Some(data) = b.take() {
                sync.push(data);
                which.push(k);
            }
        }
        if n > 1 && !sync.is_empty() {
            self.comm.all_reduce_sum_f32(&mut sync)?;
        }
        let mut buckets: Vec<Option<Vec<f32>>> = vec![None; st.closed.len()];
        for (k, data) in which.into_iter().zip(sync) {
            buckets[k] = Some(data);
        }
        let buckets: Vec<Vec<f32>> = buckets
            .into_iter()
            .map(|b| match b {
                Some(b) => Ok(b),
                None => started.next().ok_or_else(|| {
                    Error::NoCluster("an all-reduce bucket came back missing".into())
                }),
            })
            .collect::<Result<_>>()?;
        let scale = 1.0 / n as f32;
        let mut elements = 0u64;
        for (i, b, off, shape) in st.records {
            let len: usize = shape.iter().product();
            let vals: Vec<f32> = buckets[b][off..off + len]
                .iter()
                .map(|v| v * scale)
                .collect();
            elements += len as u64;
            grads[i] = Some(Tensor::from_vec(vals, &shape)?);
        }
        let mut s = self.stats.lock().expect("stats lock");
        s.steps += 1;
        s.buckets += buckets.len() as u64;
        s.elements += elements;
        s.reduce_time += st.time + t0.elapsed();
        Ok(())
    }

    fn mean_gradients(&self, grads: &mut [Option<Tensor>]) -> Result<()> {
        if !self.step.lock().expect("step lock").records.is_empty() {
            return self.finish_overlapped(grads);
        }
        let t0 = Instant::now();
        let n = self.comm.size();
        let mut order = Vec::new();
        let mut buckets: Vec<Vec<f32>> = vec![Vec::new()];
        for (i, g) in grads.iter().enumerate().rev() {
            let Some(g) = g else { continue };
            let vals = f32_values(i, g)?;
            let last = buckets.last_mut().expect("one bucket");
            if !last.is_empty() && last.len() + vals.len() > self.bucket_elems {
                buckets.push(vals);
            } else {
                last.extend_from_slice(&vals);
            }
            order.push((i, buckets.len() - 1));
        }
        if order.is_empty() {
            return Ok(());
        }
        if n > 1 {
            self.comm.all_reduce_sum_f32(&mut buckets)?;
        }
        let scale = 1.0 / n as f32;
        let mut offsets = vec![0usize; buckets.len()];
        for (i, b) in order {
            let g = grads[i].as_ref().expect("listed gradients are present");
            let len = g.numel();
            let off = offsets[b];
            let vals: Vec<f32> = buckets[b][off..off + len]
                .iter()
                .map(|v| v * scale)
                .collect();
            offsets[b] += len;
            grads[i] = Some(Tensor::from_vec(vals, g.shape())?);
        }
        let mut st = self.stats.lock().expect("stats lock");
        st.steps += 1;
        st.buckets += buckets.len() as u64;
        st.elements += buckets.iter().map(|b| b.len() as u64).sum::<u64>();
        st.reduce_time += t0.elapsed();
        Ok(())
    }

    fn mean_logs(&self, logs: Logs) -> Result<Logs> {
        let n = self.comm.size();
        if n == 1 {
            return Ok(logs);
        }
        let mut vals: Vec<f64> = logs.iter().map(|(_, v)| v).collect();
        self.comm.all_reduce_sum_f64(&mut vals)?;
        let mut out = Logs::new();
        for ((name, _), v) in logs.iter().zip(vals) {
            out.insert(name, v / n as f64);
        }
        Ok(out)
    }
}

/// The hook the strategy installs on a model (see [`DistributeHook`]).
struct MirroredHook(Arc<Shared>);

impl DistributeHook for MirroredHook {
    fn reduce_gradients(
        &mut self,
        grads: &mut [Option<Tensor>],
        _vars: &[Variable],
    ) -> kiln::Result<()> {
        Ok(self.0.mean_gradients(grads)?)
    }
    fn reduce_logs(&mut self, logs: Logs) -> kiln::Result<Logs> {
        Ok(self.0.mean_logs(logs)?)
    }
    fn is_chief(&self) -> bool {
        self.0.comm.rank() == 0
    }
    fn overlap(&self) -> bool {
        self.0.overlap
    }
    fn gradient_ready(&mut self, index: usize, grad: &Tensor) -> kiln::Result<()> {
        Ok(self.0.gradient_ready(index, grad)?)
    }
}

/// Synchronous data-parallel training across processes
/// (`tf.distribute.MultiWorkerMirroredStrategy`, PyTorch's `DistributedDataParallel`):
/// every process holds a full replica of the model, trains on its own shard of each
/// global batch, and the replicas average their gradients with an all-reduce before
/// every optimizer step, so they stay identical.
///
/// - [`MultiWorkerMirroredStrategy::from_env`] joins the replicas started by `mpirun`
///   or `srun` (feature `mpi`); [`MultiWorkerMirroredStrategy::local`] is one replica
///   on its own (the same code, no MPI).
/// - [`MultiWorkerMirroredStrategy::scope`] (Keras's `with strategy.scope()` around
///   the model) broadcasts rank 0's initial weights after checking that every replica
///   built the same variables, and installs the gradient and metric all-reduce in the
///   model's `fit`/`evaluate`.
/// - The data: [`MultiWorkerMirroredStrategy::shard_tensors`] and
///   [`MultiWorkerMirroredStrategy::distribute_dataset`] give each replica its share
///   (PyTorch's `DistributedSampler` rules); pass `fit` the per-replica batch size
///   ([`MultiWorkerMirroredStrategy::per_replica_batch_size`]).
/// - Only rank 0 prints the progress bar; give checkpoint, TensorBoard and saving
///   callbacks to [`MultiWorkerMirroredStrategy::chief_callbacks`].
/// - Custom loops: [`MultiWorkerMirroredStrategy::reduce`] and
///   [`MultiWorkerMirroredStrategy::apply_gradients`].
///
/// ```
/// use kiln::layers::Dense;
/// use kiln::models::{CompileArgs, FitArgs, Model};
/// use kiln_distribute::MultiWorkerMirroredStrategy;
/// use kiln_tensor::Tensor;
///
/// // Under `mpirun -np N` this would be `MultiWorkerMirroredStrategy::from_env()?`.
/// let strategy = MultiWorkerMirroredStrategy::local();
/// let mut model = Model::sequential(vec![Dense::new(1).input_shape(&[2]).into()])?;
/// model.compile(CompileArgs::new().optimizer("sgd").loss("mse"))?;
/// strategy.scope(&mut model)?;
/// let x = Tensor::from_vec((0..32).map(|i| i as f32 / 32.0).collect(), &[16, 2])?;
/// let y = x.slice(&[0, 0], &[-1, 1])?;
/// let shard = strategy.shard_tensors(&[x, y], false)?;
/// let batch = strategy.per_replica_batch_size(8)?;
/// let h = model.fit(&shard[0], &shard[1], FitArgs::new().batch_size(batch).epochs(2).verbose(0))?;
/// assert_eq!(h.get("loss").len(), 2);
/// # Ok::<(), kiln_distribute::Error>(())
/// ```
pub struct MultiWorkerMirroredStrategy {
    shared: Arc<Shared>,
}

/// DDP's default bucket: 25 MiB of float32.
const DEFAULT_BUCKET_ELEMS: usize = 25 * 1024 * 1024 / 4;

impl MultiWorkerMirroredStrategy {
    /// A strategy over any communicator.
    pub fn with_communicator(comm: Arc<dyn Communicator>) -> MultiWorkerMirroredStrategy {
        MultiWorkerMirroredStrategy {
            shared: Arc::new(Shared {
                comm,
                bucket_elems: DEFAULT_BUCKET_ELEMS,
                overlap: false,
                stats: Mutex::new(ReduceStats::default()),
                step: Mutex::new(StepBuckets::default()),
            }),
        }
    }

    /// One replica in this process (no MPI).
    pub fn local() -> MultiWorkerMirroredStrategy {
        MultiWorkerMirroredStrategy::with_communicator(Arc::new(LocalCommunicator))
    }

    /// The replicas of an MPI job (`mpirun -np N prog` or `srun prog`): initializes MPI
    /// and uses `MPI_COMM_WORLD`. Not started by a launcher (no `OMPI_COMM_WORLD_SIZE`,
    /// `PMI_SIZE`, `PMIX_RANK` or `SLURM_PROCID` in the environment), or MPI already
    /// initialized in this process, is an `Err`; so is a build without the `mpi`
    /// feature.
    pub fn from_env() -> Result<MultiWorkerMirroredStrategy> {
        #[cfg(feature = "mpi")]
        {
            let comm = crate::mpi_comm::MpiCommunicator::from_env()?;
            Ok(MultiWorkerMirroredStrategy::with_communicator(Arc::new(
                comm,
            )))
        }
        #[cfg(not(feature = "mpi"))]
        {
            Err(Error::NoCluster(
                "MultiWorkerMirroredStrategy::from_env: kiln-distribute was built without \
                 the `mpi` feature; rebuild with `--features mpi` (needs an MPI library, e.g. \
                 Debian's libopenmpi-dev)"
                    .into(),
            ))
        }
    }

    /// The bucket size of the gradient all-reduce, in MiB of float32 (PyTorch DDP's
    /// `bucket_cap_mb`, default 25). Smaller buckets mean more, smaller messages.
    pub fn bucket_cap_mb(self, mb: f64) -> Result<MultiWorkerMirroredStrategy> {
        if !(mb > 0.0 && mb.is_finite()) {
            return Err(Error::InvalidArgument {
                api: "MultiWorkerMirroredStrategy.bucket_cap_mb",
                msg: format!("expected a positive size in MiB, got {mb}"),
            });
        }
        let shared = Arc::try_unwrap(self.shared).map_err(|_| Error::InvalidArgument {
            api: "MultiWorkerMirroredStrategy.bucket_cap_mb",
            msg: "set the bucket size before the strategy's scope is installed on a model".into(),
        })?;
        let bucket_elems = ((mb * 1024.0 * 1024.0 / 4.0) as usize).max(1);
        Ok(MultiWorkerMirroredStrategy {
            shared: Arc::new(Shared {
                bucket_elems,
                ..shared
            }),
        })
    }

    /// Whether buckets start all-reducing during the backward pass, as soon as their
    /// gradients are complete (PyTorch DDP's overlap), or only after
    /// backward (the default). Either way the means are the same; the MPI backend
    /// overlaps when MPI grants `MPI_THREAD_SERIALIZED` (it runs the all-reduces on a
    /// thread of its own, which needs a spare core: on a 2-core machine with 2 ranks it
    /// made the CNN epoch slower, see bench/RESULTS.md, hence off by default).
    pub fn overlap(self, on: bool) -> Result<MultiWorkerMirroredStrategy> {
        let shared = Arc::try_unwrap(self.shared).map_err(|_| Error::InvalidArgument {
            api: "MultiWorkerMirroredStrategy.overlap",
            msg: "set overlap before the strategy's scope is installed on a model".into(),
        })?;
        Ok(MultiWorkerMirroredStrategy {
            shared: Arc::new(Shared {
                overlap: on,
                ..shared
            }),
        })
    }

    /// The number of replicas (`strategy.num_replicas_in_sync`).
    pub fn num_replicas_in_sync(&self) -> usize {
        self.shared.comm.size()
    }

    /// This replica's rank (`0..num_replicas_in_sync`).
    pub fn rank(&self) -> usize {
        self.shared.comm.rank()
    }

    /// Whether this replica is the chief (rank 0), the one that logs and saves.
    pub fn is_chief(&self) -> bool {
        self.rank() == 0
    }

    /// The communicator (for collectives of your own).
    pub fn communicator(&self) -> &dyn Communicator {
        self.shared.comm.as_ref()
    }

    /// The gradient all-reduce time so far.
    pub fn stats(&self) -> ReduceStats {
        *self.shared.stats.lock().expect("stats lock")
    }

    /// Zeroes [`MultiWorkerMirroredStrategy::stats`].
    pub fn reset_stats(&self) {
        *self.shared.stats.lock().expect("stats lock") = ReduceStats::default();
    }

    /// Puts `model` under the strategy (Keras's `with strategy.scope():`): broadcasts
    /// rank 0's weights (after [`MultiWorkerMirroredStrategy::broadcast_weights`]'s
    /// structure check) and installs the gradient and metric all-reduce in the model's
    /// training loop. Call it after building the model (before or after `compile`).
    /// `jit_compile` models are refused by `fit`.
    pub fn scope(&self, model: &mut Model) -> Result<()> {
        self.broadcast_weights(model)?;
        model.set_distribution(MirroredHook(self.shared.clone()));
        Ok(())
    }

    /// Copies rank 0's values of every model variable (trainable or not) to every
    /// replica. First every replica checks its variables (count, names without the
    /// layer prefix, shapes, dtypes)
    /// against rank 0's: if any replica differs, every replica returns
    /// [`Error::StructureMismatch`] naming the first rank and variable that differ, and
    /// no weights move (all replicas make the same collective calls either way, so a
    /// mismatch cannot hang the job).
    pub fn broadcast_weights(&self, model: &Model) -> Result<()> {
        let comm = &self.shared.comm;
        let vars = model.weights();
        // Variables are compared by their own name (`kernel`), shape and dtype: the
        // layer prefix (`dense_3/`) comes from a per-process counter that differs when
        // ranks built other models before.
        let mine: Vec<String> = vars
            .iter()
            .map(|v| {
                let short = v.name().rsplit('/').next().unwrap_or_default();
                format!("'{short}' {:?} {:?}", v.shape(), v.dtype())
            })
            .collect();
        let mut root_sig = mine.join("\n").into_bytes();
        comm.broadcast_bytes(&mut root_sig, 0)?;
        let root_text = String::from_utf8_lossy(&root_sig).into_owned();
        let root: Vec<&str> = if root_text.is_empty() {
            Vec::new()
        } else {
            root_text.split('\n').collect()
        };
        let first_diff = (0..mine.len().max(root.len()))
            .find(|&i| mine.get(i).map(String::as_str) != root.get(i).copied());
        let all = comm.all_gather_u64(first_diff.map_or(u64::MAX, |i| i as u64))?;
        if let Some((rank, &idx)) = all.iter().enumerate().find(|(_, i)| **i != u64::MAX) {
            let index = idx as usize;
            let expected = root
                .get(index)
                .map_or("no variable".to_string(), |s| s.to_string());
            let got = if rank == comm.rank() {
                mine.get(index)
                    .cloned()
                    .unwrap_or_else(|| "no variable".into())
            } else {
                "different (see that rank's error)".into()
            };
            return Err(Error::StructureMismatch {
                rank,
                index,
                expected,
                got,
            });
        }
        if comm.size() == 1 {
            return Ok(());
        }
        let mut flat: Vec<f64> = Vec::new();
        for v in &vars {
            flat.extend(v.value().to_f64_vec());
        }
        comm.broadcast_f64(&mut flat, 0)?;
        let mut off = 0;
        for v in &vars {
            let shape = v.shape();
            let len: usize = shape.iter().product();
            let t = Tensor::from_vec(flat[off..off + len].to_vec(), &shape)?.cast(v.dtype())?;
            off += len;
            v.assign(&t)?;
        }
        Ok(())
    }

    /// This replica's share of the rows of `tensors` (all with the same number of rows):
    /// [`DistributedSampler`]'s rows for this rank, unshuffled (`fit`'s `shuffle` then
    /// shuffles within the share each epoch). `drop_last = false` pads the last round
    /// by wrapping around; `true` drops it.
    pub fn shard_tensors(&self, tensors: &[Tensor], drop_last: bool) -> Result<Vec<Tensor>> {
        let api = "MultiWorkerMirroredStrategy.shard_tensors";
        let n = match tensors.first() {
            Some(t) => *t.shape().first().ok_or_else(|| Error::InvalidArgument {
                api,
                msg: "tensor 0 is a scalar; expected a leading sample axis".into(),
            })?,
            None => return Ok(Vec::new()),
        };
        for (i, t) in tensors.iter().enumerate() {
            if t.shape().first() != Some(&n) {
                return Err(Error::InvalidArgument {
                    api,
                    msg: format!(
                        "tensor {i} has shape {:?}; expected {n} rows as tensor 0",
                        t.shape()
                    ),
                });
            }
        }
        let idx = self.sampler(n)?.drop_last(drop_last).indices(0);
        if idx.is_empty() {
            return Err(Error::InvalidArgument {
                api,
                msg: format!(
                    "{n} samples leave rank {} none of {} replicas; expected at least one \
                     sample per replica",
                    self.rank(),
                    self.num_replicas_in_sync()
                ),
            });
        }
        let ids = Tensor::from_vec(
            idx.iter().map(|&i| i as i64).collect::<Vec<_>>(),
            &[idx.len()],
        )?;
        tensors.iter().map(|t| Ok(t.gather(&ids, 0)?)).collect()
    }

    /// A [`DistributedSampler`] of `len` samples for this replica.
    pub fn sampler(&self, len: usize) -> Result<DistributedSampler> {
        DistributedSampler::new(len, self.num_replicas_in_sync(), self.rank())
    }

    /// This replica's share of a dataset of elements (before batching): elements `rank,
    /// rank + n, ...` (`tf.data.Dataset.shard(num_workers, worker_index)`, as
    /// `experimental_distribute_dataset` does with `AutoShardPolicy.DATA`). Batch the
    /// result with the per-replica batch size.
    pub fn distribute_dataset(&self, dataset: &Dataset) -> Dataset {
        shard_dataset(dataset, self.num_replicas_in_sync(), self.rank())
    }

    /// The batch each replica runs for a global batch of `global` samples; a global
    /// batch not divisible by the number of replicas is an `Err` (the replicas' equal
    /// shares are what make the averaged gradient the global batch's gradient).
    pub fn per_replica_batch_size(&self, global: usize) -> Result<usize> {
        let n = self.num_replicas_in_sync();
        if global == 0 || !global.is_multiple_of(n) {
            return Err(Error::InvalidArgument {
                api: "MultiWorkerMirroredStrategy.per_replica_batch_size",
                msg: format!(
                    "global batch size {global} is not a positive multiple of the {n} \
                     replicas; expected a multiple of {n}"
                ),
            });
        }
        Ok(global / n)
    }

    /// `callbacks` on the chief, none elsewhere: for ModelCheckpoint, TensorBoard, CSV
    /// logs and saving, which should write once per job.
    pub fn chief_callbacks(&self, callbacks: Vec<Box<dyn Callback>>) -> Vec<Box<dyn Callback>> {
        if self.is_chief() {
            callbacks
        } else {
            Vec::new()
        }
    }

    /// `strategy.reduce(op, value, axis=None)`: the sum or mean over replicas of each
    /// replica's `value` (same shape everywhere), on every replica.
    pub fn reduce(&self, op: ReduceOp, value: &Tensor) -> Result<Tensor> {
        let mut v = value.to_f64_vec();
        self.shared.comm.all_reduce_sum_f64(&mut v)?;
        if op == ReduceOp::Mean {
            let n = self.num_replicas_in_sync() as f64;
            v.iter_mut().for_each(|x| *x /= n);
        }
        Ok(Tensor::from_vec(v, value.shape())?.cast(value.dtype())?)
    }

    /// The mean over replicas of each gradient, in place (`None` stays `None`; every
    /// replica must have gradients for the same variables).
    pub fn all_reduce_gradients(&self, grads: &mut [Option<Tensor>]) -> Result<()> {
        self.shared.mean_gradients(grads)
    }

    /// For custom training loops: averages `grads` across replicas, then applies them
    /// with the model's optimizer (`optimizer.apply_gradients` under a strategy).
    pub fn apply_gradients(
        &self,
        model: &mut Model,
        mut grads: Vec<Option<Tensor>>,
        vars: &[Variable],
    ) -> Result<()> {
        self.all_reduce_gradients(&mut grads)?;
        let opt = model
            .optimizer_mut()
            .ok_or_else(|| Error::InvalidArgument {
                api: "MultiWorkerMirroredStrategy.apply_gradients",
                msg: "the model is not compiled; expected an optimizer from compile".into(),
            })?;
        opt.apply(&grads, vars)?;
        Ok(())
    }
}

/// Elements `index, index + num_shards, ...` of `dataset` (`Dataset.shard`).
///
/// ```
/// use kiln_data::dataset::Dataset;
/// let ds = kiln_distribute::shard_dataset(&Dataset::range(0, 7, 1)?, 3, 1);
/// let got: Vec<i64> = ds.collect()?.iter().map(|e| e.as_tensor().unwrap().to_vec::<i64>().unwrap()[0]).collect();
/// assert_eq!(got, vec![1, 4]);
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn shard_dataset(dataset: &Dataset, num_shards: usize, index: usize) -> Dataset {
    let ds = dataset.clone();
    let n = num_shards.max(1);
    Dataset::from_generator(move || Box::new(ds.iter().skip(index).step_by(n)))
}
