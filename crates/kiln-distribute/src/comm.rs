//! The collectives a strategy needs, behind one trait, so the strategy's logic is the
//! same over MPI and in a single process.

use crate::Result;

/// The collective operations of a group of replicas (an MPI communicator).
///
/// Every replica must make the same calls in the same order with buffers of the same
/// lengths (as MPI requires); the strategy arranges that, and checks what it can (the
/// model's structure) before it relies on it.
pub trait Communicator: Send + Sync {
    /// This replica's rank, `0..size()`.
    fn rank(&self) -> usize;
    /// The number of replicas.
    fn size(&self) -> usize;
    /// Sums every bucket elementwise across replicas, in place. The MPI backend starts
    /// one non-blocking all-reduce (`MPI_Iallreduce`) per bucket, all in flight
    /// together, and waits for them all.
    fn all_reduce_sum_f32(&self, buckets: &mut [Vec<f32>]) -> Result<()>;
    /// Starts summing `bucket` across replicas and returns at once (the MPI backend
    /// hands it to its communication thread, which runs the all-reduces in the order
    /// started while this thread goes on with the backward pass). `Ok(false)`: the
    /// backend cannot (the default); the bucket was not taken.
    fn start_all_reduce_sum_f32(&self, bucket: &[f32]) -> Result<bool> {
        let _ = bucket;
        Ok(false)
    }
    /// The buckets started since the last call, summed, in the order started (waits for
    /// them).
    fn finish_all_reduce_sum_f32(&self) -> Result<Vec<Vec<f32>>> {
        Ok(Vec::new())
    }
    /// Sums `buf` elementwise across replicas, in place.
    fn all_reduce_sum_f64(&self, buf: &mut [f64]) -> Result<()>;
    /// Copies `root`'s `buf` into every replica's `buf` (same length everywhere).
    fn broadcast_f64(&self, buf: &mut [f64], root: usize) -> Result<()>;
    /// Copies `root`'s bytes to every replica (the length travels first, so the
    /// receivers' buffers may start with any length).
    fn broadcast_bytes(&self, buf: &mut Vec<u8>, root: usize) -> Result<()>;
    /// Every replica's `value`, in rank order.
    fn all_gather_u64(&self, value: u64) -> Result<Vec<u64>>;
    /// Waits until every replica has reached it.
    fn barrier(&self) -> Result<()>;
}

/// One replica on its own (tf.distribute's default strategy): every collective is the
/// identity.
///
/// ```
/// use kiln_distribute::{Communicator, LocalCommunicator};
/// let c = LocalCommunicator;
/// let mut b = vec![vec![1.0f32, 2.0]];
/// c.all_reduce_sum_f32(&mut b)?;
/// assert_eq!((c.rank(), c.size(), b[0][1]), (0, 1, 2.0));
/// # Ok::<(), kiln_distribute::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalCommunicator;

impl Communicator for LocalCommunicator {
    fn rank(&self) -> usize {
        0
    }
    fn size(&self) -> usize {
        1
    }
    fn all_reduce_sum_f32(&self, _buckets: &mut [Vec<f32>]) -> Result<()> {
        Ok(())
    }
    fn all_reduce_sum_f64(&self, _buf: &mut [f64]) -> Result<()> {
        Ok(())
    }
    fn broadcast_f64(&self, _buf: &mut [f64], _root: usize) -> Result<()> {
        Ok(())
    }
    fn broadcast_bytes(&self, _buf: &mut Vec<u8>, _root: usize) -> Result<()> {
        Ok(())
    }
    fn all_gather_u64(&self, value: u64) -> Result<Vec<u64>> {
        Ok(vec![value])
    }
    fn barrier(&self) -> Result<()> {
        Ok(())
    }
}
