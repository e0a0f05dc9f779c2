//! `ImageDataGenerator`'s arguments: the shift and zoom ranges, the constructor's
//! keyword arguments, and the parameters of one random transform.

use crate::image::FillMode;
use crate::numpy_random::RandomState;

use super::PreprocessingFn;

/// `width_shift_range` / `height_shift_range`, with Keras's three meanings.
///
/// ```
/// use kiln_data::preprocessing::image::ShiftRange;
/// assert_eq!(ShiftRange::from(0.2), ShiftRange::Float(0.2));
/// assert_eq!(ShiftRange::from(3), ShiftRange::Int(3));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum ShiftRange {
    /// A float `r`: uniform in `(-r, r)`, a fraction of the image side when `r < 1`,
    /// pixels otherwise.
    Float(f64),
    /// An int `n`: `choice(n) * choice([-1, 1])` pixels, i.e. an integer in `(-n, n)`
    /// (NumPy's `choice(n)` draws from `0..n`).
    Int(i64),
    /// A list: one of its values times `choice([-1, 1])`, a fraction of the side when
    /// every value is below 1.
    Choices(Vec<f64>),
}

impl Default for ShiftRange {
    fn default() -> Self {
        ShiftRange::Float(0.0)
    }
}

impl From<f64> for ShiftRange {
    fn from(v: f64) -> Self {
        ShiftRange::Float(v)
    }
}

impl From<i64> for ShiftRange {
    fn from(v: i64) -> Self {
        ShiftRange::Int(v)
    }
}

impl From<i32> for ShiftRange {
    fn from(v: i32) -> Self {
        ShiftRange::Int(i64::from(v))
    }
}

impl From<Vec<f64>> for ShiftRange {
    fn from(v: Vec<f64>) -> Self {
        ShiftRange::Choices(v)
    }
}

impl ShiftRange {
    pub(super) fn active(&self) -> bool {
        match self {
            ShiftRange::Float(v) => *v != 0.0,
            ShiftRange::Int(v) => *v != 0,
            ShiftRange::Choices(v) => !v.is_empty(),
        }
    }

    /// One draw, in the order NumPy consumes random numbers in Keras's code.
    pub(super) fn draw(&self, rng: &mut RandomState, side: usize) -> f64 {
        let sign = |rng: &mut RandomState| if rng.randint(2) == 0 { -1.0 } else { 1.0 };
        match self {
            ShiftRange::Float(r) => {
                let t = rng.uniform(-r, *r);
                if *r < 1.0 {
                    t * side as f64
                } else {
                    t
                }
            }
            ShiftRange::Int(n) => {
                let t = rng.randint(*n as u64) as f64;
                t * sign(rng)
            }
            ShiftRange::Choices(v) => {
                let t = v[rng.randint(v.len() as u64) as usize] * sign(rng);
                if v.iter().cloned().fold(f64::MIN, f64::max) < 1.0 {
                    t * side as f64
                } else {
                    t
                }
            }
        }
    }
}

/// `zoom_range`: a float `z` means `[1 - z, 1 + z]`.
///
/// ```
/// use kiln_data::preprocessing::image::ZoomRange;
/// assert_eq!(ZoomRange::from(0.2).bounds(), (0.8, 1.2));
/// assert_eq!(ZoomRange::from((0.5, 1.5)).bounds(), (0.5, 1.5));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ZoomRange {
    /// `[1 - z, 1 + z]`.
    Symmetric(f64),
    /// `[lower, upper]`.
    Bounds(f64, f64),
}

impl Default for ZoomRange {
    fn default() -> Self {
        ZoomRange::Symmetric(0.0)
    }
}

impl From<f64> for ZoomRange {
    fn from(z: f64) -> Self {
        ZoomRange::Symmetric(z)
    }
}

impl From<(f64, f64)> for ZoomRange {
    fn from((a, b): (f64, f64)) -> Self {
        ZoomRange::Bounds(a, b)
    }
}

impl ZoomRange {
    /// The `[lower, upper]` interval.
    pub fn bounds(self) -> (f64, f64) {
        match self {
            ZoomRange::Symmetric(z) => (1.0 - z, 1.0 + z),
            ZoomRange::Bounds(a, b) => (a, b),
        }
    }
}

