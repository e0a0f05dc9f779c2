//! `keras.preprocessing.image.ImageDataGenerator` (Keras's legacy augmentation API):
//! configuration, `fit`, `standardize`, `get_random_transform`, `apply_transform`,
//! `random_transform`.

mod args;

use std::sync::Arc;

use kiln_tensor::{DType, Tensor};

use super::eigen::symmetric_eigen;
use crate::image::{apply_affine_transform, array_to_img, AffineTransform};
use crate::numpy_random::RandomState;
use crate::utils::directory::invalid;
use crate::Result;
pub use args::{ImageDataGeneratorArgs, ShiftRange, TransformParams, ZoomRange};

const API: &str = "ImageDataGenerator";

/// A `preprocessing_function`: called on each image (rank 3) before the other
/// standardization steps, returning an image of the same shape.
///
/// ```
/// use std::sync::Arc;
/// let f: kiln_data::preprocessing::image::PreprocessingFn = Arc::new(|x| Ok(x.clone()));
/// # let _ = f;
/// ```
pub type PreprocessingFn = Arc<dyn Fn(&Tensor) -> Result<Tensor> + Send + Sync>;

/// Keras's `ImageDataGenerator` for channels-last float32 images: real-time augmentation
/// and normalization, with `flow` and `flow_from_directory` iterators
/// (see [`super::NumpyArrayIterator`], [`super::DirectoryIterator`]).
///
/// Random draws reproduce NumPy's legacy `RandomState` stream, so
/// `get_random_transform(shape, Some(seed))`, `random_transform` with a seed, and
/// `flow(..., seed)` give the same parameters and images as Keras. Without a seed the
/// draws come from a generator seeded by kiln's global generator.
///
/// Not implemented (an `Err`): `data_format = "channels_first"`, `interpolation_order`
/// above 1. `standardize` before `fit` with a featurewise option warns on stderr and
/// skips that step, as Keras warns.
///
/// ```
/// use kiln_data::preprocessing::image::{ImageDataGenerator, ImageDataGeneratorArgs, TransformParams};
/// use kiln_tensor::Tensor;
/// let g = ImageDataGenerator::new(ImageDataGeneratorArgs { rescale: Some(0.5), ..Default::default() })?;
/// let x = Tensor::from_vec(vec![2.0f32, 4.0, 6.0, 8.0], &[2, 2, 1])?;
/// assert_eq!(g.standardize(&x)?.to_vec::<f32>()?, vec![1.0, 2.0, 3.0, 4.0]);
/// let flipped = g.apply_transform(&x, &TransformParams { flip_horizontal: true, ..Default::default() })?;
/// assert_eq!(flipped.to_vec::<f32>()?, vec![4.0, 2.0, 8.0, 6.0]);
/// # Ok::<(), kiln_data::DataError>(())
/// ```
#[derive(Clone, Debug)]
pub struct ImageDataGenerator {
    args: ImageDataGeneratorArgs,
    /// Per-channel mean after `fit` (`[1, 1, c]` in Keras).
    pub mean: Option<Vec<f32>>,
    /// Per-channel std after `fit`.
    pub std: Option<Vec<f32>>,
    /// The `d x d` ZCA whitening matrix after `fit` (row-major, `d = h * w * c`).
    pub zca_whitening_matrix: Option<Vec<f64>>,
}

