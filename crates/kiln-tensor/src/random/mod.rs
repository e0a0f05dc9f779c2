//! Random tensors from seeded, version-stable generators (`tf.random` / `keras.random`).
//!
//! # Design
//!
//! A [`Generator`] owns a ChaCha8 stream (`rand_chacha`, whose output is fixed across
//! versions), so the same seed gives the same numbers on every machine and release.
//! Every sampling function exists twice:
//!
//! - as a [`Generator`] method (`gen.normal(...)`), drawing from that generator — what
//!   layers, initializers and dropout use when they own a seed;
//! - as a free function in this module (`random::normal(...)`), drawing from the
//!   process-wide global generator, which [`set_global_seed`] reseeds (`tf.random.set_seed`).
//!   Until it is seeded, the global generator starts from OS entropy.
//!
//! Code that takes an optional generator (`Option<&mut Generator>`, as
//! [`Tensor::dropout`](crate::Tensor::dropout)) resolves it with [`with_generator`].
//!
//! Each call consumes a fixed amount of its generator's stream (one 256-bit key), whatever
//! the tensor size; the elements are then drawn from independent ChaCha streams of that key,
//! one per block of 16384 elements. Blocks are filled in parallel for large tensors, so
//! results are identical for any thread count.
//!
//! ```
//! use kiln_tensor::random::{self, Generator};
//! use kiln_tensor::DType;
//! let mut g = Generator::from_seed(42);
//! let a = g.normal(&[2, 3], 0.0, 1.0, DType::F32)?;
//! let b = Generator::from_seed(42).normal(&[2, 3], 0.0, 1.0, DType::F32)?;
//! assert_eq!(a.to_vec::<f32>()?, b.to_vec::<f32>()?);
//!
//! random::set_global_seed(7);
//! let u = random::uniform(&[4], 0.0, 1.0, DType::F32)?;
//! assert!(u.to_vec::<f32>()?.iter().all(|&v| (0.0..1.0).contains(&v)));
//! # Ok::<(), kiln_tensor::Error>(())
//! ```

use std::mem::MaybeUninit;
use std::sync::Mutex;

use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::autodiff::Op;
use crate::cpu::map::fill_new;
use crate::cpu::parallel::num_threads;
use crate::dtype::Element;
use crate::shape::numel;
use crate::{with_dtype, DType, Error, Result, Tensor};

/// Elements per independent ChaCha stream (the unit of parallel generation).
const CHUNK: usize = 1 << 14;
/// Elements below which generation stays on one thread.
const PAR_MIN: usize = 1 << 16;
/// Box-Muller pairs computed per vectorised block.
const PAIRS: usize = 64;
/// 2^-24: scales a 24-bit integer to [0, 1).
const INV_2_24: f32 = 1.0 / 16_777_216.0;
/// 2^-53: scales a 53-bit integer to [0, 1).
const INV_2_53: f64 = 1.0 / 9_007_199_254_740_992.0;
/// TF's truncation bound, in standard deviations.
const TRUNCATE: f64 = 2.0;

type Key = [u8; 32];

/// A seeded random number generator (ChaCha8): the state behind every random op.
///
/// Cloning copies the state, so a clone replays the same numbers.
///
/// ```
/// use kiln_tensor::random::Generator;
/// use kiln_tensor::DType;
/// let mut g = Generator::from_seed(1);
/// let x = g.uniform(&[3], -1.0, 1.0, DType::F64)?;
/// let y = g.uniform(&[3], -1.0, 1.0, DType::F64)?;
/// assert_ne!(x.to_vec::<f64>()?, y.to_vec::<f64>()?); // the stream moves on
/// # Ok::<(), kiln_tensor::Error>(())
/// ```
#[derive(Clone)]
pub struct Generator {
    rng: ChaCha8Rng,
}

impl std::fmt::Debug for Generator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Generator")
            .field("word_pos", &self.rng.get_word_pos())
            .finish()
    }
}

