//! Optimizer update kernels: one pass over a variable, its gradient and its slots.
//!
//! The optimizers of `kiln` (Keras's update rules) call these for f32 variables. Each
//! kernel computes exactly the scalar formula of its rule, in the same order, so the
//! result does not depend on the build chosen: the AVX2 build is the same loop compiled
//! with 8-wide vectors (IEEE `sqrt` and division are exact in every lane width, and no
//! multiply-add is contracted). Large variables are split across threads.

use rayon::prelude::*;

use super::parallel::{chunk_len, num_threads};

/// Elements below which an update stays on one thread (an Adam step costs a `sqrt` and a
/// division per element, so threads pay earlier than for a plain elementwise map).
pub const UPDATE_PAR_MIN: usize = 1 << 15;

/// The coefficients of one Adam step (Keras 3's `Adam.update_step`, non-AMSGrad):
/// `m += (g - m) * one_minus_beta_1`, `v += (g*g - v) * one_minus_beta_2`,
/// `w -= m * alpha / (sqrt(v) + epsilon)`, with `alpha` the bias-corrected rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamCoefs {
    /// `1 - beta_1`.
    pub one_minus_beta_1: f32,
    /// `1 - beta_2`.
    pub one_minus_beta_2: f32,
    /// The denominator fuzz.
    pub epsilon: f32,
    /// `lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)`.
    pub alpha: f32,
}

#[inline(always)]
fn adam_loop(w: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], c: AdamCoefs) {
    let AdamCoefs {
        one_minus_beta_1: b1,
        one_minus_beta_2: b2,
        epsilon: eps,
        alpha,
    } = c;
    for (((wi, &gi), mi), vi) in w.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
        let mn = *mi + (gi - *mi) * b1;
        let vn = *vi + (gi * gi - *vi) * b2;
        *mi = mn;
        *vi = vn;
        *wi -= mn * alpha / (vn.sqrt() + eps);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn adam_loop_avx2(w: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], c: AdamCoefs) {
    adam_loop(w, g, m, v, c)
}

fn adam_chunk(w: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], c: AdamCoefs) {
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above); the function is safe slice
        // arithmetic compiled for that feature.
        unsafe { adam_loop_avx2(w, g, m, v, c) };
        return;
    }
    adam_loop(w, g, m, v, c)
}

/// One Adam step on an f32 variable `w` with gradient `g` and slots `m`, `v` (all the
/// same length), in place. Bit-identical on every CPU and thread count.
///
/// ```
/// use kiln_tensor::cpu::optim::{adam_f32, AdamCoefs};
/// let (mut w, g, mut m, mut v) = (vec![1.0f32; 3], vec![0.5f32; 3], vec![0.0; 3], vec![0.0; 3]);
/// let c = AdamCoefs { one_minus_beta_1: 0.1, one_minus_beta_2: 0.001, epsilon: 1e-7, alpha: 0.001 };
/// adam_f32(&mut w, &g, &mut m, &mut v, c)?;
/// assert_eq!(m, vec![0.05; 3]);
/// assert!((w[0] - (1.0 - 0.05 * 0.001 / (0.00025f32.sqrt() + 1e-7))).abs() < 1e-7);
/// # Ok::<(), kiln_tensor::Error>(())
/// ```
pub fn adam_f32(
    w: &mut [f32],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    c: AdamCoefs,
) -> crate::Result<()> {
    let n = w.len();
    if g.len() != n || m.len() != n || v.len() != n {
        return Err(crate::Error::shape(
            "adam_update",
            format!(
                "variable, gradient and slots must have the same length, got {n}, {}, {} and {}",
                g.len(),
                m.len(),
                v.len()
            ),
        ));
    }
    if n < UPDATE_PAR_MIN || num_threads() < 2 {
        adam_chunk(w, g, m, v, c);
        return Ok(());
    }
    let len = chunk_len(n, UPDATE_PAR_MIN / 2);
    w.par_chunks_mut(len)
        .zip(g.par_chunks(len))
        .zip(m.par_chunks_mut(len))
        .zip(v.par_chunks_mut(len))
        .for_each(|(((w, g), m), v)| adam_chunk(w, g, m, v, c));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(n: usize, seed: u32) -> Vec<f32> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (s >> 8) as f32 / (1u32 << 24) as f32 - 0.5
            })
            .collect()
    }

    #[test]
    fn every_build_and_thread_split_equals_the_scalar_formula() {
        let c = AdamCoefs {
            one_minus_beta_1: 0.1,
            one_minus_beta_2: 0.001,
            epsilon: 1e-7,
            alpha: 1e-3,
        };
        for n in [0, 1, 7, 9, 1000, UPDATE_PAR_MIN + 13, 3 * UPDATE_PAR_MIN] {
            let g = data(n, 1);
            let (mut w, mut m, mut v) = (data(n, 2), data(n, 3), data(n, 4));
            for x in v.iter_mut() {
                *x = x.abs();
            }
            let (mut w2, mut m2, mut v2) = (w.clone(), m.clone(), v.clone());
            adam_f32(&mut w, &g, &mut m, &mut v, c).unwrap();
            adam_loop(&mut w2, &g, &mut m2, &mut v2, c);
            let bits = |x: &[f32]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&w), bits(&w2), "n={n}");
            assert_eq!(bits(&m), bits(&m2), "n={n}");
            assert_eq!(bits(&v), bits(&v2), "n={n}");
        }
    }

    #[test]
    fn mismatched_lengths_are_an_error() {
        let c = AdamCoefs {
            one_minus_beta_1: 0.1,
            one_minus_beta_2: 0.001,
            epsilon: 1e-7,
            alpha: 1e-3,
        };
        let e = adam_f32(&mut [0.0; 2], &[0.0; 3], &mut [0.0; 2], &mut [0.0; 2], c).unwrap_err();
        assert!(e.to_string().contains("same length"), "{e}");
    }
}
