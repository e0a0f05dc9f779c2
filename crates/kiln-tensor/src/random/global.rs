//! The global generator (`keras.random.SeedGenerator`'s process-wide state and
//! `tf.random.set_seed`), per-op seed streams, and the sampling functions drawing from it.

use std::sync::Mutex;

use crate::{DType, Result, Tensor};

use super::Generator;

pub(super) static GLOBAL: Mutex<Option<Generator>> = Mutex::new(None);

/// Reseeds the process-wide generator used by this module's free functions and by
/// [`Generator::from_global`] (`tf.random.set_seed`; `keras.utils.set_random_seed` calls it).
///
/// ```
/// use kiln_tensor::random;
/// use kiln_tensor::DType;
/// random::set_global_seed(123);
/// let a = random::normal(&[3], 0.0, 1.0, DType::F32)?;
/// random::set_global_seed(123);
/// let b = random::normal(&[3], 0.0, 1.0, DType::F32)?;
/// assert_eq!(a.to_vec::<f32>()?, b.to_vec::<f32>()?);
/// # Ok::<(), kiln_tensor::Error>(())
/// ```
pub fn set_global_seed(seed: u64) {
    *lock_global() = Some(Generator::from_seed(seed));
    *GLOBAL_SEED.lock().unwrap_or_else(|e| e.into_inner()) = Some(seed);
    *op_streams() = None;
}

/// The seed last given to [`set_global_seed`] (`None` while the global generator runs
/// from entropy).
pub(super) static GLOBAL_SEED: Mutex<Option<u64>> = Mutex::new(None);

/// One stream per op-level seed (TF 2's eager rule: a random op given `seed=s` draws
/// the next numbers of the sequence fixed by the global seed and `s`).
pub(super) static OP_STREAMS: Mutex<Option<std::collections::HashMap<u64, Generator>>> =
    Mutex::new(None);

pub(super) fn op_streams(
) -> std::sync::MutexGuard<'static, Option<std::collections::HashMap<u64, Generator>>> {
    OP_STREAMS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs `f` with the generator an op given `seed` draws from, TF 2's op-seed rule:
/// `None` splits a generator off the global one; `Some(s)` continues the stream kept for
/// `s`, which [`set_global_seed`] restarts (so a program that sets the global seed and
/// gives its random ops seeds repeats exactly, while successive calls with the same seed
/// still draw different numbers, as `tf.image.random_flip_left_right(x, seed=1)` does).
///
/// ```
/// use kiln_tensor::random;
/// random::set_global_seed(3);
/// let a = random::with_op_seed(Some(1), |g| g.next_u64());
/// let b = random::with_op_seed(Some(1), |g| g.next_u64());
/// assert_ne!(a, b);
/// random::set_global_seed(3);
/// assert_eq!(random::with_op_seed(Some(1), |g| g.next_u64()), a);
/// ```
pub fn with_op_seed<R>(seed: Option<u64>, f: impl FnOnce(&mut Generator) -> R) -> R {
    match seed {
        None => f(&mut Generator::from_global()),
        Some(s) => {
            let global = *GLOBAL_SEED.lock().unwrap_or_else(|e| e.into_inner());
            let mut streams = op_streams();
            let g = streams
                .get_or_insert_with(Default::default)
                .entry(s)
                .or_insert_with(|| {
                    // Mix the global seed in (TF's `(global_seed, op_seed)` pair); without one,
                    // TF uses a fixed default global seed, so the stream still repeats per run.
                    let g = global.unwrap_or(87_654_321);
                    Generator::from_seed(s ^ g.rotate_left(32) ^ 0x9E37_79B9_7F4A_7C15)
                });
            f(g)
        }
    }
}

/// A generator that depends only on a two-part seed (TF's `stateless_random_*` ops take
/// `seed=(a, b)`): the same seed always gives the same numbers.
///
/// ```
/// use kiln_tensor::random;
/// assert_eq!(random::stateless([1, 2]).next_u64(), random::stateless([1, 2]).next_u64());
/// assert_ne!(random::stateless([1, 2]).next_u64(), random::stateless([2, 1]).next_u64());
/// ```
pub fn stateless(seed: [u64; 2]) -> Generator {
    let mixed = seed[0].wrapping_mul(0xD6E8_FEB8_6659_FD93).rotate_left(29)
        ^ seed[1].wrapping_add(0x9E37_79B9_7F4A_7C15);
    Generator::from_seed(mixed)
}

/// Runs `f` with the global generator (seeded from entropy on first use unless
/// [`set_global_seed`] was called). The generator is locked while `f` runs: `f` must not
/// call this module's free functions.
///
/// ```
/// let x = kiln_tensor::random::with_global(|g| g.next_u64());
/// # let _ = x;
/// ```
pub fn with_global<R>(f: impl FnOnce(&mut Generator) -> R) -> R {
    let mut guard = lock_global();
    f(guard.get_or_insert_with(Generator::from_entropy))
}