impl Generator {
    /// A generator whose whole future output is fixed by `seed`.
    ///
    /// ```
    /// use kiln_tensor::random::Generator;
    /// assert_eq!(Generator::from_seed(3).next_u64(), Generator::from_seed(3).next_u64());
    /// assert_ne!(Generator::from_seed(3).next_u64(), Generator::from_seed(4).next_u64());
    /// ```
    pub fn from_seed(seed: u64) -> Generator {
        Generator {
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// A generator seeded from the operating system's entropy (falling back to the clock).
    ///
    /// ```
    /// let mut g = kiln_tensor::random::Generator::from_entropy();
    /// let _ = g.next_u64();
    /// ```
    pub fn from_entropy() -> Generator {
        match ChaCha8Rng::from_rng(rand::rngs::OsRng) {
            Ok(rng) => Generator { rng },
            Err(_) => Generator::from_seed(clock_seed()),
        }
    }

    /// A new generator split off the global one (deterministic after [`set_global_seed`]).
    /// This is how a layer or initializer without an explicit seed gets its own stream.
    ///
    /// ```
    /// use kiln_tensor::random::{set_global_seed, Generator};
    /// set_global_seed(5);
    /// let a = Generator::from_global().next_u64();
    /// set_global_seed(5);
    /// assert_eq!(Generator::from_global().next_u64(), a);
    /// ```
    pub fn from_global() -> Generator {
        with_global(|g| g.split())
    }

    /// An independent child generator; advances `self` by a fixed amount.
    ///
    /// ```
    /// use kiln_tensor::random::Generator;
    /// let mut g = Generator::from_seed(0);
    /// let mut child = g.split();
    /// assert_ne!(child.next_u64(), g.next_u64());
    /// ```
    pub fn split(&mut self) -> Generator {
        Generator {
            rng: ChaCha8Rng::from_seed(self.next_key()),
        }
    }

    /// The next 64 raw random bits.
    ///
    /// ```
    /// let mut g = kiln_tensor::random::Generator::from_seed(9);
    /// assert_ne!(g.next_u64(), g.next_u64());
    /// ```
    pub fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }

    fn next_key(&mut self) -> Key {
        let mut k = [0u8; 32];
        self.rng.fill_bytes(&mut k);
        k
    }

    /// Uniform values in `[minval, maxval)`, as `tf.random.uniform`. Float dtypes take any
    /// finite `minval <= maxval`; integer dtypes need whole-number bounds with
    /// `minval < maxval`, both within the dtype (an integer draw is unbiased).
    ///
    /// ```
    /// use kiln_tensor::random::Generator;
    /// use kiln_tensor::DType;
    /// let mut g = Generator::from_seed(0);
    /// let f = g.uniform(&[1000], 2.0, 3.0, DType::F32)?;
    /// assert!(f.to_vec::<f32>()?.iter().all(|&v| (2.0..3.0).contains(&v)));
    /// let i = g.uniform(&[1000], -2.0, 2.0, DType::I32)?;
    /// assert!(i.to_vec::<i32>()?.iter().all(|&v| (-2..2).contains(&v)));
    /// assert!(g.uniform(&[2], 1.0, 0.0, DType::F32).is_err());
    /// # Ok::<(), kiln_tensor::Error>(())
    /// ```
    pub fn uniform(
        &mut self,
        shape: &[usize],
        minval: f64,
        maxval: f64,
        dtype: DType,
    ) -> Result<Tensor> {
        let out = self.uniform_unrecorded(shape, minval, maxval, dtype)?;
        Ok(drawn(
            || {
                Op::new("random_uniform")
                    .attr("shape", shape)
                    .attr("minval", minval)
                    .attr("maxval", maxval)
                    .attr("dtype", dtype)
            },
            &[],
            out,
        ))
    }

    fn uniform_unrecorded(
        &mut self,
        shape: &[usize],
        minval: f64,
        maxval: f64,
        dtype: DType,
    ) -> Result<Tensor> {
        if dtype.is_int() {
            let lo = whole("uniform", "minval", minval, dtype)?;
            let hi = whole("uniform", "maxval", maxval, dtype)?;
            return self.randint_checked("uniform", shape, lo, hi, dtype);
        }
        if !dtype.is_float() {
            return Err(Error::dtype(
                "uniform",
                format!(
                    "cannot sample dtype {}; expected a float or integer dtype",
                    dtype.name()
                ),
            ));
        }
        if !(minval.is_finite() && maxval.is_finite() && minval <= maxval) {
            return Err(Error::arg(
                "uniform",
                format!(
                    "minval={minval}, maxval={maxval}: bounds must be finite with minval <= maxval"
                ),
            ));
        }
        let key = self.next_key();
        let n = numel(shape);
        Ok(match dtype {
            DType::F64 => {
                let (lo, w) = (minval, maxval - minval);
                let v = fill_chunked::<f64>(&key, n, |rng, out| {
                    fill_bits::<u64, f64>(rng, out, |b| lo + (b >> 11) as f64 * INV_2_53 * w)
                });
                Tensor::from_vec_unchecked(v, shape.to_vec())
            }
            _ => {
                let (lo, w) = (minval as f32, (maxval - minval) as f32);
                let v = fill_chunked::<f32>(&key, n, |rng, out| {
                    fill_bits::<u32, f32>(rng, out, |b| {
                        lo + ((b >> 8) as i32) as f32 * INV_2_24 * w
                    })
                });
                Tensor::from_vec_unchecked(v, shape.to_vec()).cast_unrecorded(dtype)
            }
        })
    }

    /// Normal (Gaussian) values with `mean` and `stddev`, as `tf.random.normal`.
    /// Float dtypes only; f16/bf16 are sampled in f32 and rounded.
    ///
    /// ```
    /// use kiln_tensor::random::Generator;
    /// use kiln_tensor::DType;
    /// let x = Generator::from_seed(0).normal(&[10_000], 5.0, 2.0, DType::F64)?;
    /// let mean = x.mean(&[], false)?.item::<f64>()?;
    /// assert!((mean - 5.0).abs() < 0.1);
    /// # Ok::<(), kiln_tensor::Error>(())
    /// ```
    pub fn normal(
        &mut self,
        shape: &[usize],
        mean: f64,
        stddev: f64,
        dtype: DType,
    ) -> Result<Tensor> {
        check_normal("normal", mean, stddev, dtype)?;
        let key = self.next_key();
        let out = normal_impl(&key, shape, mean, stddev, dtype, false);
        Ok(drawn(
            || {
                Op::new("random_normal")
                    .attr("shape", shape)
                    .attr("mean", mean)
                    .attr("stddev", stddev)
                    .attr("dtype", dtype)
            },
            &[],
            out,
        ))
    }

    /// Normal values with values beyond two standard deviations from the mean dropped
    /// and re-drawn, as `tf.random.truncated_normal` (so every value lies within
    /// `mean ± 2 * stddev`, and the actual spread is about `0.88 * stddev`).
    ///
    /// ```
    /// use kiln_tensor::random::Generator;
    /// use kiln_tensor::DType;
    /// let x = Generator::from_seed(0).truncated_normal(&[1000], 0.0, 1.0, DType::F32)?;
    /// assert!(x.to_vec::<f32>()?.iter().all(|v| v.abs() <= 2.0));
    /// # Ok::<(), kiln_tensor::Error>(())
    /// ```
    pub fn truncated_normal(
        &mut self,
        shape: &[usize],
        mean: f64,
        stddev: f64,
        dtype: DType,
    ) -> Result<Tensor> {
        check_normal("truncated_normal", mean, stddev, dtype)?;
        let key = self.next_key();
        let out = normal_impl(&key, shape, mean, stddev, dtype, true);
        Ok(drawn(
            || {
                Op::new("random_truncated_normal")
                    .attr("shape", shape)
                    .attr("mean", mean)
                    .attr("stddev", stddev)
                    .attr("dtype", dtype)
            },
            &[],
            out,
        ))
    }

    /// Uniform integers in `[low, high)` of an integer dtype (`i32`, `i64`, `u8`), as
    /// `np.random.randint` / `torch.randint`. Unbiased (Lemire's method).
    ///
    /// ```
    /// use kiln_tensor::random::Generator;
    /// use kiln_tensor::DType;
    /// let x = Generator::from_seed(0).randint(&[100], 0, 10, DType::I64)?;
    /// assert!(x.to_vec::<i64>()?.iter().all(|&v| (0..10).contains(&v)));
    /// assert!(Generator::from_seed(0).randint(&[1], 0, 300, DType::U8).is_err());
    /// # Ok::<(), kiln_tensor::Error>(())
    /// ```
    pub fn randint(
        &mut self,
        shape: &[usize],
        low: i64,
        high: i64,
        dtype: DType,
    ) -> Result<Tensor> {
        let out = self.randint_checked("randint", shape, low, high, dtype)?;
        Ok(drawn(
            || {
                Op::new("random_randint")
                    .attr("shape", shape)
                    .attr("low", low)
                    .attr("high", high)
                    .attr("dtype", dtype)
            },
            &[],
            out,
        ))
    }

    fn randint_checked(
        &mut self,
        op: &'static str,
        shape: &[usize],
        low: i64,
        high: i64,
        dtype: DType,
    ) -> Result<Tensor> {
        let (dmin, dmax) = match dtype {
            DType::I32 => (i32::MIN as i64, i32::MAX as i64),
            DType::I64 => (i64::MIN, i64::MAX),
            DType::U8 => (0, 255),
            other => {
                return Err(Error::dtype(
                    op,
                    format!(
                        "expected an integer dtype (int32, int64, uint8), got {}",
                        other.name()
                    ),
                ))
            }
        };
        if low >= high || low < dmin || high - 1 > dmax {
            return Err(Error::arg(
                op,
                format!(
                    "low={low}, high={high}: need low < high with [low, high) inside the range of {} ({dmin}..={dmax})",
                    dtype.name()
                ),
            ));
        }
        let key = self.next_key();
        let range = (high as i128 - low as i128) as u64;
        let n = numel(shape);
        let draw = move |rng: &mut ChaCha8Rng| low.wrapping_add(bounded_u64(rng, range) as i64);
        Ok(match dtype {
            DType::I32 => Tensor::from_vec_unchecked(
                fill_each::<i32>(&key, n, move |r| draw(r) as i32),
                shape.to_vec(),
            ),
            DType::U8 => Tensor::from_vec_unchecked(
                fill_each::<u8>(&key, n, move |r| draw(r) as u8),
                shape.to_vec(),
            ),
            _ => Tensor::from_vec_unchecked(fill_each::<i64>(&key, n, draw), shape.to_vec()),
        })
    }

    /// Booleans that are `true` with probability `p` (`0 <= p <= 1`).
    ///
    /// ```
    /// use kiln_tensor::random::Generator;
    /// use kiln_tensor::DType;
    /// let m = Generator::from_seed(0).bernoulli(&[4], 1.0)?;
    /// assert_eq!(m.dtype(), DType::Bool);
    /// assert_eq!(m.to_vec::<bool>()?, vec![true; 4]);
    /// assert!(Generator::from_seed(0).bernoulli(&[4], 1.5).is_err());
    /// # Ok::<(), kiln_tensor::Error>(())
    /// ```
    pub fn bernoulli(&mut self, shape: &[usize], p: f64) -> Result<Tensor> {
        if !(0.0..=1.0).contains(&p) {
            return Err(Error::arg(
                "bernoulli",
                format!("p={p}: probability must be in [0, 1]"),
            ));
        }
        let key = self.next_key();
        let threshold = bernoulli_threshold(p);
        let v = fill_chunked::<bool>(&key, numel(shape), |rng, out| {
            fill_bits::<u32, bool>(rng, out, |b| (b as u64) < threshold)
        });
        let out = Tensor::from_vec_unchecked(v, shape.to_vec());
        Ok(drawn(
            || {
                Op::new("random_bernoulli")
                    .attr("shape", shape)
                    .attr("p", p)
            },
            &[],
            out,
        ))
    }

    /// A random permutation of `0..n` as an `i64` vector tensor (`np.random.permutation`).
    ///
    /// ```
    /// use kiln_tensor::random::Generator;
    /// let p = Generator::from_seed(0).permutation(5);
    /// let mut v = p.to_vec::<i64>().unwrap();
    /// v.sort();
    /// assert_eq!(v, vec![0, 1, 2, 3, 4]);
    /// ```
    pub fn permutation(&mut self, n: usize) -> Tensor {
        let p = self.permutation_vec(n);
        let out = Tensor::from_vec_unchecked(
            p.into_iter().map(|i| i as i64).collect::<Vec<i64>>(),
            vec![n],
        );
        drawn(|| Op::new("random_permutation").attr("n", n), &[], out)
    }

    fn permutation_vec(&mut self, n: usize) -> Vec<usize> {
        let mut rng = ChaCha8Rng::from_seed(self.next_key());
        let mut p: Vec<usize> = (0..n).collect();
        // Fisher-Yates, from the back.
        for i in (1..n).rev() {
            let j = bounded_u64(&mut rng, i as u64 + 1) as usize;
            p.swap(i, j);
        }
        p
    }

    /// The tensor with its first dimension randomly reordered, as `tf.random.shuffle`
    /// (a scalar is returned as is). Not differentiable, as in TF.
    ///
    /// ```
    /// use kiln_tensor::random::Generator;
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![0i32, 1, 10, 11, 20, 21], &[3, 2])?;
    /// let s = Generator::from_seed(0).shuffle(&x)?;
    /// let mut rows: Vec<Vec<i32>> = s.to_vec::<i32>()?.chunks(2).map(|r| r.to_vec()).collect();
    /// rows.sort();
    /// assert_eq!(rows, vec![vec![0, 1], vec![10, 11], vec![20, 21]]);
    /// # Ok::<(), kiln_tensor::Error>(())
    /// ```
    pub fn shuffle(&mut self, x: &Tensor) -> Result<Tensor> {
        if x.rank() == 0 {
            return Ok(x.identity());
        }
        let n0 = x.shape()[0];
        let perm = self.permutation_vec(n0);
        let row = x.numel().checked_div(n0).unwrap_or(0);
        let out = with_dtype!(x.dtype(), T => {
            let data = x.data::<T>();
            let v = fill_new::<T>(x.numel(), |out| {
                for (dst, &src) in out.chunks_mut(row.max(1)).zip(&perm) {
                    for (o, &s) in dst.iter_mut().zip(&data[src * row..(src + 1) * row]) {
                        o.write(s);
                    }
                }
            });
            Tensor::from_vec_unchecked(v, x.shape().to_vec())
        }, string => {
            let data = x.stored::<std::sync::Arc<str>>();
            let mut v = Vec::with_capacity(x.numel());
            for &src in &perm {
                v.extend_from_slice(&data[src * row..(src + 1) * row]);
            }
            Tensor::from_stored(v, x.shape().to_vec())
        });
        Ok(drawn(|| Op::new("random_shuffle"), &[x], out))
    }
}

