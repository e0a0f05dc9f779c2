//! Inverted dropout, as `tf.nn.dropout`: kept values are scaled by `1 / (1 - rate)` so the
//! expected value is unchanged, dropped values are 0.

use crate::autodiff::Op;
use crate::cpu::map::binary_map;
use crate::cpu::num::Num;
use crate::dtype::Element;
use crate::ops::record;
use crate::random::{with_generator, Generator};
use crate::shape::{broadcast_shapes, fmt_shape};
use crate::{with_num_dtype, DType, Error, Result, Tensor};

fn check_rate(op: &'static str, x: &Tensor, rate: f64) -> Result<()> {
    if !x.dtype().is_float() {
        return Err(Error::dtype(
            op,
            format!(
                "expected a float tensor, got {} with shape {}",
                x.dtype().name(),
                fmt_shape(x.shape())
            ),
        ));
    }
    if !(0.0..1.0).contains(&rate) {
        return Err(Error::arg(op, format!("rate={rate} must be in [0, 1)")));
    }
    Ok(())
}

/// Checks that a mask of `mask_shape` broadcasts to exactly `x`'s shape.
fn check_mask_shape(op: &'static str, x: &Tensor, mask_shape: &[usize], what: &str) -> Result<()> {
    if broadcast_shapes(op, x.shape(), mask_shape).ok().as_deref() != Some(x.shape()) {
        return Err(Error::shape(
            op,
            format!(
                "{what} {} must broadcast to the input shape {} (each dimension equal or 1)",
                fmt_shape(mask_shape),
                fmt_shape(x.shape())
            ),
        ));
    }
    Ok(())
}

/// `x * scale * mask` for a bool keep-`mask` broadcastable to `x`, in one pass (no float
/// mask is materialised; multiplying rather than selecting keeps TF's NaN and signed-zero
/// results). The gradient is the same op on the upstream gradient,
/// so nested tapes see it too.
fn apply_mask(op: &'static str, x: &Tensor, mask: Tensor, rate: f64) -> Result<Tensor> {
    let scale = 1.0 / (1.0 - rate);
    let shape = x.shape().to_vec();
    let out = with_num_dtype!(op, x.dtype(), T => {
        let s = T::from_f64(scale);
        binary_map::<T, bool, T>(x, &mask, &shape, move |v, keep| {
            v.mul(s).mul(if keep { T::one() } else { T::zero() })
        })
    })?;
    let m = mask.clone();
    Ok(record(
        || Op::new(op).attr("rate", rate),
        &[x, &m],
        out,
        move |g| Ok(vec![Some(apply_mask(op, g, mask.clone(), rate)?), None]),
    ))
}

impl Tensor {
    /// Inverted dropout (`tf.nn.dropout`): each element is zeroed with probability `rate`
    /// and the kept ones are scaled by `1 / (1 - rate)`. `rate` must be in `[0, 1)`;
    /// `rate == 0` returns the input unchanged. Draws from `generator`, or from the global
    /// generator when `None` (see [`crate::random`]). The gradient is
    /// `upstream * mask / (1 - rate)` with the same mask.
    ///
    /// ```
    /// use kiln_tensor::random::Generator;
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::ones(&[1000], kiln_tensor::DType::F32);
    /// let y = x.dropout(0.5, Some(&mut Generator::from_seed(0)))?;
    /// let v = y.to_vec::<f32>()?;
    /// assert!(v.iter().all(|&e| e == 0.0 || e == 2.0));
    /// let kept = v.iter().filter(|&&e| e == 2.0).count();
    /// assert!((400..600).contains(&kept));
    /// assert!(x.dropout(1.0, None).is_err());
    /// # Ok::<(), kiln_tensor::Error>(())
    /// ```
    pub fn dropout(&self, rate: f64, generator: Option<&mut Generator>) -> Result<Tensor> {
        check_rate("dropout", self, rate)?;
        if rate == 0.0 {
            return Ok(self.clone());
        }
        let mask = with_generator(generator, |g| g.bernoulli(self.shape(), 1.0 - rate))?;
        // The mask is an op of its own (`random_bernoulli`, drawn afresh on each replay);
        // `dropout` applies it.
        apply_mask("dropout", self, mask, rate)
    }

    /// Dropout with one keep/drop decision per element of `noise_shape`, broadcast over
    /// `self` (`tf.nn.dropout(noise_shape=...)`, Keras `Dropout(noise_shape=...)`): e.g.
    /// `(batch, 1, features)` drops the same features at every timestep. Each dimension of
    /// `noise_shape` must equal the input's or be 1.
    ///
    /// ```
    /// use kiln_tensor::random::Generator;
    /// use kiln_tensor::{DType, Tensor};
    /// let x = Tensor::ones(&[4, 3], DType::F32);
    /// let y = x.dropout_noise_shape(0.5, &[1, 3], Some(&mut Generator::from_seed(1)))?;
    /// let v = y.to_vec::<f32>()?;
    /// for r in 1..4 {
    ///     assert_eq!(&v[r * 3..r * 3 + 3], &v[0..3]); // same columns dropped in every row
    /// }
    /// assert!(x.dropout_noise_shape(0.5, &[2, 3], None).is_err());
    /// # Ok::<(), kiln_tensor::Error>(())
    /// ```
    pub fn dropout_noise_shape(
        &self,
        rate: f64,
        noise_shape: &[usize],
        generator: Option<&mut Generator>,
    ) -> Result<Tensor> {
        check_rate("dropout", self, rate)?;
        check_mask_shape("dropout", self, noise_shape, "noise_shape")?;
        if rate == 0.0 {
            return Ok(self.clone());
        }
        let mask = with_generator(generator, |g| g.bernoulli(noise_shape, 1.0 - rate))?;
        apply_mask("dropout", self, mask, rate)
    }

    /// Dropout with a given boolean keep-`mask` (true = keep), broadcastable to `self`:
    /// `where(mask, self / (1 - rate), 0)`. Useful to reuse one mask (recurrent dropout) or
    /// to test. The gradient is `upstream * mask / (1 - rate)`.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[4])?;
    /// let mask = Tensor::from_vec(vec![true, false, true, false], &[4])?;
    /// let y = x.dropout_with_mask(&mask, 0.5)?;
    /// assert_eq!(y.to_vec::<f32>()?, vec![2.0, 0.0, 6.0, 0.0]);
    /// # Ok::<(), kiln_tensor::Error>(())
    /// ```
    pub fn dropout_with_mask(&self, mask: &Tensor, rate: f64) -> Result<Tensor> {
        check_rate("dropout_with_mask", self, rate)?;
        if mask.dtype() != DType::Bool {
            return Err(Error::dtype(
                "dropout_with_mask",
                format!(
                    "mask must be bool (true = keep), got {} with shape {}",
                    mask.dtype().name(),
                    fmt_shape(mask.shape())
                ),
            ));
        }
        check_mask_shape("dropout_with_mask", self, mask.shape(), "mask shape")?;
        apply_mask("dropout_with_mask", self, mask.clone(), rate)
    }
}
