//! `tf.image`'s random augmentations, for use inside `Dataset::map`.
//!
//! Each `random_*` op takes TF's op-level `seed`: `None` draws from the global generator;
//! `Some(s)` continues the stream kept for `s` (reset by
//! [`kiln_tensor::random::set_global_seed`]), as TF 2's eager ops do: a seeded program
//! repeats run to run, while successive calls still draw afresh. Each `stateless_random_*`
//! twin takes TF's two-part `seed` and depends on it alone (the same seed, the same
//! result). The random streams are kiln's own (ChaCha8), not TF's Philox: the
//! distributions and rules are TF's, the individual draws are not.
//!
//! ```
//! use kiln_data::dataset::Dataset;
//! use kiln_data::image;
//! use kiln_tensor::{DType, Tensor};
//! kiln_tensor::random::set_global_seed(0);
//! let images = Tensor::ones(&[8, 4, 4, 3], DType::F32);
//! let ds = Dataset::from_tensor_slices(images)?.map(|e| {
//!     let x = image::random_flip_left_right(e.as_tensor()?, Some(1))?;
//!     Ok(image::random_brightness(&x, 0.1, Some(2))?.into())
//! });
//! assert_eq!(ds.collect()?.len(), 8);
//! # Ok::<(), kiln_data::DataError>(())
//! ```

use kiln_tensor::random::{self, Generator};
use kiln_tensor::Tensor;

use super::{
    adjust_brightness, adjust_contrast, adjust_hue, adjust_saturation, flip_left_right,
    flip_up_down, invalid,
};
use crate::Result;

