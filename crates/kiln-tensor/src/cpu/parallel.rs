//! When to use more than one thread.
//!
//! This machine class has 2 cores; threads only pay for large memory-bound loops.
//! `KILN_NUM_THREADS` sets the size of rayon's global pool (read once).

use std::sync::OnceLock;

/// Elements below which elementwise loops stay on one thread.
pub(crate) const ELEMENTWISE_PAR_MIN: usize = 1 << 17;

/// Number of worker threads kiln may use.
pub(crate) fn num_threads() -> usize {
    static N: OnceLock<usize> = OnceLock::new();
    *N.get_or_init(|| {
        if let Some(n) = std::env::var("KILN_NUM_THREADS")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
        {
            let n = n.max(1);
            // Ignore the error if the pool already exists (another library built it).
            let _ = rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build_global();
            n
        } else {
            rayon::current_num_threads()
        }
    })
}

/// Chunk length that splits `n` items into about one piece per thread (at least `min`).
pub(crate) fn chunk_len(n: usize, min: usize) -> usize {
    let t = num_threads().max(1);
    n.div_ceil(t).max(min)
}