/// Runs `f` with `generator` when given, else with a generator split off the global one:
/// the way ops taking `Option<&mut Generator>` resolve it.
///
/// ```
/// use kiln_tensor::random::{with_generator, Generator};
/// let mut g = Generator::from_seed(1);
/// let a = with_generator(Some(&mut g), |g| g.next_u64());
/// assert_eq!(a, Generator::from_seed(1).next_u64());
/// let _b = with_generator(None, |g| g.next_u64()); // from the global generator
/// ```
pub fn with_generator<R>(
    generator: Option<&mut Generator>,
    f: impl FnOnce(&mut Generator) -> R,
) -> R {
    match generator {
        Some(g) => f(g),
        None => f(&mut Generator::from_global()),
    }
}

/// The global generator's state (for a trace to put back what tracing drew).
pub(crate) fn global_snapshot() -> Option<Generator> {
    lock_global().clone()
}

/// Puts back a state from [`global_snapshot`].
pub(crate) fn restore_global(state: Option<Generator>) {
    *lock_global() = state;
}

pub(super) fn lock_global() -> std::sync::MutexGuard<'static, Option<Generator>> {
    // A panic while holding the lock cannot leave the generator invalid: ignore poisoning.
    GLOBAL.lock().unwrap_or_else(|e| e.into_inner())
}

pub(super) fn clock_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let local = 0u8;
    nanos ^ (std::process::id() as u64).rotate_left(32) ^ (&local as *const u8 as u64)
}

/// [`Generator::uniform`] on the global generator.
///
/// ```
/// let x = kiln_tensor::random::uniform(&[2, 2], 0.0, 1.0, kiln_tensor::DType::F32)?;
/// assert_eq!(x.shape(), &[2, 2]);
/// # Ok::<(), kiln_tensor::Error>(())
/// ```
pub fn uniform(shape: &[usize], minval: f64, maxval: f64, dtype: DType) -> Result<Tensor> {
    with_global(|g| g.uniform(shape, minval, maxval, dtype))
}

/// [`Generator::normal`] on the global generator.
///
/// ```
/// let x = kiln_tensor::random::normal(&[3], 0.0, 1.0, kiln_tensor::DType::F64)?;
/// assert_eq!(x.numel(), 3);
/// # Ok::<(), kiln_tensor::Error>(())
/// ```
pub fn normal(shape: &[usize], mean: f64, stddev: f64, dtype: DType) -> Result<Tensor> {
    with_global(|g| g.normal(shape, mean, stddev, dtype))
}

/// [`Generator::truncated_normal`] on the global generator.
///
/// ```
/// let x = kiln_tensor::random::truncated_normal(&[3], 0.0, 0.05, kiln_tensor::DType::F32)?;
/// assert!(x.to_vec::<f32>()?.iter().all(|v| v.abs() <= 0.1));
/// # Ok::<(), kiln_tensor::Error>(())
/// ```
pub fn truncated_normal(shape: &[usize], mean: f64, stddev: f64, dtype: DType) -> Result<Tensor> {
    with_global(|g| g.truncated_normal(shape, mean, stddev, dtype))
}

/// [`Generator::randint`] on the global generator.
///
/// ```
/// let x = kiln_tensor::random::randint(&[5], 1, 7, kiln_tensor::DType::I32)?;
/// assert!(x.to_vec::<i32>()?.iter().all(|&v| (1..7).contains(&v)));
/// # Ok::<(), kiln_tensor::Error>(())
/// ```
pub fn randint(shape: &[usize], low: i64, high: i64, dtype: DType) -> Result<Tensor> {
    with_global(|g| g.randint(shape, low, high, dtype))
}

/// [`Generator::bernoulli`] on the global generator.
///
/// ```
/// let m = kiln_tensor::random::bernoulli(&[3], 0.0)?;
/// assert_eq!(m.to_vec::<bool>()?, vec![false; 3]);
/// # Ok::<(), kiln_tensor::Error>(())
/// ```
pub fn bernoulli(shape: &[usize], p: f64) -> Result<Tensor> {
    with_global(|g| g.bernoulli(shape, p))
}

/// [`Generator::shuffle`] on the global generator.
///
/// ```
/// let x = kiln_tensor::Tensor::from_vec(vec![1i64, 2, 3], &[3])?;
/// let mut v = kiln_tensor::random::shuffle(&x)?.to_vec::<i64>()?;
/// v.sort();
/// assert_eq!(v, vec![1, 2, 3]);
/// # Ok::<(), kiln_tensor::Error>(())
/// ```
pub fn shuffle(x: &Tensor) -> Result<Tensor> {
    with_global(|g| g.shuffle(x))
}

/// [`Generator::permutation`] on the global generator.
///
/// ```
/// assert_eq!(kiln_tensor::random::permutation(4).shape(), &[4]);
/// ```
pub fn permutation(n: usize) -> Tensor {
    with_global(|g| g.permutation(n))
}

// ----- argument checks ------------------------------------------------------------------
