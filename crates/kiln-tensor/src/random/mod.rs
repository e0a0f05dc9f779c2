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

mod global;
mod kernels;

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::autodiff::Op;
use crate::cpu::map::fill_new;
use crate::shape::numel;
use crate::{with_dtype, DType, Error, Result, Tensor};
use global::clock_seed;
pub use global::{
    bernoulli, normal, permutation, randint, set_global_seed, shuffle, stateless, truncated_normal,
    uniform, with_generator, with_global, with_op_seed,
};
pub(crate) use global::{global_snapshot, restore_global};
use kernels::{bounded_u64, fill_bits, fill_chunked, fill_each, normal_impl};

/// 2^-24: scales a 24-bit integer to [0, 1).
const INV_2_24: f32 = 1.0 / 16_777_216.0;
/// 2^-53: scales a 53-bit integer to [0, 1).
const INV_2_53: f64 = 1.0 / 9_007_199_254_740_992.0;
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
