//! `tf.image` flips, quarter turns and transposition (dtype-preserving).

use kiln_tensor::Tensor;

use super::Images;
use crate::Result;

/// `tf.image.flip_left_right`: reverses the width axis.
///
/// ```
/// use kiln_tensor::Tensor;
/// let x = Tensor::from_vec(vec![1u8, 2, 3], &[1, 3, 1])?;
/// assert_eq!(kiln_data::image::flip_left_right(&x)?.to_vec::<u8>()?, vec![3, 2, 1]);
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn flip_left_right(image: &Tensor) -> Result<Tensor> {
    let im = Images::<f64>::f64("image::flip_left_right", image)?;
    im.gather(im.h, im.w, |y, x| Some((y, im.w - 1 - x)))
}

/// `tf.image.flip_up_down`: reverses the height axis.
///
/// ```
/// use kiln_tensor::Tensor;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3, 1, 1])?;
/// assert_eq!(kiln_data::image::flip_up_down(&x)?.to_vec::<f32>()?, vec![3.0, 2.0, 1.0]);
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn flip_up_down(image: &Tensor) -> Result<Tensor> {
    let im = Images::<f64>::f64("image::flip_up_down", image)?;
    im.gather(im.h, im.w, |y, x| Some((im.h - 1 - y, x)))
}

/// `tf.image.rot90`: rotates counter-clockwise by `k` quarter turns (`k` taken modulo 4,
/// so negative `k` turns clockwise).
///
/// ```
/// use kiln_tensor::Tensor;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2, 1])?;
/// assert_eq!(kiln_data::image::rot90(&x, 1)?.to_vec::<f32>()?, vec![2.0, 4.0, 1.0, 3.0]);
/// assert_eq!(kiln_data::image::rot90(&x, -1)?.to_vec::<f32>()?, vec![3.0, 1.0, 4.0, 2.0]);
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn rot90(image: &Tensor, k: i64) -> Result<Tensor> {
    let im = Images::<f64>::f64("image::rot90", image)?;
    let (h, w) = (im.h, im.w);
    match k.rem_euclid(4) {
        0 => Ok(image.clone()),
        1 => im.gather(w, h, |y, x| Some((x, w - 1 - y))),
        2 => im.gather(h, w, |y, x| Some((h - 1 - y, w - 1 - x))),
        _ => im.gather(w, h, |y, x| Some((h - 1 - x, y))),
    }
}

/// `tf.image.transpose`: swaps the height and width axes.
///
/// ```
/// use kiln_tensor::Tensor;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3, 1])?;
/// let t = kiln_data::image::transpose(&x)?;
/// assert_eq!(t.shape(), &[3, 2, 1]);
/// assert_eq!(t.to_vec::<f32>()?, vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn transpose(image: &Tensor) -> Result<Tensor> {
    let im = Images::<f64>::f64("image::transpose", image)?;
    im.gather(im.w, im.h, |y, x| Some((x, y)))
}