/// Records a draw as an op (no gradient): a traced function's graph draws afresh on each
/// run, as a TF graph's random ops do, instead of replaying the values of the trace.
fn drawn(op: impl FnOnce() -> Op, inputs: &[&Tensor], out: Tensor) -> Tensor {
    crate::ops::record_nograd(op, inputs, out)
}

// ----- the global generator ---------------------------------------------------------------

static GLOBAL: Mutex<Option<Generator>> = Mutex::new(None);

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
static GLOBAL_SEED: Mutex<Option<u64>> = Mutex::new(None);

/// One stream per op-level seed (TF 2's eager rule: a random op given `seed=s` draws
/// the next numbers of the sequence fixed by the global seed and `s`).
static OP_STREAMS: Mutex<Option<std::collections::HashMap<u64, Generator>>> = Mutex::new(None);

fn op_streams() -> std::sync::MutexGuard<'static, Option<std::collections::HashMap<u64, Generator>>>
{
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

fn lock_global() -> std::sync::MutexGuard<'static, Option<Generator>> {
    // A panic while holding the lock cannot leave the generator invalid: ignore poisoning.
    GLOBAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn clock_seed() -> u64 {
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

fn check_normal(op: &'static str, mean: f64, stddev: f64, dtype: DType) -> Result<()> {
    if !dtype.is_float() {
        return Err(Error::dtype(
            op,
            format!(
                "cannot sample dtype {}; expected a float dtype (float16/bfloat16/float32/float64)",
                dtype.name()
            ),
        ));
    }
    if !(mean.is_finite() && stddev.is_finite() && stddev >= 0.0) {
        return Err(Error::arg(
            op,
            format!("mean={mean}, stddev={stddev}: need finite values and stddev >= 0"),
        ));
    }
    Ok(())
}

/// `v` as an integer bound for `dtype`, or an error when it is not a whole number.
fn whole(op: &'static str, what: &str, v: f64, dtype: DType) -> Result<i64> {
    if !v.is_finite() || v.fract() != 0.0 || v.abs() > 9.2e18 {
        return Err(Error::arg(
            op,
            format!(
                "{what}={v} must be a whole number for dtype {}",
                dtype.name()
            ),
        ));
    }
    Ok(v as i64)
}

/// Threshold `t` such that a uniform `u32` is below `t` with probability `p`.
fn bernoulli_threshold(p: f64) -> u64 {
    (p * 4_294_967_296.0).round() as u64
}

// ----- generation kernels -----------------------------------------------------------------

/// The ChaCha stream for output block `k` of a call keyed by `key`.
fn chunk_rng(key: &Key, k: usize) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::from_seed(*key);
    r.set_stream(k as u64);
    r
}

/// Allocates `n` outputs and lets `f` fill each block of [`CHUNK`] elements from its own
/// stream; blocks run in parallel for large `n` with identical results.
fn fill_chunked<O: Element>(
    key: &Key,
    n: usize,
    f: impl Fn(&mut ChaCha8Rng, &mut [MaybeUninit<O>]) + Sync,
) -> Vec<O> {
    let mut v = crate::cpu::alloc::with_capacity::<O>(n);
    let out = &mut v.spare_capacity_mut()[..n];
    if n >= PAR_MIN && num_threads() > 1 {
        out.par_chunks_mut(CHUNK)
            .enumerate()
            .for_each(|(k, c)| f(&mut chunk_rng(key, k), c));
    } else {
        for (k, c) in out.chunks_mut(CHUNK).enumerate() {
            f(&mut chunk_rng(key, k), c);
        }
    }
    // SAFETY: every block function writes its whole block (all callers fill `out` fully).
    unsafe { v.set_len(n) };
    v
}

/// `n` outputs each computed by `draw` from the block's stream (variable consumption).
fn fill_each<O: Element>(
    key: &Key,
    n: usize,
    draw: impl Fn(&mut ChaCha8Rng) -> O + Sync,
) -> Vec<O> {
    fill_chunked(key, n, |rng, out| {
        for o in out {
            o.write(draw(rng));
        }
    })
}

/// Raw random words: `u32` or `u64`.
trait Bits: Copy + Default + Send + Sync {
    fn fill(rng: &mut ChaCha8Rng, buf: &mut [Self]);
}
impl Bits for u32 {
    fn fill(rng: &mut ChaCha8Rng, buf: &mut [u32]) {
        rng.fill(buf);
    }
}
impl Bits for u64 {
    fn fill(rng: &mut ChaCha8Rng, buf: &mut [u64]) {
        rng.fill(buf);
    }
}

/// Fills `out` with `map(word)`, one random word per element, in vectorisable blocks.
#[inline(always)]
fn fill_bits<B: Bits, O: Element>(
    rng: &mut ChaCha8Rng,
    out: &mut [MaybeUninit<O>],
    map: impl Fn(B) -> O,
) {
    let mut buf = [B::default(); 256];
    for o in out.chunks_mut(256) {
        let b = &mut buf[..o.len()];
        B::fill(rng, b);
        for (o, &w) in o.iter_mut().zip(b.iter()) {
            o.write(map(w));
        }
    }
}

fn normal_impl(
    key: &Key,
    shape: &[usize],
    mean: f64,
    stddev: f64,
    dtype: DType,
    truncate: bool,
) -> Tensor {
    let n = numel(shape);
    if dtype == DType::F64 {
        let v = fill_chunked::<f64>(key, n, |rng, out| {
            let mut block = [0.0f64; 2 * PAIRS];
            fill_normals(rng, out, truncate, &mut block, normal_block_f64, |z| {
                mean + stddev * z
            });
        });
        return Tensor::from_vec_unchecked(v, shape.to_vec());
    }
    let (m, s) = (mean as f32, stddev as f32);
    let v = fill_chunked::<f32>(key, n, |rng, out| {
        let mut block = [0.0f32; 2 * PAIRS];
        fill_normals(rng, out, truncate, &mut block, normal_block_f32, |z| {
            m + s * z
        });
    });
    Tensor::from_vec_unchecked(v, shape.to_vec()).cast_unrecorded(dtype)
}

/// Fills `out` with `affine(z)` for standard normals `z` produced a block at a time by
/// `draw`; when `truncate`, values with `|z| >= 2` are skipped (re-drawn).
#[inline(always)]
fn fill_normals<F: Copy + Into<f64>, O: Element>(
    rng: &mut ChaCha8Rng,
    out: &mut [MaybeUninit<O>],
    truncate: bool,
    block: &mut [F; 2 * PAIRS],
    draw: impl Fn(&mut ChaCha8Rng, &mut [F; 2 * PAIRS]),
    affine: impl Fn(F) -> O,
) {
    if !truncate {
        for o in out.chunks_mut(2 * PAIRS) {
            draw(rng, block);
            for (o, &z) in o.iter_mut().zip(block.iter()) {
                o.write(affine(z));
            }
        }
        return;
    }
    let mut filled = 0;
    while filled < out.len() {
        draw(rng, block);
        for &z in block.iter() {
            if z.into().abs() < TRUNCATE && filled < out.len() {
                out[filled].write(affine(z));
                filled += 1;
            }
        }
    }
}

/// `2 * PAIRS` standard normals in f32 by Box-Muller, from 24-bit uniforms, with
/// polynomial log and sin/cos so the loop vectorises.
fn normal_block_f32(rng: &mut ChaCha8Rng, out: &mut [f32; 2 * PAIRS]) {
    let mut bits = [0u32; 2 * PAIRS];
    rng.fill(&mut bits[..]);
    let (a, b) = bits.split_at(PAIRS);
    let (lo, hi) = out.split_at_mut(PAIRS);
    for i in 0..PAIRS {
        let (z0, z1) = box_muller_f32(a[i], b[i]);
        lo[i] = z0;
        hi[i] = z1;
    }
}

#[inline(always)]
fn box_muller_f32(a: u32, b: u32) -> (f32, f32) {
    // u in (0, 1]: ln(u) is finite and <= 0.
    let u = (((a >> 8) as i32) + 1) as f32 * INV_2_24;
    let r = (-2.0 * ln_f32(u)).sqrt();
    // Angle: quadrant from the top 2 bits, offset within [-pi/4, pi/4) from the next 24.
    let f = (((b >> 6) & 0x00FF_FFFF) as i32) as f32 * INV_2_24;
    let (s, c) = sin_cos_pi4((f - 0.5) * std::f32::consts::FRAC_PI_2);
    let q = b >> 30;
    let (x, y) = if q & 1 != 0 { (-s, c) } else { (c, s) };
    let r = if q & 2 != 0 { -r } else { r };
    (r * x, r * y)
}

/// Natural log of a positive normal f32 (Cephes `logf`, about 1 ulp).
#[inline(always)]
fn ln_f32(x: f32) -> f32 {
    let bits = x.to_bits();
    let e = ((bits >> 23) & 0xFF) as i32 - 126; // x = m * 2^e with m in [0.5, 1)
    let m = f32::from_bits((bits & 0x007F_FFFF) | 0x3F00_0000);
    let small = m < std::f32::consts::FRAC_1_SQRT_2;
    let e = (e - small as i32) as f32;
    let x = if small { m + m - 1.0 } else { m - 1.0 };
    let z = x * x;
    let mut y = 7.037_683_6e-2f32;
    y = y * x - 1.151_461e-1;
    y = y * x + 1.167_699_9e-1;
    y = y * x - 1.242_014_1e-1;
    y = y * x + 1.424_932_3e-1;
    y = y * x - 1.666_805_8e-1;
    y = y * x + 2.000_071_4e-1;
    y = y * x - 2.499_999_4e-1;
    y = y * x + 3.333_333e-1;
    y = y * x * z;
    y += -2.121_944_4e-4 * e;
    y += -0.5 * z;
    x + y + 0.693_359_4 * e
}

/// `(sin x, cos x)` for `|x| <= pi/4` (Cephes `sinf`/`cosf` polynomials).
#[inline(always)]
fn sin_cos_pi4(x: f32) -> (f32, f32) {
    let z = x * x;
    let s = ((-1.951_529_6e-4 * z + 8.332_161e-3) * z - 1.666_665_5e-1) * z * x + x;
    let c = ((2.443_315_7e-5 * z - 1.388_731_6e-3) * z + 4.166_664_6e-2) * z * z - 0.5 * z + 1.0;
    (s, c)
}

/// `2 * PAIRS` standard normals in f64 by Box-Muller from 53-bit uniforms.
fn normal_block_f64(rng: &mut ChaCha8Rng, out: &mut [f64; 2 * PAIRS]) {
    let mut bits = [0u64; 2 * PAIRS];
    rng.fill(&mut bits[..]);
    let (a, b) = bits.split_at(PAIRS);
    let (lo, hi) = out.split_at_mut(PAIRS);
    for i in 0..PAIRS {
        let u = ((a[i] >> 11) + 1) as f64 * INV_2_53; // (0, 1]
        let r = (-2.0 * u.ln()).sqrt();
        let (s, c) = ((b[i] >> 11) as f64 * INV_2_53 * std::f64::consts::TAU).sin_cos();
        lo[i] = r * c;
        hi[i] = r * s;
    }
}

/// Uniform integer in `[0, range)` without bias (Lemire's widening multiply).
#[inline]
fn bounded_u64(rng: &mut ChaCha8Rng, range: u64) -> u64 {
    let mut m = (rng.next_u64() as u128) * (range as u128);
    if (m as u64) < range {
        let t = range.wrapping_neg() % range;
        while (m as u64) < t {
            m = (rng.next_u64() as u128) * (range as u128);
        }
    }
    (m >> 64) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_f32_is_accurate() {
        let mut worst = 0.0f64;
        for k in 1..=100_000u32 {
            let u = k as f32 / 100_000.0;
            let got = ln_f32(u) as f64;
            let want = (u as f64).ln();
            worst = worst.max((got - want).abs() / want.abs().max(1e-30).max(1e-7));
        }
        // Tiny inputs: the whole exponent range Box-Muller uses.
        for e in 1..=24 {
            let u = (2.0f32).powi(-e) * 1.3;
            assert!(((ln_f32(u) as f64) - (u as f64).ln()).abs() < 1e-5);
        }
        assert!(worst < 1e-5, "ln_f32 relative error {worst}");
    }

    #[test]
    fn sin_cos_is_accurate() {
        for k in -1000..=1000 {
            let x = k as f32 / 1000.0 * std::f32::consts::FRAC_PI_4;
            let (s, c) = sin_cos_pi4(x);
            assert!((s as f64 - (x as f64).sin()).abs() < 2e-7, "sin({x})");
            assert!((c as f64 - (x as f64).cos()).abs() < 2e-7, "cos({x})");
        }
    }

    #[test]
    fn box_muller_covers_the_circle() {
        // Angles from all four quadrants give points on the circle of radius r.
        let mut quadrants = [0usize; 4];
        for q in 0..4u32 {
            for k in 0..64u32 {
                let b = (q << 30) | (k << 24);
                let (x, y) = box_muller_f32(0x8000_0000, b);
                let r = (-2.0f32 * (0.5f32 + 1.0 / 16_777_216.0).ln()).sqrt();
                assert!(((x * x + y * y).sqrt() - r).abs() < 1e-5);
                let a = y.atan2(x).rem_euclid(std::f32::consts::TAU);
                quadrants[((a / std::f32::consts::FRAC_PI_2) as usize).min(3)] += 1;
            }
        }
        assert!(quadrants.iter().all(|&c| c > 32), "{quadrants:?}");
    }

    #[test]
    fn bounded_is_in_range() {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        for range in [1u64, 2, 3, 7, 1000, u64::MAX] {
            for _ in 0..1000 {
                assert!(bounded_u64(&mut rng, range) < range);
            }
        }
    }
}