pub(crate) fn python_shape(shape: &[usize]) -> String {
    match shape {
        [a] => format!("({a},)"),
        s => format!(
            "({})",
            s.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

impl ImageDataGenerator {
    /// `ImageDataGenerator(**args)`: validates and applies Keras's implications
    /// (`zca_whitening` turns on `featurewise_center` and off
    /// `featurewise_std_normalization`; each std normalization turns on its centring).
    pub fn new(args: ImageDataGeneratorArgs) -> Result<Self> {
        let mut a = args;
        match a.data_format.as_str() {
            "channels_last" => {}
            "channels_first" => {
                return Err(invalid(
                    API,
                    "data_format=\"channels_first\" is not implemented",
                ))
            }
            other => {
                return Err(invalid(
                    API,
                    format!(
                        "`data_format` should be `\"channels_last\"` (channel after row and \
                         column) or `\"channels_first\"` (channel before row and column). \
                         Received: {other}"
                    ),
                ))
            }
        }
        if a.validation_split != 0.0 && !(a.validation_split > 0.0 && a.validation_split < 1.0) {
            return Err(invalid(
                API,
                format!(
                    "`validation_split` must be strictly between 0 and 1.  Received: {}",
                    crate::utils::directory::py_float(a.validation_split)
                ),
            ));
        }
        if a.interpolation_order > 1 {
            return Err(invalid(
                API,
                format!(
                    "interpolation_order {} is not implemented (0 and 1 are)",
                    a.interpolation_order
                ),
            ));
        }
        if let ShiftRange::Int(n) = a.width_shift_range.clone()
            && n < 0
        {
            return Err(invalid(
                API,
                format!("width_shift_range must be >= 0, got {n}"),
            ));
        }
        if let ShiftRange::Int(n) = a.height_shift_range.clone()
            && n < 0
        {
            return Err(invalid(
                API,
                format!("height_shift_range must be >= 0, got {n}"),
            ));
        }
        if a.zca_whitening {
            a.featurewise_center = true;
            a.featurewise_std_normalization = false;
        }
        if a.featurewise_std_normalization {
            a.featurewise_center = true;
        }
        if a.samplewise_std_normalization {
            a.samplewise_center = true;
        }
        Ok(ImageDataGenerator {
            args: a,
            mean: None,
            std: None,
            zca_whitening_matrix: None,
        })
    }

    /// The effective configuration.
    ///
    /// ```
    /// use kiln_data::preprocessing::image::{ImageDataGenerator, ImageDataGeneratorArgs};
    /// let g = ImageDataGenerator::new(ImageDataGeneratorArgs { zca_whitening: true, ..Default::default() })?;
    /// assert!(g.args().featurewise_center); // implied by ZCA, as in Keras
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn args(&self) -> &ImageDataGeneratorArgs {
        &self.args
    }

    /// `standardize(x)`: `preprocessing_function`, `rescale`, samplewise centring and
    /// std normalization (over all of `x`'s values, as Keras does), featurewise centring
    /// and std normalization, ZCA whitening, in Keras's order. `x` is an image
    /// `[h, w, c]` or a batch `[n, h, w, c]`; the result is float32.
    pub fn standardize(&self, x: &Tensor) -> Result<Tensor> {
        let a = &self.args;
        let mut x = x.cast(DType::F32)?;
        if let Some(f) = &a.preprocessing_function {
            x = f(&x)?.cast(DType::F32)?;
        }
        let shape = x.shape().to_vec();
        let c = *shape.last().unwrap_or(&1);
        let mut v = x.to_vec::<f32>()?;
        if let Some(r) = a.rescale.filter(|&r| r != 0.0) {
            let r = r as f32;
            v.iter_mut().for_each(|e| *e *= r);
        }
        if a.samplewise_center {
            let m = mean_f32(&v);
            v.iter_mut().for_each(|e| *e -= m);
        }
        if a.samplewise_std_normalization {
            let s = std_f32(&v) + 1e-6;
            v.iter_mut().for_each(|e| *e /= s);
        }
        if a.featurewise_center {
            match &self.mean {
                Some(m) => per_channel(&mut v, c, m, |e, m| *e -= m)?,
                None => warn("featurewise_center"),
            }
        }
        if a.featurewise_std_normalization {
            match &self.std {
                Some(s) => per_channel(&mut v, c, s, |e, s| *e /= s + 1e-6)?,
                None => warn("featurewise_std_normalization"),
            }
        }
        if a.zca_whitening {
            match &self.zca_whitening_matrix {
                Some(zca) => {
                    let d = shape[shape.len().saturating_sub(3)..]
                        .iter()
                        .product::<usize>();
                    if d * d != zca.len() || d == 0 {
                        return Err(invalid(
                            API,
                            format!(
                                "standardize: the ZCA matrix was fit on images of {} values, \
                                 got shape {shape:?}",
                                (zca.len() as f64).sqrt()
                            ),
                        ));
                    }
                    for row in v.chunks_mut(d) {
                        let src: Vec<f64> = row.iter().map(|&e| f64::from(e)).collect();
                        for (j, out) in row.iter_mut().enumerate() {
                            let mut acc = 0.0;
                            for (i, s) in src.iter().enumerate() {
                                acc += s * zca[i * d + j];
                            }
                            *out = acc as f32;
                        }
                    }
                }
                None => warn("zca_whitening"),
            }
        }
        Ok(Tensor::from_vec(v, &shape)?)
    }

    /// `get_random_transform(img_shape, seed)`: draws rotation, shifts, shear, zoom,
    /// flips, channel shift and brightness in Keras's order from
    /// `np.random.RandomState(seed)` (or a fresh random stream without a seed).
    ///
    /// ```
    /// use kiln_data::preprocessing::image::{ImageDataGenerator, ImageDataGeneratorArgs};
    /// let g = ImageDataGenerator::new(ImageDataGeneratorArgs { rotation_range: 40.0, ..Default::default() })?;
    /// let p = g.get_random_transform(&[6, 8, 3], Some(0))?;
    /// // Keras: 3.9050803141859802 for np.random.seed(0)
    /// assert!((p.theta - 3.9050803141859802).abs() < 1e-12);
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn get_random_transform(
        &self,
        img_shape: &[usize],
        seed: Option<u32>,
    ) -> Result<TransformParams> {
        let mut rng = match seed {
            Some(s) => RandomState::new(s),
            None => fresh_rng(),
        };
        self.random_params(img_shape, &mut rng)
    }

    pub(crate) fn random_params(
        &self,
        img_shape: &[usize],
        rng: &mut RandomState,
    ) -> Result<TransformParams> {
        let a = &self.args;
        if img_shape.len() != 3 {
            return Err(invalid(
                API,
                format!("expected an image shape [height, width, channels], got {img_shape:?}"),
            ));
        }
        let mut p = TransformParams::default();
        if a.rotation_range != 0.0 {
            p.theta = rng.uniform(-a.rotation_range, a.rotation_range);
        }
        if a.height_shift_range.active() {
            p.tx = a.height_shift_range.draw(rng, img_shape[0]);
        }
        if a.width_shift_range.active() {
            p.ty = a.width_shift_range.draw(rng, img_shape[1]);
        }
        if a.shear_range != 0.0 {
            p.shear = rng.uniform(-a.shear_range, a.shear_range);
        }
        let (z0, z1) = a.zoom_range.bounds();
        if !(z0 == 1.0 && z1 == 1.0) {
            p.zx = rng.uniform(z0, z1);
            p.zy = rng.uniform(z0, z1);
        }
        // Both coins are always tossed, even with the flips off.
        p.flip_horizontal = rng.random_sample() < 0.5 && a.horizontal_flip;
        p.flip_vertical = rng.random_sample() < 0.5 && a.vertical_flip;
        if a.channel_shift_range != 0.0 {
            p.channel_shift_intensity =
                Some(rng.uniform(-a.channel_shift_range, a.channel_shift_range));
        }
        if let Some((b0, b1)) = a.brightness_range {
            p.brightness = Some(rng.uniform(b0, b1));
        }
        Ok(p)
    }

    /// `apply_transform(x, params)` on one `[h, w, c]` image: the affine transform
    /// ([`apply_affine_transform`] with this generator's fill mode, `cval` and order),
    /// then the channel shift, the flips and the brightness change, as Keras.
    ///
    /// ```
    /// use kiln_data::preprocessing::image::{ImageDataGenerator, ImageDataGeneratorArgs, TransformParams};
    /// use kiln_tensor::Tensor;
    /// let g = ImageDataGenerator::new(ImageDataGeneratorArgs::default())?;
    /// let x = Tensor::from_vec(vec![10.0f32, 20.0], &[2, 1, 1])?;
    /// let p = TransformParams { flip_vertical: true, channel_shift_intensity: Some(5.0), ..Default::default() };
    /// // Shifted and clipped to the image's range [10, 20], then flipped.
    /// assert_eq!(g.apply_transform(&x, &p)?.to_vec::<f32>()?, vec![20.0, 15.0]);
    /// assert!(g.apply_transform(&Tensor::from_vec(vec![1.0f32], &[1])?, &p).is_err());
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn apply_transform(&self, x: &Tensor, p: &TransformParams) -> Result<Tensor> {
        let a = &self.args;
        let [h, w, c] = *x.shape() else {
            return Err(invalid(
                API,
                format!(
                    "apply_transform expects a single image [height, width, channels], got \
                     shape {:?}",
                    x.shape()
                ),
            ));
        };
        let t = AffineTransform {
            theta: p.theta,
            tx: p.tx,
            ty: p.ty,
            shear: p.shear,
            zx: p.zx,
            zy: p.zy,
            row_axis: 0,
            col_axis: 1,
            channel_axis: 2,
            fill_mode: a.fill_mode,
            cval: a.cval,
            order: a.interpolation_order,
        };
        let x = apply_affine_transform(&x.cast(DType::F32)?, &t)?;
        let mut v = x.to_vec::<f32>()?;
        if let Some(intensity) = p.channel_shift_intensity {
            let (mn, mx) = min_max(&v);
            let i = intensity as f32;
            v.iter_mut().for_each(|e| *e = (*e + i).clamp(mn, mx));
        }
        if p.flip_horizontal {
            for row in v.chunks_mut(w * c) {
                for x0 in 0..w / 2 {
                    for ch in 0..c {
                        row.swap(x0 * c + ch, (w - 1 - x0) * c + ch);
                    }
                }
            }
        }
        if p.flip_vertical {
            let rs = w * c;
            for y0 in 0..h / 2 {
                for k in 0..rs {
                    v.swap(y0 * rs + k, (h - 1 - y0) * rs + k);
                }
            }
        }
        let mut out = Tensor::from_vec(v, &[h, w, c])?;
        if let Some(b) = p.brightness {
            out = brightness_shift(&out, b)?;
        }
        Ok(out)
    }

    /// `random_transform(x, seed)`: [`Self::get_random_transform`] then
    /// [`Self::apply_transform`].
    ///
    /// ```
    /// use kiln_data::preprocessing::image::{ImageDataGenerator, ImageDataGeneratorArgs};
    /// use kiln_tensor::{DType, Tensor};
    /// let g = ImageDataGenerator::new(ImageDataGeneratorArgs { rotation_range: 30.0, ..Default::default() })?;
    /// let x = Tensor::ones(&[4, 4, 3], DType::F32);
    /// let a = g.random_transform(&x, Some(1))?;
    /// assert_eq!(a.to_vec::<f32>()?, g.random_transform(&x, Some(1))?.to_vec::<f32>()?);
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn random_transform(&self, x: &Tensor, seed: Option<u32>) -> Result<Tensor> {
        let p = self.get_random_transform(x.shape(), seed)?;
        self.apply_transform(x, &p)
    }

    /// `fit(x)`: the featurewise statistics (per-channel mean and std) and the ZCA matrix
    /// of a `[n, h, w, c]` sample, after `rescale`.
    ///
    /// ```
    /// use kiln_data::preprocessing::image::{ImageDataGenerator, ImageDataGeneratorArgs};
    /// use kiln_tensor::Tensor;
    /// let mut g = ImageDataGenerator::new(ImageDataGeneratorArgs { featurewise_center: true, ..Default::default() })?;
    /// g.fit(&Tensor::from_vec(vec![1.0f32, 3.0], &[2, 1, 1, 1])?)?;
    /// assert_eq!(g.mean, Some(vec![2.0]));
    /// assert!(g.fit(&Tensor::from_vec(vec![1.0f32], &[1, 1, 1])?).is_err());
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn fit(&mut self, x: &Tensor) -> Result<()> {
        self.fit_with(x, false, 1, None)
    }

    /// `fit(x, augment, rounds, seed)`: with `augment`, the statistics are computed on
    /// `rounds` randomly transformed copies of `x` (drawn from
    /// `np.random.seed(seed)`'s stream).
    ///
    /// ```
    /// use kiln_data::preprocessing::image::{ImageDataGenerator, ImageDataGeneratorArgs};
    /// use kiln_tensor::Tensor;
    /// let mut g = ImageDataGenerator::new(ImageDataGeneratorArgs {
    ///     featurewise_std_normalization: true, horizontal_flip: true, ..Default::default()
    /// })?;
    /// let x = Tensor::from_vec(vec![0.0f32, 2.0, 4.0, 6.0], &[2, 1, 2, 1])?;
    /// g.fit_with(&x, true, 3, Some(0))?;
    /// // Flips do not change the statistics.
    /// assert_eq!(g.mean, Some(vec![3.0]));
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn fit_with(
        &mut self,
        x: &Tensor,
        augment: bool,
        rounds: usize,
        seed: Option<u32>,
    ) -> Result<()> {
        let [n, h, w, c] = *x.shape() else {
            return Err(invalid(
                API,
                format!(
                    "Input to `.fit()` should have rank 4. Got array with shape: {}",
                    python_shape(x.shape())
                ),
            ));
        };
        let mut rng = match seed {
            Some(s) => RandomState::new(s),
            None => fresh_rng(),
        };
        let mut v = x.cast(DType::F32)?.to_vec::<f32>()?;
        if let Some(r) = self.args.rescale.filter(|&r| r != 0.0) {
            let r = r as f32;
            v.iter_mut().for_each(|e| *e *= r);
        }
        let d = h * w * c;
        let mut n = n;
        if augment {
            let mut out = Vec::with_capacity(v.len() * rounds);
            for _ in 0..rounds {
                for i in 0..n {
                    let img = Tensor::from_vec(v[i * d..(i + 1) * d].to_vec(), &[h, w, c])?;
                    let p = self.random_params(&[h, w, c], &mut rng)?;
                    out.extend(self.apply_transform(&img, &p)?.to_vec::<f32>()?);
                }
            }
            v = out;
            n *= rounds;
        }
        if self.args.featurewise_center {
            let m = channel_stat(&v, c, mean_f32);
            per_channel(&mut v, c, &m, |e, m| *e -= m)?;
            self.mean = Some(m);
        }
        if self.args.featurewise_std_normalization {
            let s = channel_stat(&v, c, std_f32);
            per_channel(&mut v, c, &s, |e, s| *e /= s + 1e-6)?;
            self.std = Some(s);
        }
        if self.args.zca_whitening {
            // Keras: u, s = svd(flat_x.T); zca = u diag(sqrt(n) / (s + eps)) u^T. The
            // left singular vectors of flat_x.T are the eigenvectors of
            // flat_x.T flat_x, with s^2 as eigenvalues; only min(n, d) are kept.
            let mut cov = vec![0.0f64; d * d];
            for row in v.chunks(d) {
                for i in 0..d {
                    let ri = f64::from(row[i]);
                    if ri == 0.0 {
                        continue;
                    }
                    for j in i..d {
                        cov[i * d + j] += ri * f64::from(row[j]);
                    }
                }
            }
            for i in 0..d {
                for j in 0..i {
                    cov[i * d + j] = cov[j * d + i];
                }
            }
            let (vals, vecs) = symmetric_eigen(&cov, d);
            let k = n.min(d);
            let sqrt_n = (n as f64).sqrt();
            let mut zca = vec![0.0f64; d * d];
            for (lam, u) in vals.iter().zip(&vecs).take(k) {
                let s = (lam.max(0.0).sqrt() as f32) as f64;
                let s_inv = sqrt_n / ((s + self.args.zca_epsilon) as f32 as f64);
                for i in 0..d {
                    let ui = u[i] * s_inv;
                    for j in 0..d {
                        zca[i * d + j] += ui * u[j];
                    }
                }
            }
            self.zca_whitening_matrix = Some(zca);
        }
        Ok(())
    }
}

fn fresh_rng() -> RandomState {
    RandomState::new(kiln_tensor::random::Generator::from_global().next_u64() as u32)
}

fn warn(what: &str) {
    eprintln!(
        "warning: This ImageDataGenerator specifies `{what}`, but it hasn't been fit on any \
         training data. Fit it first by calling `.fit(numpy_data)`."
    );
}

/// The mean of f32 values, accumulated in f64 and rounded to f32.
fn mean_f32(v: &[f32]) -> f32 {
    if v.is_empty() {
        return f32::NAN;
    }
    (v.iter().map(|&e| f64::from(e)).sum::<f64>() / v.len() as f64) as f32
}

/// The population std (`np.std`, ddof 0) of f32 values.
fn std_f32(v: &[f32]) -> f32 {
    if v.is_empty() {
        return f32::NAN;
    }
    let m = v.iter().map(|&e| f64::from(e)).sum::<f64>() / v.len() as f64;
    let var = v.iter().map(|&e| (f64::from(e) - m).powi(2)).sum::<f64>() / v.len() as f64;
    var.sqrt() as f32
}

fn channel_stat(v: &[f32], c: usize, f: impl Fn(&[f32]) -> f32) -> Vec<f32> {
    (0..c)
        .map(|ch| {
            let vals: Vec<f32> = v.iter().skip(ch).step_by(c).copied().collect();
            f(&vals)
        })
        .collect()
}

fn per_channel(v: &mut [f32], c: usize, stat: &[f32], f: impl Fn(&mut f32, f32)) -> Result<()> {
    if stat.len() != c {
        return Err(invalid(
            API,
            format!(
                "standardize: fit on images with {} channels, got {c} channels",
                stat.len()
            ),
        ));
    }
    for px in v.chunks_mut(c) {
        for (e, &s) in px.iter_mut().zip(stat) {
            f(e, s);
        }
    }
    Ok(())
}

fn min_max(v: &[f32]) -> (f32, f32) {
    v.iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &e| {
            (a.min(e), b.max(e))
        })
}

/// `apply_brightness_shift(x, brightness, scale=False)`: through an 8-bit image (scaled
/// to 0..255 first when `x` leaves that range), Pillow's `Brightness.enhance` (a float32
/// blend with black, truncated and clipped), then mapped back to `x`'s range.
fn brightness_shift(x: &Tensor, brightness: f64) -> Result<Tensor> {
    let v = x.to_vec::<f32>()?;
    let (mn, mx) = min_max(&v);
    let local_scale = mn < 0.0 || mx > 255.0;
    let img = array_to_img(x, local_scale)?;
    let c = *x.shape().last().unwrap_or(&1);
    let alpha = brightness as f32;
    let px = img.to_vec::<u8>()?;
    let out: Vec<f32> = px
        .iter()
        .enumerate()
        .map(|(i, &p)| {
            if c == 4 && i % 4 == 3 {
                // The degenerate image keeps the alpha channel.
                return f32::from(p);
            }
            let t = alpha * f32::from(p);
            let b = if t <= 0.0 {
                0.0
            } else if t >= 255.0 {
                255.0
            } else {
                t.trunc()
            };
            if local_scale {
                b / 255.0 * (mx - mn) + mn
            } else {
                b
            }
        })
        .collect();
    Ok(Tensor::from_vec(out, x.shape())?)
}
