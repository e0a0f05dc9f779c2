//! `tf.image` operations and image file I/O, with TensorFlow's semantics.
//!
//! Images are channels-last tensors shaped `[height, width, channels]` or batched
//! `[batch, height, width, channels]`, like TensorFlow's.
//!
//! * [`decode_png`], [`decode_jpeg`], [`decode_image`], [`encode_png`], [`encode_jpeg`]:
//!   `tf.io.decode_*`/`encode_*` (uint8 tensors).
//! * [`load_img`], [`img_to_array`], [`array_to_img`], [`save_img`]: `keras.utils`'s image
//!   helpers (Pillow's resampling for `load_img`).
//! * [`resize`]: `tf.image.resize` (nearest, bilinear, bicubic, area; half-pixel centres).
//! * Cropping and padding ([`crop_to_bounding_box`], [`pad_to_bounding_box`],
//!   [`central_crop`], [`resize_with_crop_or_pad`]), orientation ([`flip_left_right`],
//!   [`flip_up_down`], [`rot90`], [`transpose`]) and colour ([`adjust_brightness`],
//!   [`adjust_contrast`], [`adjust_saturation`], [`adjust_hue`], [`adjust_gamma`],
//!   [`rgb_to_grayscale`], [`grayscale_to_rgb`], [`rgb_to_hsv`], [`hsv_to_rgb`],
//!   [`per_image_standardization`]).
//! * Random augmentations for `Dataset::map` ([`random_flip_left_right`],
//!   [`random_brightness`], [`random_contrast`], [`random_crop`], ... and their
//!   `stateless_random_*` twins), with TF's op-level seeds.
//! * [`apply_affine_transform`]: Keras's legacy affine augmentation (scipy's
//!   `ndimage.affine_transform`, order 1).
//!
//! ```
//! use kiln_data::image;
//! use kiln_tensor::Tensor;
//! let x = Tensor::from_vec((0..12).map(|v| v as f32).collect::<Vec<_>>(), &[2, 2, 3])?;
//! let y = image::resize(&x, (4, 4), image::ResizeMethod::Bilinear, false, false)?;
//! assert_eq!(y.shape(), &[4, 4, 3]);
//! let g = image::rgb_to_grayscale(&x)?;
//! assert_eq!(g.shape(), &[2, 2, 1]);
//! # Ok::<(), kiln_data::DataError>(())
//! ```

mod affine;
mod color;
mod crop;
mod flip;
mod io;
mod keras_utils;
mod random;
mod resize;

pub use affine::{apply_affine_transform, AffineTransform, FillMode};
pub use color::{
    adjust_brightness, adjust_contrast, adjust_gamma, adjust_hue, adjust_saturation,
    grayscale_to_rgb, hsv_to_rgb, per_image_standardization, rgb_to_grayscale, rgb_to_hsv,
};
pub use crop::{central_crop, crop_to_bounding_box, pad_to_bounding_box, resize_with_crop_or_pad};
pub use flip::{flip_left_right, flip_up_down, rot90, transpose};
pub use io::{decode_image, decode_jpeg, decode_png, encode_jpeg, encode_png};
pub use keras_utils::{array_to_img, img_to_array, load_img, save_img, ColorMode, Interpolation};
pub use random::{
    random_brightness, random_contrast, random_crop, random_flip_left_right, random_flip_up_down,
    random_hue, random_saturation, stateless_random_brightness, stateless_random_contrast,
    stateless_random_crop, stateless_random_flip_left_right, stateless_random_flip_up_down,
    stateless_random_hue, stateless_random_saturation,
};
pub use resize::{resize, ResizeMethod};

use kiln_tensor::{DType, Tensor};

use crate::{DataError, Result};

pub(crate) fn invalid(api: &'static str, msg: impl Into<String>) -> DataError {
    DataError::Invalid {
        api,
        msg: msg.into(),
    }
}

/// An image or batch of images unpacked to a flat buffer, `[n, h, w, c]` row-major.
#[derive(Debug, Clone)]
pub(crate) struct Images<T> {
    pub n: usize,
    pub h: usize,
    pub w: usize,
    pub c: usize,
    /// Whether the tensor had a batch axis (rank 4).
    pub batched: bool,
    pub dtype: DType,
    pub data: Vec<T>,
}