/// The constructor arguments of [`ImageDataGenerator`], with Keras's defaults (every
/// augmentation off, `zca_epsilon = 1e-6`, `fill_mode = "nearest"`,
/// `interpolation_order = 1`, `data_format = "channels_last"`).
///
/// ```
/// use kiln_data::preprocessing::image::{ImageDataGenerator, ImageDataGeneratorArgs};
/// let g = ImageDataGenerator::new(ImageDataGeneratorArgs {
///     rotation_range: 40.0,
///     width_shift_range: 0.2.into(),
///     horizontal_flip: true,
///     ..Default::default()
/// })?;
/// assert_eq!(g.args().zca_epsilon, 1e-6);
/// # Ok::<(), kiln_data::DataError>(())
/// ```
#[derive(Clone)]
pub struct ImageDataGeneratorArgs {
    /// Subtract the dataset's per-channel mean (after [`ImageDataGenerator::fit`]).
    pub featurewise_center: bool,
    /// Subtract each sample's mean.
    pub samplewise_center: bool,
    /// Divide by the dataset's per-channel std.
    pub featurewise_std_normalization: bool,
    /// Divide each sample by its std.
    pub samplewise_std_normalization: bool,
    /// Apply ZCA whitening (after `fit`).
    pub zca_whitening: bool,
    /// Epsilon of ZCA whitening.
    pub zca_epsilon: f64,
    /// Degree range for random rotations.
    pub rotation_range: f64,
    /// Horizontal shift range.
    pub width_shift_range: ShiftRange,
    /// Vertical shift range.
    pub height_shift_range: ShiftRange,
    /// Range of brightness factors (Pillow's `ImageEnhance.Brightness`).
    pub brightness_range: Option<(f64, f64)>,
    /// Shear angle range in degrees.
    pub shear_range: f64,
    /// Zoom range.
    pub zoom_range: ZoomRange,
    /// Range of random channel shifts.
    pub channel_shift_range: f64,
    /// Boundary mode of the affine transforms.
    pub fill_mode: FillMode,
    /// Fill value for `FillMode::Constant`.
    pub cval: f64,
    /// Random left-right flips.
    pub horizontal_flip: bool,
    /// Random up-down flips.
    pub vertical_flip: bool,
    /// Multiply the data by this (before anything else but `preprocessing_function`).
    pub rescale: Option<f64>,
    /// A function applied to each image first.
    pub preprocessing_function: Option<PreprocessingFn>,
    /// Only `"channels_last"` is implemented.
    pub data_format: String,
    /// Fraction held out for `subset = "validation"`.
    pub validation_split: f64,
    /// Spline order of the affine resampling (0 or 1).
    pub interpolation_order: usize,
}

impl Default for ImageDataGeneratorArgs {
    fn default() -> Self {
        ImageDataGeneratorArgs {
            featurewise_center: false,
            samplewise_center: false,
            featurewise_std_normalization: false,
            samplewise_std_normalization: false,
            zca_whitening: false,
            zca_epsilon: 1e-6,
            rotation_range: 0.0,
            width_shift_range: ShiftRange::Float(0.0),
            height_shift_range: ShiftRange::Float(0.0),
            brightness_range: None,
            shear_range: 0.0,
            zoom_range: ZoomRange::Symmetric(0.0),
            channel_shift_range: 0.0,
            fill_mode: FillMode::Nearest,
            cval: 0.0,
            horizontal_flip: false,
            vertical_flip: false,
            rescale: None,
            preprocessing_function: None,
            data_format: "channels_last".into(),
            validation_split: 0.0,
            interpolation_order: 1,
        }
    }
}

impl std::fmt::Debug for ImageDataGeneratorArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageDataGeneratorArgs")
            .field("featurewise_center", &self.featurewise_center)
            .field("samplewise_center", &self.samplewise_center)
            .field(
                "featurewise_std_normalization",
                &self.featurewise_std_normalization,
            )
            .field(
                "samplewise_std_normalization",
                &self.samplewise_std_normalization,
            )
            .field("zca_whitening", &self.zca_whitening)
            .field("rotation_range", &self.rotation_range)
            .field("width_shift_range", &self.width_shift_range)
            .field("height_shift_range", &self.height_shift_range)
            .field("zoom_range", &self.zoom_range)
            .field("rescale", &self.rescale)
            .field(
                "preprocessing_function",
                &self.preprocessing_function.is_some(),
            )
            .finish_non_exhaustive()
    }
}

/// The parameters of one transformation (`get_random_transform`'s dictionary).
///
/// ```
/// let p = kiln_data::preprocessing::image::TransformParams::default();
/// assert_eq!((p.zx, p.zy, p.flip_horizontal), (1.0, 1.0, false));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TransformParams {
    /// Rotation in degrees.
    pub theta: f64,
    /// Shift along the rows (Keras's `tx`, from `height_shift_range`).
    pub tx: f64,
    /// Shift along the columns (`ty`, from `width_shift_range`).
    pub ty: f64,
    /// Shear in degrees.
    pub shear: f64,
    /// Zoom along the rows.
    pub zx: f64,
    /// Zoom along the columns.
    pub zy: f64,
    /// Flip left-right.
    pub flip_horizontal: bool,
    /// Flip up-down.
    pub flip_vertical: bool,
    /// Added to every channel (clipped to the image's range).
    pub channel_shift_intensity: Option<f64>,
    /// Brightness factor.
    pub brightness: Option<f64>,
}

impl Default for TransformParams {
    fn default() -> Self {
        TransformParams {
            theta: 0.0,
            tx: 0.0,
            ty: 0.0,
            shear: 0.0,
            zx: 1.0,
            zy: 1.0,
            flip_horizontal: false,
            flip_vertical: false,
            channel_shift_intensity: None,
            brightness: None,
        }
    }
}
