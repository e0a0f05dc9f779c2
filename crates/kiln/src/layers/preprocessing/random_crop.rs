//! `RandomCrop`.

use kiln_data::image::ResizeMethod;
use kiln_tensor::Tensor;
use serde_json::{json, Map, Value};

use super::augment::{invalid, to_f32, DataFormat, Layout};
use super::random_transform::{random_layer, RandomBase, RandomTransform};
use super::resizing::{resize_images, resized_shape, Aspect};
use crate::layers::layer::{LayerBase, Shape};
use crate::layers::registry::get_usize;
use crate::Result;

const API: &str = "RandomCrop";

/// `keras.layers.RandomCrop(height, width, seed=None, data_format=None)`: in training, an
/// image larger than the target in both axes gives a `height` x `width` window at a
/// uniformly drawn offset (one offset for the whole batch, as Keras draws it). Otherwise
/// Keras's deterministic path: offsets centred for the largest box of the target aspect
/// ratio, a `height` x `width` slice from there (clipped by the image) and, when that
/// is not the target size, a bilinear resize. As in Keras 3.15, inference returns the
/// input unchanged (no crop). Training output is f32; the crop is a differentiable
/// slice, the resize fallback is not differentiated.
///
/// ```
/// use kiln::layers::{LayerRef, RandomCrop};
/// use kiln_tensor::Tensor;
/// let l = LayerRef::new(RandomCrop::new(2, 2)?.seed(4));
/// let x = Tensor::from_vec((0..16).map(|v| v as f32).collect(), &[4, 4, 1])?;
/// let y = l.call_training(&x, true)?;
/// assert_eq!(y.shape(), &[2, 2, 1]);
/// let v = y.to_vec::<f32>()?; // a window: right neighbour +1, lower neighbour +4
/// assert_eq!((v[1] - v[0], v[2] - v[0]), (1.0, 4.0));
/// assert_eq!(l.call(&x)?.shape(), &[4, 4, 1]);
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct RandomCrop {
    base: LayerBase,
    height: usize,
    width: usize,
    random: RandomBase,
}

impl RandomCrop {
    /// Crops to `height` x `width` (both positive).
    pub fn new(height: usize, width: usize) -> Result<RandomCrop> {
        if height == 0 || width == 0 {
            return Err(invalid(
                API,
                format!("height and width must be positive, got ({height}, {width})"),
            ));
        }
        Ok(RandomCrop {
            base: LayerBase::new("random_crop"),
            height,
            width,
            random: RandomBase::new(),
        })
    }

    /// From a Keras config.
    pub(crate) fn from_config(c: &Value) -> Result<RandomCrop> {
        let mut l = RandomCrop::new(get_usize(API, c, "height")?, get_usize(API, c, "width")?)?;
        l.random = RandomBase::from_config(API, c)?;
        Ok(l)
    }

    /// The (row, column) offset a training call crops at, for images of `h` x `w`:
    /// random when both exceed the target, else Keras's centred offsets.
    pub fn random_offset(&mut self, h: usize, w: usize) -> Result<(usize, usize)> {
        let (th, tw) = (self.height, self.width);
        if h > th && w > tw {
            let dy = self.random.uniform(1, 0.0, (h - th + 1) as f64)?[0];
            let dx = self.random.uniform(1, 0.0, (w - tw + 1) as f64)?[0];
            return Ok(((dy as usize).min(h - th), (dx as usize).min(w - tw)));
        }
        let ch = ((w * th) as f64 / tw as f64) as usize;
        let ch = ch.min(h).max(1);
        let cw = ((h * tw) as f64 / th as f64) as usize;
        let cw = cw.min(w).max(1);
        Ok((
            ((h - ch) as f64 / 2.0) as usize,
            ((w - cw) as f64 / 2.0) as usize,
        ))
    }

    /// The `height` x `width` slice at `(row, column)` (clipped by the image), resized
    /// bilinearly to the target when the clip made it smaller; f32.
    ///
    /// ```
    /// use kiln::layers::RandomCrop;
    /// use kiln_tensor::Tensor;
    /// let l = RandomCrop::new(2, 2)?;
    /// let x = Tensor::from_vec((0..9).map(|v| v as f32).collect(), &[3, 3, 1])?;
    /// assert_eq!(l.crop_at(&x, 1, 0)?.to_vec::<f32>()?, vec![3.0, 4.0, 6.0, 7.0]);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn crop_at(&self, x: &Tensor, row: usize, col: usize) -> Result<Tensor> {
        let l = Layout::of(API, x, self.random.data_format())?;
        let x = to_f32(x)?;
        let x = match self.random.data_format() {
            DataFormat::ChannelsLast => x,
            DataFormat::ChannelsFirst => x.permute(&channels_perm(l.batched, true))?,
        };
        let row = row.min(l.h);
        let col = col.min(l.w);
        let (sh, sw) = (self.height.min(l.h - row), self.width.min(l.w - col));
        let (r, c, sh, sw) = (row as isize, col as isize, sh as isize, sw as isize);
        let mut y = if l.batched {
            x.slice(&[0, r, c, 0], &[-1, sh, sw, -1])?
        } else {
            x.slice(&[r, c, 0], &[sh, sw, -1])?
        };
        if sh as usize != self.height || sw as usize != self.width {
            y = resize_images(
                API,
                &y,
                (self.height, self.width),
                ResizeMethod::Bilinear,
                Aspect::Stretch,
            )?;
        }
        Ok(match self.random.data_format() {
            DataFormat::ChannelsLast => y,
            DataFormat::ChannelsFirst => y.permute(&channels_perm(l.batched, false))?,
        })
    }
}

/// The permutation from channels-first to channels-last (`to_last`) or back.
fn channels_perm(batched: bool, to_last: bool) -> Vec<usize> {
    match (batched, to_last) {
        (true, true) => vec![0, 2, 3, 1],
        (true, false) => vec![0, 3, 1, 2],
        (false, true) => vec![1, 2, 0],
        (false, false) => vec![2, 0, 1],
    }
}

impl RandomTransform for RandomCrop {
    const API: &'static str = API;
    const INFERENCE_CASTS: bool = false;
    fn random_base(&self) -> &RandomBase {
        &self.random
    }
    fn transform_batch(&mut self, x: &Tensor, l: &Layout) -> Result<Tensor> {
        let (row, col) = self.random_offset(l.h, l.w)?;
        self.crop_at(x, row, col)
    }
    fn write_own_config(&self, c: &mut Map<String, Value>) {
        c.insert("height".into(), json!(self.height));
        c.insert("width".into(), json!(self.width));
    }
    fn output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        // The training shape (inference keeps the input's shape, as Keras does).
        let s = input_shapes.first()?;
        if self.random.data_format() == DataFormat::ChannelsFirst {
            let mut s = s.clone();
            let n = s.len();
            if n < 2 {
                return Some(Err(invalid(API, "expected an input of rank 3 or 4")));
            }
            s[n - 2] = Some(self.height);
            s[n - 1] = Some(self.width);
            return Some(Ok(vec![s]));
        }
        Some(resized_shape(API, s, self.height, self.width).map(|s| vec![s]))
    }
}

random_layer!(RandomCrop);