impl<T> Images<T> {
    pub fn dims(api: &'static str, t: &Tensor) -> Result<(usize, usize, usize, usize, bool)> {
        match *t.shape() {
            [h, w, c] => Ok((1, h, w, c, false)),
            [n, h, w, c] => Ok((n, h, w, c, true)),
            ref s => Err(invalid(
                api,
                format!(
                    "expected an image of rank 3 [height, width, channels] or a batch of rank 4 \
                     [batch, height, width, channels], got shape {s:?}"
                ),
            )),
        }
    }

    /// The output shape for `h x w x c` images, batched like this input.
    pub fn shape_for(&self, h: usize, w: usize, c: usize) -> Vec<usize> {
        if self.batched {
            vec![self.n, h, w, c]
        } else {
            vec![h, w, c]
        }
    }

    pub fn idx(&self, b: usize, y: usize, x: usize, ch: usize) -> usize {
        ((b * self.h + y) * self.w + x) * self.c + ch
    }
}

impl Images<f32> {
    /// Unpacks `t` as f32 values (any numeric dtype is converted).
    pub fn f32(api: &'static str, t: &Tensor) -> Result<Self> {
        let (n, h, w, c, batched) = Self::dims(api, t)?;
        let data = match t.dtype() {
            DType::F32 => t.to_vec::<f32>()?,
            _ => t.to_f64_vec().into_iter().map(|v| v as f32).collect(),
        };
        Ok(Images {
            n,
            h,
            w,
            c,
            batched,
            dtype: t.dtype(),
            data,
        })
    }

    /// Like [`Images::f32`] but only for floating-point tensors (the colour ops).
    pub fn float(api: &'static str, t: &Tensor) -> Result<Self> {
        if !t.dtype().is_float() {
            return Err(invalid(
                api,
                format!(
                    "expected a floating-point image, got dtype {} (cast it to float32 first)",
                    t.dtype().name()
                ),
            ));
        }
        Self::f32(api, t)
    }

    /// Packs `data` (`h x w x c` per image) as a tensor of the input's float dtype.
    pub fn finish_float(&self, data: Vec<f32>, h: usize, w: usize, c: usize) -> Result<Tensor> {
        let t = Tensor::from_vec(data, &self.shape_for(h, w, c))?;
        Ok(if self.dtype.is_float() && self.dtype != DType::F32 {
            t.cast(self.dtype)?
        } else {
            t
        })
    }
}

impl Images<f64> {
    /// Unpacks `t` as f64 values, exact for every dtype up to 32 bits (the geometric ops
    /// gather values and cast back, so they keep the dtype).
    pub fn f64(api: &'static str, t: &Tensor) -> Result<Self> {
        let (n, h, w, c, batched) = Self::dims(api, t)?;
        Ok(Images {
            n,
            h,
            w,
            c,
            batched,
            dtype: t.dtype(),
            data: t.to_f64_vec(),
        })
    }

    /// Packs gathered values back into the input's dtype.
    pub fn finish_same(&self, data: Vec<f64>, h: usize, w: usize, c: usize) -> Result<Tensor> {
        Ok(Tensor::from_vec(data, &self.shape_for(h, w, c))?.cast(self.dtype)?)
    }

    /// Builds `[n, oh, ow, c]` by reading, for each output pixel, input pixel `src(y, x)`
    /// (`None` writes zero).
    pub fn gather(
        &self,
        oh: usize,
        ow: usize,
        src: impl Fn(usize, usize) -> Option<(usize, usize)>,
    ) -> Result<Tensor> {
        let mut out = vec![0.0; self.n * oh * ow * self.c];
        for b in 0..self.n {
            for y in 0..oh {
                for x in 0..ow {
                    if let Some((sy, sx)) = src(y, x) {
                        let o = ((b * oh + y) * ow + x) * self.c;
                        let i = self.idx(b, sy, sx, 0);
                        out[o..o + self.c].copy_from_slice(&self.data[i..i + self.c]);
                    }
                }
            }
        }
        self.finish_same(out, oh, ow, self.c)
    }
}
