//! `tf.image` cropping and padding.

use kiln_tensor::Tensor;

use super::{invalid, Images};
use crate::Result;

/// `tf.image.crop_to_bounding_box`: the `target_height x target_width` window whose
/// top-left corner is at (`offset_height`, `offset_width`). Keeps the dtype.
///
/// ```
/// use kiln_tensor::Tensor;
/// let x = Tensor::from_vec((0..16).map(|v| v as f32).collect::<Vec<_>>(), &[4, 4, 1])?;
/// let y = kiln_data::image::crop_to_bounding_box(&x, 1, 2, 2, 2)?;
/// assert_eq!(y.to_vec::<f32>()?, vec![6.0, 7.0, 10.0, 11.0]);
/// assert!(kiln_data::image::crop_to_bounding_box(&x, 3, 0, 2, 2).is_err());
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn crop_to_bounding_box(
    image: &Tensor,
    offset_height: usize,
    offset_width: usize,
    target_height: usize,
    target_width: usize,
) -> Result<Tensor> {
    const API: &str = "image::crop_to_bounding_box";
    let im = Images::<f64>::f64(API, image)?;
    if target_height == 0 || target_width == 0 {
        return Err(invalid(
            API,
            format!("target_height and target_width must be > 0, got {target_height} and {target_width}"),
        ));
    }
    if offset_height + target_height > im.h || offset_width + target_width > im.w {
        return Err(invalid(
            API,
            format!(
                "the box (offset {offset_height}, {offset_width}, size {target_height} x \
                 {target_width}) does not fit in the image of shape {:?}",
                image.shape()
            ),
        ));
    }
    im.gather(target_height, target_width, |y, x| {
        Some((y + offset_height, x + offset_width))
    })
}

/// `tf.image.pad_to_bounding_box`: zero-pads to `target_height x target_width` with the
/// image's top-left corner at (`offset_height`, `offset_width`). Keeps the dtype.
///
/// ```
/// use kiln_tensor::Tensor;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[1, 2, 1])?;
/// let y = kiln_data::image::pad_to_bounding_box(&x, 1, 1, 2, 4)?;
/// assert_eq!(y.to_vec::<f32>()?, vec![0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 0.0]);
/// assert!(kiln_data::image::pad_to_bounding_box(&x, 0, 3, 2, 4).is_err());
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn pad_to_bounding_box(
    image: &Tensor,
    offset_height: usize,
    offset_width: usize,
    target_height: usize,
    target_width: usize,
) -> Result<Tensor> {
    const API: &str = "image::pad_to_bounding_box";
    let im = Images::<f64>::f64(API, image)?;
    if offset_height + im.h > target_height || offset_width + im.w > target_width {
        return Err(invalid(
            API,
            format!(
                "an image of shape {:?} at offset ({offset_height}, {offset_width}) does not fit \
                 in {target_height} x {target_width}",
                image.shape()
            ),
        ));
    }
    im.gather(target_height, target_width, |y, x| {
        let (sy, sx) = (y.checked_sub(offset_height)?, x.checked_sub(offset_width)?);
        (sy < im.h && sx < im.w).then_some((sy, sx))
    })
}

/// `tf.image.central_crop`: keeps the central `central_fraction` (in `(0, 1]`) of each
/// side, with TensorFlow's start `int((size - size * fraction) / 2)`. Keeps the dtype.
///
/// ```
/// use kiln_tensor::Tensor;
/// let x = Tensor::zeros(&[2, 6, 8, 3], kiln_tensor::DType::F32);
/// assert_eq!(kiln_data::image::central_crop(&x, 0.5)?.shape(), &[2, 4, 4, 3]);
/// assert!(kiln_data::image::central_crop(&x, 0.0).is_err());
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn central_crop(image: &Tensor, central_fraction: f64) -> Result<Tensor> {
    const API: &str = "image::central_crop";
    let im = Images::<f64>::f64(API, image)?;
    if !(central_fraction > 0.0 && central_fraction <= 1.0) {
        return Err(invalid(
            API,
            format!("central_fraction must be within (0, 1], got {central_fraction}"),
        ));
    }
    if central_fraction == 1.0 {
        return Ok(image.clone());
    }
    let start = |size: usize| ((size as f64 - size as f64 * central_fraction) / 2.0) as usize;
    let (h0, w0) = (start(im.h), start(im.w));
    let (oh, ow) = (im.h - 2 * h0, im.w - 2 * w0);
    im.gather(oh, ow, |y, x| Some((y + h0, x + w0)))
}

/// `tf.image.resize_with_crop_or_pad`: centrally crops and/or zero-pads each side to the
/// target size (crop offset `(size - target) / 2`, pad offset `(target - size) / 2`,
/// rounded down). Keeps the dtype.
///
/// ```
/// use kiln_tensor::Tensor;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[1, 3, 1])?;
/// let y = kiln_data::image::resize_with_crop_or_pad(&x, 3, 2)?;
/// assert_eq!(y.to_vec::<f32>()?, vec![0.0, 0.0, 1.0, 2.0, 0.0, 0.0]);
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn resize_with_crop_or_pad(
    image: &Tensor,
    target_height: usize,
    target_width: usize,
) -> Result<Tensor> {
    const API: &str = "image::resize_with_crop_or_pad";
    let im = Images::<f64>::f64(API, image)?;
    if target_height == 0 || target_width == 0 {
        return Err(invalid(
            API,
            format!("target_height and target_width must be > 0, got {target_height} and {target_width}"),
        ));
    }
    // Offsets into the input (crop) and output (pad) along one axis.
    let offsets = |size: usize, target: usize| {
        if target >= size {
            (0, (target - size) / 2)
        } else {
            ((size - target) / 2, 0)
        }
    };
    let (crop_h, pad_h) = offsets(im.h, target_height);
    let (crop_w, pad_w) = offsets(im.w, target_width);
    let (kept_h, kept_w) = (im.h.min(target_height), im.w.min(target_width));
    im.gather(target_height, target_width, |y, x| {
        let (sy, sx) = (y.checked_sub(pad_h)?, x.checked_sub(pad_w)?);
        (sy < kept_h && sx < kept_w).then_some((sy + crop_h, sx + crop_w))
    })
}
