//! `RandomFlip`.

use kiln_tensor::Tensor;
use serde_json::{json, Map, Value};

use super::augment::{invalid, to_f32, Layout};
use super::random_transform::{random_layer, RandomBase, RandomTransform};
use crate::layers::layer::LayerBase;
use crate::Result;

const API: &str = "RandomFlip";

/// Which axes [`RandomFlip`] mirrors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Horizontal,
    Vertical,
    Both,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Horizontal => "horizontal",
            Mode::Vertical => "vertical",
            Mode::Both => "horizontal_and_vertical",
        }
    }
}

/// `keras.layers.RandomFlip(mode="horizontal_and_vertical", seed=None, data_format=None)`:
/// in training each image is flipped with probability 1/2 (a uniform draw `<= 0.5`);
/// `"horizontal_and_vertical"` uses one draw for both axes, as Keras does, so an image is
/// either unchanged or turned by 180 degrees. Output is f32 in training and inference
/// (Keras casts to the compute dtype). The flip is made of differentiable tensor ops.
/// An unknown `mode` is an error (Keras silently leaves the images unflipped).
///
/// ```
/// use kiln::layers::{LayerRef, RandomFlip};
/// use kiln_tensor::Tensor;
/// let l = RandomFlip::new("horizontal")?;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[1, 3, 1])?;
/// assert_eq!(l.flip_images(&x, &[true])?.to_vec::<f32>()?, vec![3.0, 2.0, 1.0]);
/// let y = LayerRef::new(l.seed(1)).call_training(&x, true)?.to_vec::<f32>()?;
/// assert!(y == vec![1.0, 2.0, 3.0] || y == vec![3.0, 2.0, 1.0]);
/// assert!(RandomFlip::new("diagonal").is_err());
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct RandomFlip {
    base: LayerBase,
    mode: Mode,
    random: RandomBase,
}

impl RandomFlip {
    /// `"horizontal"`, `"vertical"` or `"horizontal_and_vertical"` (Keras's default).
    pub fn new(mode: &str) -> Result<RandomFlip> {
        let mode = match mode {
            "horizontal" => Mode::Horizontal,
            "vertical" => Mode::Vertical,
            "horizontal_and_vertical" => Mode::Both,
            _ => {
                return Err(invalid(
                    API,
                    format!(
                        "unknown mode {mode:?}; expected \"horizontal\", \"vertical\" or \"horizontal_and_vertical\""
                    ),
                ))
            }
        };
        Ok(RandomFlip {
            base: LayerBase::new("random_flip"),
            mode,
            random: RandomBase::new(),
        })
    }

    /// From a Keras config.
    pub(crate) fn from_config(c: &Value) -> Result<RandomFlip> {
        let mode = c
            .get("mode")
            .and_then(Value::as_str)
            .unwrap_or("horizontal_and_vertical");
        let mut l = RandomFlip::new(mode)?;
        l.random = RandomBase::from_config(API, c)?;
        Ok(l)
    }

    /// Draws `n` flip decisions (what a training call uses).
    pub fn random_flips(&mut self, n: usize) -> Result<Vec<bool>> {
        Ok(self
            .random
            .uniform(n, 0.0, 1.0)?
            .into_iter()
            .map(|u| u <= 0.5)
            .collect())
    }

    /// Flips the images whose entry in `flips` is true (one per image, or one for all),
    /// along the layer's mode axes; the result is f32.
    ///
    /// ```
    /// use kiln::layers::RandomFlip;
    /// use kiln_tensor::Tensor;
    /// let l = RandomFlip::new("vertical")?;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2, 1, 1])?;
    /// let y = l.flip_images(&x, &[false, true])?;
    /// assert_eq!(y.to_vec::<f32>()?, vec![1.0, 2.0, 4.0, 3.0]);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn flip_images(&self, x: &Tensor, flips: &[bool]) -> Result<Tensor> {
        let l = Layout::of(API, x, self.random.data_format())?;
        if flips.len() != 1 && flips.len() != l.n {
            return Err(invalid(
                API,
                format!("expected 1 or {} flip decisions, got {}", l.n, flips.len()),
            ));
        }
        let x = to_f32(x)?;
        let (ha, wa) = l.spatial_axes();
        let axes: &[isize] = match self.mode {
            Mode::Horizontal => &[wa],
            Mode::Vertical => &[ha],
            Mode::Both => &[ha, wa],
        };
        if flips.iter().all(|&f| f) {
            return Ok(x.flip(axes)?);
        }
        if flips.iter().all(|&f| !f) {
            return Ok(x);
        }
        // Mixed decisions in a batch: flip image by image and restack.
        let parts = (0..l.n)
            .map(|i| {
                let xi = x.slice(&[i as isize, 0, 0, 0], &[1, -1, -1, -1])?;
                Ok(if flips[i] { xi.flip(axes)? } else { xi })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Tensor::concat(&parts.iter().collect::<Vec<_>>(), 0)?)
    }
}

impl RandomTransform for RandomFlip {
    const API: &'static str = API;
    const INFERENCE_CASTS: bool = true;
    fn random_base(&self) -> &RandomBase {
        &self.random
    }
    fn transform_batch(&mut self, x: &Tensor, l: &Layout) -> Result<Tensor> {
        let flips = self.random_flips(l.n)?;
        self.flip_images(x, &flips)
    }
    fn write_own_config(&self, c: &mut Map<String, Value>) {
        c.insert("mode".into(), json!(self.mode.name()));
    }
}

random_layer!(RandomFlip);