/// A uniform draw in `[0, 1)` (53 bits).
fn unit(g: &mut Generator) -> f64 {
    (g.next_u64() >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
}

/// `flip` applied to each image (all of `image` for rank 3, each of the batch for rank
/// 4) for which a uniform draw is below 0.5, as `tf.image.random_flip_*`.
fn random_flip(
    api: &'static str,
    image: &Tensor,
    g: &mut Generator,
    flip: fn(&Tensor) -> Result<Tensor>,
) -> Result<Tensor> {
    match image.rank() {
        3 => {
            if unit(g) < 0.5 {
                flip(image)
            } else {
                Ok(image.clone())
            }
        }
        4 => {
            let n = image.shape()[0];
            let flipped = flip(image)?;
            let mut parts = Vec::with_capacity(n);
            for i in 0..n {
                let src = if unit(g) < 0.5 { &flipped } else { image };
                parts.push(src.slice(&[i as isize, 0, 0, 0], &[1, -1, -1, -1])?);
            }
            if parts.is_empty() {
                return Ok(image.clone());
            }
            let refs: Vec<&Tensor> = parts.iter().collect();
            Ok(Tensor::concat(&refs, 0)?)
        }
        r => Err(invalid(
            api,
            format!(
                "'image' must be at least three-dimensional (and at most four), got rank {r} (shape {:?})",
                image.shape()
            ),
        )),
    }
}

/// `tf.image.random_flip_left_right(image, seed)`: mirrors the width axis with
/// probability 1/2, per image of a batch.
///
/// ```
/// use kiln_tensor::Tensor;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[1, 2, 1])?;
/// let y = kiln_data::image::random_flip_left_right(&x, Some(5))?.to_vec::<f32>()?;
/// assert!(y == vec![1.0, 2.0] || y == vec![2.0, 1.0]);
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn random_flip_left_right(image: &Tensor, seed: Option<u64>) -> Result<Tensor> {
    random::with_op_seed(seed, |g| {
        random_flip("image::random_flip_left_right", image, g, flip_left_right)
    })
}

/// `tf.image.random_flip_up_down(image, seed)`: mirrors the height axis with probability
/// 1/2, per image of a batch.
pub fn random_flip_up_down(image: &Tensor, seed: Option<u64>) -> Result<Tensor> {
    random::with_op_seed(seed, |g| {
        random_flip("image::random_flip_up_down", image, g, flip_up_down)
    })
}

/// `tf.image.stateless_random_flip_left_right(image, seed)`.
pub fn stateless_random_flip_left_right(image: &Tensor, seed: [u64; 2]) -> Result<Tensor> {
    random_flip(
        "image::stateless_random_flip_left_right",
        image,
        &mut random::stateless(seed),
        flip_left_right,
    )
}

/// `tf.image.stateless_random_flip_up_down(image, seed)`.
pub fn stateless_random_flip_up_down(image: &Tensor, seed: [u64; 2]) -> Result<Tensor> {
    random_flip(
        "image::stateless_random_flip_up_down",
        image,
        &mut random::stateless(seed),
        flip_up_down,
    )
}

fn check_delta(api: &'static str, max_delta: f32, most: Option<f32>) -> Result<()> {
    if max_delta.is_nan() || max_delta < 0.0 {
        return Err(invalid(api, "max_delta must be non-negative."));
    }
    if let Some(m) = most
        && max_delta > m
    {
        return Err(invalid(api, format!("max_delta must be <= {m}.")));
    }
    Ok(())
}

fn check_range(api: &'static str, lower: f32, upper: f32) -> Result<()> {
    if upper.is_nan() || lower.is_nan() || upper <= lower {
        return Err(invalid(api, "upper must be > lower."));
    }
    if lower < 0.0 {
        return Err(invalid(api, "lower must be non-negative."));
    }
    Ok(())
}

fn draw_in(g: &mut Generator, lo: f32, hi: f32) -> f32 {
    (lo as f64 + unit(g) * (hi as f64 - lo as f64)) as f32
}

/// `tf.image.random_brightness(image, max_delta, seed)`: adds one delta drawn uniformly
/// from `[-max_delta, max_delta)`. A negative `max_delta` is an `Err`.
///
/// ```
/// use kiln_tensor::Tensor;
/// let x = Tensor::from_vec(vec![0.5f32; 4], &[2, 2, 1])?;
/// let y = kiln_data::image::random_brightness(&x, 0.2, Some(1))?.to_vec::<f32>()?;
/// assert!(y.iter().all(|v| (0.3..0.7).contains(v) && *v == y[0]));
/// assert!(kiln_data::image::random_brightness(&x, -0.1, None).is_err());
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn random_brightness(image: &Tensor, max_delta: f32, seed: Option<u64>) -> Result<Tensor> {
    check_delta("image::random_brightness", max_delta, None)?;
    let delta = random::with_op_seed(seed, |g| draw_in(g, -max_delta, max_delta));
    adjust_brightness(image, delta)
}

/// `tf.image.stateless_random_brightness(image, max_delta, seed)`.
pub fn stateless_random_brightness(
    image: &Tensor,
    max_delta: f32,
    seed: [u64; 2],
) -> Result<Tensor> {
    check_delta("image::stateless_random_brightness", max_delta, None)?;
    let delta = draw_in(&mut random::stateless(seed), -max_delta, max_delta);
    adjust_brightness(image, delta)
}

/// `tf.image.random_contrast(image, lower, upper, seed)`: one contrast factor drawn
/// uniformly from `[lower, upper)`. `upper <= lower` or a negative `lower` is an `Err`.
pub fn random_contrast(
    image: &Tensor,
    lower: f32,
    upper: f32,
    seed: Option<u64>,
) -> Result<Tensor> {
    check_range("image::random_contrast", lower, upper)?;
    let f = random::with_op_seed(seed, |g| draw_in(g, lower, upper));
    adjust_contrast(image, f)
}

/// `tf.image.stateless_random_contrast(image, lower, upper, seed)`.
pub fn stateless_random_contrast(
    image: &Tensor,
    lower: f32,
    upper: f32,
    seed: [u64; 2],
) -> Result<Tensor> {
    check_range("image::stateless_random_contrast", lower, upper)?;
    adjust_contrast(image, draw_in(&mut random::stateless(seed), lower, upper))
}

/// `tf.image.random_saturation(image, lower, upper, seed)`: one saturation factor drawn
/// uniformly from `[lower, upper)` (RGB images).
pub fn random_saturation(
    image: &Tensor,
    lower: f32,
    upper: f32,
    seed: Option<u64>,
) -> Result<Tensor> {
    check_range("image::random_saturation", lower, upper)?;
    let f = random::with_op_seed(seed, |g| draw_in(g, lower, upper));
    adjust_saturation(image, f)
}

/// `tf.image.stateless_random_saturation(image, lower, upper, seed)`.
pub fn stateless_random_saturation(
    image: &Tensor,
    lower: f32,
    upper: f32,
    seed: [u64; 2],
) -> Result<Tensor> {
    check_range("image::stateless_random_saturation", lower, upper)?;
    adjust_saturation(image, draw_in(&mut random::stateless(seed), lower, upper))
}

/// `tf.image.random_hue(image, max_delta, seed)`: one hue shift drawn uniformly from
/// `[-max_delta, max_delta)`; `max_delta` must lie in `[0, 0.5]`.
pub fn random_hue(image: &Tensor, max_delta: f32, seed: Option<u64>) -> Result<Tensor> {
    check_delta("image::random_hue", max_delta, Some(0.5))?;
    let d = random::with_op_seed(seed, |g| draw_in(g, -max_delta, max_delta));
    adjust_hue(image, d)
}

/// `tf.image.stateless_random_hue(image, max_delta, seed)`.
pub fn stateless_random_hue(image: &Tensor, max_delta: f32, seed: [u64; 2]) -> Result<Tensor> {
    check_delta("image::stateless_random_hue", max_delta, Some(0.5))?;
    adjust_hue(
        image,
        draw_in(&mut random::stateless(seed), -max_delta, max_delta),
    )
}

fn crop_with(
    api: &'static str,
    value: &Tensor,
    size: &[usize],
    g: &mut Generator,
) -> Result<Tensor> {
    let shape = value.shape();
    if size.len() != shape.len() {
        return Err(invalid(
            api,
            format!(
                "size must have one entry per dimension of value: value has shape {shape:?}, size is {size:?}"
            ),
        ));
    }
    if size.iter().zip(shape).any(|(s, d)| s > d) {
        return Err(invalid(
            api,
            format!("Need value.shape >= size, got value.shape={shape:?}, size={size:?}"),
        ));
    }
    let begin: Vec<isize> = size
        .iter()
        .zip(shape)
        .map(|(s, d)| {
            let limit = (d - s + 1) as u64;
            (g.next_u64() % limit) as isize
        })
        .collect();
    let sz: Vec<isize> = size.iter().map(|&s| s as isize).collect();
    Ok(value.slice(&begin, &sz)?)
}

/// `tf.image.random_crop(value, size, seed)`: a `size` window at an offset drawn
/// uniformly per dimension. A `size` larger than `value` is an `Err`.
///
/// ```
/// use kiln_tensor::{DType, Tensor};
/// let x = Tensor::ones(&[6, 6, 3], DType::F32);
/// assert_eq!(kiln_data::image::random_crop(&x, &[4, 4, 3], Some(0))?.shape(), &[4, 4, 3]);
/// assert!(kiln_data::image::random_crop(&x, &[7, 4, 3], None).is_err());
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn random_crop(value: &Tensor, size: &[usize], seed: Option<u64>) -> Result<Tensor> {
    random::with_op_seed(seed, |g| crop_with("image::random_crop", value, size, g))
}

/// `tf.image.stateless_random_crop(value, size, seed)`.
pub fn stateless_random_crop(value: &Tensor, size: &[usize], seed: [u64; 2]) -> Result<Tensor> {
    crop_with(
        "image::stateless_random_crop",
        value,
        size,
        &mut random::stateless(seed),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiln_tensor::DType;

    fn ramp(shape: &[usize]) -> Tensor {
        let n: usize = shape.iter().product();
        Tensor::from_vec((0..n).map(|v| v as f32).collect::<Vec<_>>(), shape).unwrap()
    }

    #[test]
    fn flips_are_fair_per_image_and_seeded_streams_repeat() {
        let x = ramp(&[200, 1, 2, 1]);
        random::set_global_seed(11);
        let a = random_flip_left_right(&x, Some(4))
            .unwrap()
            .to_vec::<f32>()
            .unwrap();
        let flipped = a.chunks(2).filter(|p| p[0] > p[1]).count();
        // 200 fair coins: 100 +- 5 sigma.
        assert!((65..=135).contains(&flipped), "{flipped} of 200 flipped");
        let b = random_flip_left_right(&x, Some(4))
            .unwrap()
            .to_vec::<f32>()
            .unwrap();
        assert_ne!(a, b, "the seeded stream moves on");
        random::set_global_seed(11);
        let again = random_flip_left_right(&x, Some(4))
            .unwrap()
            .to_vec::<f32>()
            .unwrap();
        assert_eq!(a, again, "set_global_seed restarts the op's stream");
        let s1 = stateless_random_flip_up_down(&ramp(&[50, 2, 1, 1]), [3, 4]).unwrap();
        let s2 = stateless_random_flip_up_down(&ramp(&[50, 2, 1, 1]), [3, 4]).unwrap();
        assert_eq!(s1.to_vec::<f32>().unwrap(), s2.to_vec::<f32>().unwrap());
    }

    #[test]
    fn colour_ops_draw_one_factor_in_range() {
        let x = Tensor::full(&[2, 3, 3, 3], 0.5, DType::F32);
        for seed in 0..20 {
            let y = random_brightness(&x, 0.25, Some(seed))
                .unwrap()
                .to_vec::<f32>()
                .unwrap();
            assert!(y.iter().all(|v| *v == y[0] && (0.25..0.75).contains(v)));
        }
        let img = ramp(&[2, 2, 3]).div_scalar(12.0).unwrap();
        let c = stateless_random_contrast(&img, 0.5, 1.5, [1, 1]).unwrap();
        assert_eq!(c.shape(), &[2, 2, 3]);
        assert!(random_hue(&img, 0.6, None)
            .unwrap_err()
            .to_string()
            .contains("max_delta must be <= 0.5."));
        assert!(random_contrast(&img, 1.0, 1.0, None)
            .unwrap_err()
            .to_string()
            .contains("upper must be > lower."));
        assert!(random_saturation(&img, -1.0, 1.0, None)
            .unwrap_err()
            .to_string()
            .contains("lower must be non-negative."));
        assert!(random_flip_left_right(&Tensor::ones(&[3, 3], DType::F32), None).is_err());
    }

    #[test]
    fn crops_are_windows_of_the_input() {
        let x = ramp(&[5, 5, 1]);
        let y = stateless_random_crop(&x, &[2, 3, 1], [9, 9]).unwrap();
        let v = y.to_vec::<f32>().unwrap();
        let (r, c) = ((v[0] as usize) / 5, (v[0] as usize) % 5);
        assert!(r <= 3 && c <= 2);
        let want: Vec<f32> = (0..2)
            .flat_map(|i| (0..3).map(move |j| ((r + i) * 5 + c + j) as f32))
            .collect();
        assert_eq!(v, want);
        let e = random_crop(&x, &[2, 2], None).unwrap_err().to_string();
        assert!(e.contains("one entry per dimension"), "{e}");
    }
}
