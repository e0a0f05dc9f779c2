//! `ImageDataGenerator.flow` / `flow_from_directory`: Keras's `NumpyArrayIterator` and
//! `DirectoryIterator`, with the batch order and random stream of Keras's `Iterator`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use kiln_tensor::{DType, Tensor};

use super::image_data_generator::{python_shape, ImageDataGenerator};
use crate::dataset::{Dataset, Element, ElementIter};
use crate::image::{img_to_array, load_img, ColorMode, Interpolation};
use crate::numpy_random::RandomState;
use crate::utils::directory::{class_subdirs, invalid, valid_files};
use crate::Result;

/// Keras's `Iterator` bookkeeping: the index order (a fresh permutation at the start of
/// each epoch when shuffling) and the random stream, reseeded with
/// `seed + total_batches_seen` before every batch when a seed is given.
#[derive(Clone, Debug)]
struct FlowState {
    n: usize,
    batch_size: usize,
    shuffle: bool,
    seed: Option<u32>,
    rng_seed: u32,
    batch_index: usize,
    total_batches_seen: u64,
    index_array: Vec<usize>,
}

impl FlowState {
    fn new(n: usize, batch_size: usize, shuffle: bool, seed: Option<u64>) -> Result<FlowState> {
        if batch_size == 0 {
            return Err(invalid(
                "ImageDataGenerator.flow",
                "batch_size must be positive",
            ));
        }
        let seed = match seed {
            Some(s) => Some(u32::try_from(s).map_err(|_| {
                invalid(
                    "ImageDataGenerator.flow",
                    format!("seed must be between 0 and 2**32 - 1, got {s}"),
                )
            })?),
            None => None,
        };
        Ok(FlowState {
            n,
            batch_size,
            shuffle,
            seed,
            rng_seed: kiln_tensor::random::Generator::from_global().next_u64() as u32,
            batch_index: 0,
            total_batches_seen: 0,
            index_array: (0..n).collect(),
        })
    }

    fn steps(&self) -> usize {
        self.n.div_ceil(self.batch_size)
    }

    /// The state at the start of epoch `epoch` of the endless stream.
    fn at_epoch(&self, epoch: u64) -> FlowState {
        let mut s = self.clone();
        s.batch_index = 0;
        s.total_batches_seen = epoch * self.steps() as u64;
        s.rng_seed = self
            .rng_seed
            .wrapping_add((epoch as u32).wrapping_mul(0x9e37_79b9));
        s
    }

    /// `_flow_index`'s next step: the indices of the next batch and the random stream its
    /// transforms draw from.
    fn next(&mut self, rng: &mut RandomState) -> Result<Vec<usize>> {
        if let Some(seed) = self.seed {
            let s = u64::from(seed) + self.total_batches_seen;
            let s = u32::try_from(s).map_err(|_| {
                invalid(
                    "ImageDataGenerator.flow",
                    format!("seed + batches seen = {s} exceeds 2**32 - 1 (NumPy's limit)"),
                )
            })?;
            *rng = RandomState::new(s);
        }
        if self.batch_index == 0 {
            self.index_array = if self.shuffle {
                rng.permutation(self.n)
            } else {
                (0..self.n).collect()
            };
        }
        let current = if self.n == 0 {
            0
        } else {
            (self.batch_index * self.batch_size) % self.n
        };
        if self.n > current + self.batch_size {
            self.batch_index += 1;
        } else {
            self.batch_index = 0;
        }
        self.total_batches_seen += 1;
        Ok(self.index_array[current..(current + self.batch_size).min(self.n)].to_vec())
    }
}

fn stack(images: Vec<Tensor>, item_shape: &[usize]) -> Result<Tensor> {
    if images.is_empty() {
        let mut shape = vec![0];
        shape.extend_from_slice(item_shape);
        return Ok(Tensor::zeros(&shape, DType::F32));
    }
    let refs: Vec<&Tensor> = images.iter().collect();
    Ok(Tensor::stack(&refs, 0)?)
}

/// Where `save_to_dir` writes the yielded images (Keras's debugging aid).
#[derive(Debug, Clone, Default)]
pub struct SaveToDir {
    /// The folder (must exist, as for Keras).
    pub dir: PathBuf,
    /// File name prefix.
    pub prefix: String,
    /// `"png"` or `"jpeg"`/`"jpg"` (quality 75, Pillow's default).
    pub format: String,
}

impl SaveToDir {
    /// `save_to_dir=dir, save_prefix=prefix, save_format=format`.
    ///
    /// ```
    /// let s = kiln_data::preprocessing::image::SaveToDir::new("/tmp", "aug", "png");
    /// assert_eq!(s.format, "png");
    /// ```
    pub fn new(dir: impl Into<PathBuf>, prefix: &str, format: &str) -> SaveToDir {
        SaveToDir {
            dir: dir.into(),
            prefix: prefix.into(),
            format: format.into(),
        }
    }

    /// Writes image `k` of `batch` (`[n, h, w, c]`) as `{prefix}_{index}_{hash}.{format}`,
    /// scaled to 0..255 like `array_to_img(scale=True)`; `hash` is
    /// `np.random.randint(hash_bound)` from the iterator's stream, as in Keras.
    fn save(
        &self,
        batch: &Tensor,
        k: usize,
        index: usize,
        hash_bound: u64,
        rng: &mut RandomState,
    ) -> Result<()> {
        let img = rows(batch, k, k + 1)?;
        let img = img.reshape(
            &batch.shape()[1..]
                .iter()
                .map(|&d| d as isize)
                .collect::<Vec<_>>(),
        )?;
        let img = crate::image::array_to_img(&img, true)?;
        let bytes = match self.format.to_lowercase().as_str() {
            "png" => crate::image::encode_png(&img)?,
            "jpeg" | "jpg" => crate::image::encode_jpeg(&img, 75)?,
            f => {
                return Err(invalid(
                    "ImageDataGenerator save_to_dir",
                    format!("save_format {f:?} is not supported (png or jpeg)"),
                ))
            }
        };
        let hash = rng.randint(hash_bound);
        let path = self
            .dir
            .join(format!("{}_{index}_{hash}.{}", self.prefix, self.format));
        std::fs::write(&path, bytes).map_err(|e| crate::idx::io_err(&path, e))
    }
}

/// Rows `idx` of `t` along axis 0.
fn gather_rows(t: &Tensor, idx: &[usize]) -> Result<Tensor> {
    let ind = Tensor::from_vec(
        idx.iter().map(|&i| i as i64).collect::<Vec<_>>(),
        &[idx.len()],
    )?;
    Ok(t.gather(&ind, 0)?)
}

fn rows(t: &Tensor, start: usize, end: usize) -> Result<Tensor> {
    gather_rows(t, &(start..end).collect::<Vec<_>>())
}

/// The arguments of [`ImageDataGenerator::flow`] (Keras's defaults: `batch_size = 32`,
/// `shuffle = true`).
///
/// ```
/// let a = kiln_data::preprocessing::image::FlowArgs::new().batch_size(8).seed(1);
/// assert_eq!((a.batch_size, a.seed), (8, Some(1)));
/// ```
#[derive(Debug, Clone)]
pub struct FlowArgs {
    /// Samples per batch.
    pub batch_size: usize,
    /// Reshuffle at the start of each epoch.
    pub shuffle: bool,
    /// Per-sample weights, yielded as a third element.
    pub sample_weight: Option<Tensor>,
    /// Seed of the shuffles and transforms.
    pub seed: Option<u64>,
    /// `"training"` or `"validation"` (with the generator's `validation_split`).
    pub subset: Option<String>,
    /// Skip the check that both subsets contain the same classes.
    pub ignore_class_split: bool,
    /// Also write each yielded image to a folder.
    pub save_to_dir: Option<SaveToDir>,
}

impl Default for FlowArgs {
    fn default() -> Self {
        FlowArgs {
            batch_size: 32,
            shuffle: true,
            sample_weight: None,
            seed: None,
            subset: None,
            ignore_class_split: false,
            save_to_dir: None,
        }
    }
}

impl FlowArgs {
    /// Keras's defaults.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets `batch_size`.
    pub fn batch_size(mut self, b: usize) -> Self {
        self.batch_size = b;
        self
    }
    /// Sets `shuffle`.
    pub fn shuffle(mut self, s: bool) -> Self {
        self.shuffle = s;
        self
    }
    /// Sets `seed`.
    pub fn seed(mut self, s: u64) -> Self {
        self.seed = Some(s);
        self
    }
    /// Sets `sample_weight`.
    pub fn sample_weight(mut self, w: Tensor) -> Self {
        self.sample_weight = Some(w);
        self
    }
    /// Sets `subset`.
    pub fn subset(mut self, s: &str) -> Self {
        self.subset = Some(s.into());
        self
    }
}

/// `NumpyArrayIterator`: endless batches `x`, `(x, y)` or `(x, y, sample_weight)` of
/// augmented, standardized images from an array (Keras's `for batch in
/// datagen.flow(...)` loop, which never ends). [`NumpyArrayIterator::to_dataset`] gives
/// a finite, re-iterable [`Dataset`] of one epoch per pass for `fit_dataset`.
///
/// ```
/// use kiln_data::preprocessing::image::{FlowArgs, ImageDataGenerator, ImageDataGeneratorArgs};
/// use kiln_tensor::{DType, Tensor};
/// let g = ImageDataGenerator::new(ImageDataGeneratorArgs::default())?;
/// let it = g.flow(&Tensor::zeros(&[3, 2, 2, 1], DType::F32), None, FlowArgs::new().batch_size(2))?;
/// assert_eq!((it.len(), it.n(), it.is_empty()), (2, 3, false));
/// // The stream never ends: epochs follow each other.
/// assert_eq!(it.take(5).count(), 5);
/// # Ok::<(), kiln_data::DataError>(())
/// ```
#[derive(Clone, Debug)]
pub struct NumpyArrayIterator {
    generator: Arc<ImageDataGenerator>,
    x: Tensor,
    y: Option<Tensor>,
    sample_weight: Option<Tensor>,
    save_to_dir: Option<SaveToDir>,
    state: FlowState,
    rng: RandomState,
}

impl ImageDataGenerator {
    /// `flow(x, y, batch_size, shuffle, sample_weight, seed, subset)` over a
    /// `[n, h, w, c]` array (cast to float32). Errors as Keras's: mismatched lengths, a
    /// rank other than 4, an unknown subset, subsets with different classes.
    ///
    /// ```
    /// use kiln_data::preprocessing::image::{FlowArgs, ImageDataGenerator, ImageDataGeneratorArgs};
    /// use kiln_tensor::{DType, Tensor};
    /// let g = ImageDataGenerator::new(ImageDataGeneratorArgs::default())?;
    /// let x = Tensor::zeros(&[5, 2, 2, 1], DType::F32);
    /// let y = Tensor::from_vec(vec![0i64, 1, 2, 3, 4], &[5])?;
    /// let mut it = g.flow(&x, Some(&y), FlowArgs::new().batch_size(2).shuffle(false))?;
    /// let b = it.next().unwrap()?;
    /// assert_eq!(b.tuple()?[1].as_tensor()?.to_vec::<i64>()?, vec![0, 1]);
    /// assert_eq!(it.len(), 3);
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn flow(
        &self,
        x: &Tensor,
        y: Option<&Tensor>,
        args: FlowArgs,
    ) -> Result<NumpyArrayIterator> {
        const API: &str = "ImageDataGenerator.flow";
        let len = |t: &Tensor| t.shape().first().copied().unwrap_or(0);
        let mut x = x.cast(DType::F32)?;
        let mut y = y.cloned();
        let mut sw = args.sample_weight.clone();
        if let Some(y) = &y
            && len(&x) != len(y)
        {
            return Err(invalid(
                API,
                format!(
                    "`x` (images tensor) and `y` (labels) should have the same length. \
                     Found: x.shape = {}, y.shape = {}",
                    python_shape(x.shape()),
                    python_shape(y.shape())
                ),
            ));
        }
        if let Some(w) = &sw
            && len(&x) != len(w)
        {
            return Err(invalid(
                API,
                format!(
                    "`x` (images tensor) and `sample_weight` should have the same length. \
                     Found: x.shape = {}, sample_weight.shape = {}",
                    python_shape(x.shape()),
                    python_shape(w.shape())
                ),
            ));
        }
        if let Some(subset) = &args.subset {
            if subset != "training" && subset != "validation" {
                return Err(invalid(
                    API,
                    format!(
                        "Invalid subset name: {subset}; expected \"training\" or \"validation\"."
                    ),
                ));
            }
            let n = len(&x);
            let split = (n as f64 * self.args().validation_split) as usize;
            if let (Some(y), false) = (&y, args.ignore_class_split) {
                let uniq = |t: Tensor| -> Vec<u64> {
                    let mut v: Vec<u64> = t.to_f64_vec().iter().map(|f| f.to_bits()).collect();
                    v.sort();
                    v.dedup();
                    v
                };
                let a = uniq(rows(y, 0, split)?);
                let b = uniq(rows(y, split, n)?);
                if a != b {
                    return Err(invalid(
                        API,
                        "Training and validation subsets have different number of classes \
                         after the split. If your numpy arrays are sorted by the label, you \
                         might want to shuffle them.",
                    ));
                }
            }
            let r = if subset == "validation" {
                (0, split)
            } else {
                (split, n)
            };
            x = rows(&x, r.0, r.1)?;
            y = y.map(|t| rows(&t, r.0, r.1)).transpose()?;
            sw = sw.map(|t| rows(&t, r.0, r.1)).transpose()?;
        }
        if x.shape().len() != 4 {
            return Err(invalid(
                API,
                format!(
                    "Input data in `NumpyArrayIterator` should have rank 4. You passed an \
                     array with shape {}",
                    python_shape(x.shape())
                ),
            ));
        }
        let state = FlowState::new(len(&x), args.batch_size, args.shuffle, args.seed)?;
        let rng = RandomState::new(state.rng_seed);
        Ok(NumpyArrayIterator {
            generator: Arc::new(self.clone()),
            x,
            y,
            sample_weight: sw,
            save_to_dir: args.save_to_dir.clone(),
            state,
            rng,
        })
    }
}

impl NumpyArrayIterator {
    /// Batches per epoch (`len(iterator)`).
    pub fn len(&self) -> usize {
        self.state.steps()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.state.n == 0
    }

    /// The number of samples.
    pub fn n(&self) -> usize {
        self.state.n
    }

    fn next_batch(&mut self) -> Result<Element> {
        let idx = self.state.next(&mut self.rng)?;
        let item_shape = self.x.shape()[1..].to_vec();
        let mut images = Vec::with_capacity(idx.len());
        for &j in &idx {
            let img = rows(&self.x, j, j + 1)?
                .reshape(&item_shape.iter().map(|&d| d as isize).collect::<Vec<_>>())?;
            let p = self.generator.random_params(&item_shape, &mut self.rng)?;
            let img = self.generator.apply_transform(&img, &p)?;
            images.push(self.generator.standardize(&img)?);
        }
        let bx = stack(images, &item_shape)?;
        if let Some(save) = &self.save_to_dir {
            for (k, &j) in idx.iter().enumerate() {
                save.save(&bx, k, j, 10_000, &mut self.rng)?;
            }
        }
        let Some(y) = &self.y else {
            return Ok(bx.into());
        };
        let mut parts = vec![Element::from(bx), gather_rows(y, &idx)?.into()];
        if let Some(w) = &self.sample_weight {
            parts.push(gather_rows(w, &idx)?.into());
        }
        Ok(Element::Tuple(parts))
    }

    /// A [`Dataset`] whose pass `k` is epoch `k` of this iterator's stream (the same
    /// batches Keras's `for batch in flow(...)` yields in that epoch when seeded), so it
    /// can feed `Model::fit_dataset`.
    ///
    /// ```
    /// use kiln_data::preprocessing::image::{FlowArgs, ImageDataGenerator, ImageDataGeneratorArgs};
    /// use kiln_tensor::{DType, Tensor};
    /// let g = ImageDataGenerator::new(ImageDataGeneratorArgs::default())?;
    /// let x = Tensor::zeros(&[5, 2, 2, 1], DType::F32);
    /// let y = Tensor::zeros(&[5, 1], DType::F32);
    /// let ds = g.flow(&x, Some(&y), FlowArgs::new().batch_size(2).seed(3))?.to_dataset();
    /// assert_eq!(ds.cardinality().as_i64(), 3);
    /// assert_eq!(ds.collect()?.len(), 3);
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn to_dataset(&self) -> Dataset {
        let base = self.clone();
        let steps = self.len();
        let epoch = Arc::new(AtomicU64::new(0));
        // repeat + take gives the dataset its finite cardinality (one epoch) while each
        // pass draws exactly one generator run.
        Dataset::from_generator(move || -> ElementIter {
            let e = epoch.fetch_add(1, Ordering::Relaxed);
            let mut it = base.clone();
            it.state = base.state.at_epoch(e);
            it.rng = RandomState::new(it.state.rng_seed);
            Box::new((0..steps).map(move |_| it.next_batch()))
        })
        .repeat(None)
        .take(steps)
    }
}

impl Iterator for NumpyArrayIterator {
    type Item = Result<Element>;
    /// The next batch; never `None` (the stream is endless, like Keras's).
    fn next(&mut self) -> Option<Result<Element>> {
        Some(self.next_batch())
    }
}

/// The arguments of [`ImageDataGenerator::flow_from_directory`] (Keras's defaults:
/// `target_size = (256, 256)`, `color_mode = "rgb"`, `class_mode = "categorical"`,
/// `batch_size = 32`, `shuffle = true`, `interpolation = "nearest"`).
///
/// ```
/// let a = kiln_data::preprocessing::image::FlowFromDirectoryArgs::new().class_mode(Some("binary"));
/// assert_eq!(a.target_size, (256, 256));
/// ```
#[derive(Debug, Clone)]
pub struct FlowFromDirectoryArgs {
    /// `(height, width)` images are resized to.
    pub target_size: (usize, usize),
    /// `"grayscale"`, `"rgb"` or `"rgba"`.
    pub color_mode: String,
    /// Class subfolders in label order (default: every subfolder, sorted).
    pub classes: Option<Vec<String>>,
    /// `"categorical"`, `"binary"`, `"sparse"`, `"input"` or `None`.
    pub class_mode: Option<String>,
    /// Samples per batch.
    pub batch_size: usize,
    /// Reshuffle every epoch.
    pub shuffle: bool,
    /// Seed of the shuffles and transforms.
    pub seed: Option<u64>,
    /// Descend into symlinked folders.
    pub follow_links: bool,
    /// `"training"` or `"validation"`.
    pub subset: Option<String>,
    /// Pillow resampling: `"nearest"`, `"bilinear"` or `"bicubic"`.
    pub interpolation: String,
    /// Centre-crop to the target aspect ratio (not implemented: an error).
    pub keep_aspect_ratio: bool,
    /// Also write each yielded image to a folder.
    pub save_to_dir: Option<SaveToDir>,
}

impl Default for FlowFromDirectoryArgs {
    fn default() -> Self {
        FlowFromDirectoryArgs {
            target_size: (256, 256),
            color_mode: "rgb".into(),
            classes: None,
            class_mode: Some("categorical".into()),
            batch_size: 32,
            shuffle: true,
            seed: None,
            follow_links: false,
            subset: None,
            interpolation: "nearest".into(),
            keep_aspect_ratio: false,
            save_to_dir: None,
        }
    }
}

impl FlowFromDirectoryArgs {
    /// Keras's defaults.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets `target_size`.
    pub fn target_size(mut self, h: usize, w: usize) -> Self {
        self.target_size = (h, w);
        self
    }
    /// Sets `color_mode`.
    pub fn color_mode(mut self, m: &str) -> Self {
        self.color_mode = m.into();
        self
    }
    /// Sets `classes`.
    pub fn classes(mut self, c: &[&str]) -> Self {
        self.classes = Some(c.iter().map(|s| s.to_string()).collect());
        self
    }
    /// Sets `class_mode`.
    pub fn class_mode(mut self, m: Option<&str>) -> Self {
        self.class_mode = m.map(str::to_string);
        self
    }
    /// Sets `batch_size`.
    pub fn batch_size(mut self, b: usize) -> Self {
        self.batch_size = b;
        self
    }
    /// Sets `shuffle`.
    pub fn shuffle(mut self, s: bool) -> Self {
        self.shuffle = s;
        self
    }
    /// Sets `seed`.
    pub fn seed(mut self, s: u64) -> Self {
        self.seed = Some(s);
        self
    }
    /// Sets `subset`.
    pub fn subset(mut self, s: &str) -> Self {
        self.subset = Some(s.into());
        self
    }
    /// Sets `interpolation`.
    pub fn interpolation(mut self, i: &str) -> Self {
        self.interpolation = i.into();
        self
    }
}

/// The extensions `flow_from_directory` accepts (Keras's `white_list_formats`, matched
/// as suffixes of the lower-cased name, without the dot, exactly as Keras does).
///
/// ```
/// assert!(kiln_data::preprocessing::image::DIRECTORY_FORMATS.contains(&"tiff"));
/// ```
pub const DIRECTORY_FORMATS: [&str; 7] = ["png", "jpg", "jpeg", "bmp", "ppm", "tif", "tiff"];

/// `DirectoryIterator`: endless batches of images loaded from class subfolders with
/// [`load_img`] (Pillow's resampling), augmented and standardized, with labels per
/// `class_mode`: `"categorical"` float32 one-hot `[b, classes]`, `"binary"`/`"sparse"`
/// float32 `[b]` class indices, `"input"` the images again, `None` images only.
/// [`DirectoryIterator::to_dataset`] is the `fit_dataset` form.
///
/// ```
/// use kiln_data::image::encode_png;
/// use kiln_data::preprocessing::image::{FlowFromDirectoryArgs, ImageDataGenerator, ImageDataGeneratorArgs};
/// use kiln_tensor::{DType, Tensor};
/// let dir = std::env::temp_dir().join(format!("kiln-di-doc-{}", std::process::id()));
/// std::fs::create_dir_all(dir.join("only")).unwrap();
/// for i in 0..3 {
///     let png = encode_png(&Tensor::zeros(&[4, 4, 3], DType::U8))?;
///     std::fs::write(dir.join("only").join(format!("{i}.png")), png).unwrap();
/// }
/// let g = ImageDataGenerator::new(ImageDataGeneratorArgs::default())?;
/// let args = FlowFromDirectoryArgs::new().target_size(2, 2).batch_size(2).class_mode(Some("sparse"));
/// let it = g.flow_from_directory(&dir, args)?;
/// assert_eq!((it.samples(), it.len(), it.is_empty()), (3, 2, false));
/// assert_eq!(it.to_dataset().collect()?.len(), 2);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), kiln_data::DataError>(())
/// ```
#[derive(Clone, Debug)]
pub struct DirectoryIterator {
    generator: Arc<ImageDataGenerator>,
    /// `(class name, index)` in index order (Keras's `class_indices` dict).
    pub class_indices: Vec<(String, usize)>,
    /// Paths relative to the directory, e.g. `"cats/001.png"`.
    pub filenames: Vec<String>,
    /// Full paths.
    pub filepaths: Vec<PathBuf>,
    /// The class index of each file.
    pub classes: Vec<usize>,
    /// The number of classes.
    pub num_classes: usize,
    class_mode: Option<String>,
    color_mode: ColorMode,
    target_size: (usize, usize),
    interpolation: Interpolation,
    save_to_dir: Option<SaveToDir>,
    state: FlowState,
    rng: RandomState,
}

impl ImageDataGenerator {
    /// `flow_from_directory(directory, ...)`: indexes `directory` as Keras does
    /// (every subfolder sorted, hidden ones included, or `classes`; each walked
    /// recursively in sorted order; with `subset`, the first `validation_split` of each
    /// class's files is the validation subset and the rest training). A class folder that
    /// does not exist is an `Err` (Keras silently finds no files in it); so are
    /// `keep_aspect_ratio` and interpolations other than nearest/bilinear/bicubic.
    ///
    /// ```
    /// use kiln_data::image::encode_png;
    /// use kiln_data::preprocessing::image::{FlowFromDirectoryArgs, ImageDataGenerator, ImageDataGeneratorArgs};
    /// use kiln_tensor::{DType, Tensor};
    /// let dir = std::env::temp_dir().join(format!("kiln-ffd-doc-{}", std::process::id()));
    /// for class in ["a", "b"] {
    ///     std::fs::create_dir_all(dir.join(class)).unwrap();
    ///     let png = encode_png(&Tensor::zeros(&[3, 3, 3], DType::U8))?;
    ///     std::fs::write(dir.join(class).join("x.png"), png).unwrap();
    /// }
    /// let g = ImageDataGenerator::new(ImageDataGeneratorArgs::default())?;
    /// let mut it = g.flow_from_directory(&dir, FlowFromDirectoryArgs::new().target_size(2, 2).shuffle(false))?;
    /// assert_eq!(it.filenames, vec!["a/x.png", "b/x.png"]);
    /// let b = it.next().unwrap()?;
    /// assert_eq!(b.tuple()?[1].as_tensor()?.shape(), &[2, 2]);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn flow_from_directory(
        &self,
        directory: impl AsRef<Path>,
        args: FlowFromDirectoryArgs,
    ) -> Result<DirectoryIterator> {
        const API: &str = "ImageDataGenerator.flow_from_directory";
        let directory = directory.as_ref();
        let color_mode = match args.color_mode.as_str() {
            "rgb" => ColorMode::Rgb,
            "rgba" => ColorMode::Rgba,
            "grayscale" => ColorMode::Grayscale,
            m => {
                return Err(invalid(
                    API,
                    format!(
                        "Invalid color mode: {m}; expected \"rgb\", \"rgba\", or \"grayscale\"."
                    ),
                ))
            }
        };
        let split = match args.subset.as_deref() {
            None => None,
            Some("validation") => Some((0.0, self.args().validation_split)),
            Some("training") => Some((self.args().validation_split, 1.0)),
            Some(s) => {
                return Err(invalid(
                    API,
                    format!("Invalid subset name: {s};expected \"training\" or \"validation\""),
                ))
            }
        };
        if !matches!(
            args.class_mode.as_deref(),
            None | Some("categorical" | "binary" | "sparse" | "input")
        ) {
            return Err(invalid(
                API,
                format!(
                    "Invalid class_mode: {}; expected one of: {{'categorical', 'binary', \
                     'sparse', 'input', None}}",
                    args.class_mode.as_deref().unwrap_or("None")
                ),
            ));
        }
        if args.keep_aspect_ratio {
            return Err(invalid(API, "keep_aspect_ratio=True is not implemented"));
        }
        let interpolation: Interpolation = args.interpolation.parse()?;
        if args.target_size.0 == 0 || args.target_size.1 == 0 {
            return Err(invalid(
                API,
                format!("target_size must be positive, got {:?}", args.target_size),
            ));
        }
        let classes = match args.classes.filter(|c| !c.is_empty()) {
            Some(c) => c,
            None => class_subdirs(directory, false)?,
        };
        let mut filenames = Vec::new();
        let mut filepaths = Vec::new();
        let mut labels = Vec::new();
        for (ci, class) in classes.iter().enumerate() {
            let d = directory.join(class);
            if !d.is_dir() {
                return Err(invalid(
                    API,
                    format!("class folder {} does not exist", d.display()),
                ));
            }
            let mut files = valid_files(&d, &DIRECTORY_FORMATS, args.follow_links)?;
            if let Some((a, b)) = split {
                let n = files.len() as f64;
                let (start, stop) = ((a * n) as usize, (b * n) as usize);
                files = files[start..stop.max(start)].to_vec();
            }
            for f in files {
                let rel = f
                    .strip_prefix(directory)
                    .map(|r| r.to_string_lossy().replace('\\', "/"))
                    .unwrap_or_else(|_| f.to_string_lossy().into_owned());
                filenames.push(rel);
                filepaths.push(f);
                labels.push(ci);
            }
        }
        println!(
            "Found {} images belonging to {} classes.",
            filepaths.len(),
            classes.len()
        );
        let state = FlowState::new(filepaths.len(), args.batch_size, args.shuffle, args.seed)?;
        let rng = RandomState::new(state.rng_seed);
        Ok(DirectoryIterator {
            generator: Arc::new(self.clone()),
            class_indices: classes.iter().cloned().zip(0..).collect(),
            num_classes: classes.len(),
            filenames,
            filepaths,
            classes: labels,
            class_mode: args.class_mode,
            color_mode,
            target_size: args.target_size,
            interpolation,
            save_to_dir: args.save_to_dir.clone(),
            state,
            rng,
        })
    }
}

impl DirectoryIterator {
    /// Batches per epoch.
    pub fn len(&self) -> usize {
        self.state.steps()
    }

    /// Whether no images were found.
    pub fn is_empty(&self) -> bool {
        self.state.n == 0
    }

    /// The number of images (`samples`).
    pub fn samples(&self) -> usize {
        self.state.n
    }

    fn next_batch(&mut self) -> Result<Element> {
        let idx = self.state.next(&mut self.rng)?;
        let c = match self.color_mode {
            ColorMode::Grayscale => 1,
            ColorMode::Rgb => 3,
            ColorMode::Rgba => 4,
        };
        let item_shape = [self.target_size.0, self.target_size.1, c];
        let mut images = Vec::with_capacity(idx.len());
        for &j in &idx {
            let img = load_img(
                &self.filepaths[j],
                self.color_mode,
                Some(self.target_size),
                self.interpolation,
            )?;
            let x = img_to_array(&img)?;
            let p = self.generator.random_params(x.shape(), &mut self.rng)?;
            let x = self.generator.apply_transform(&x, &p)?;
            images.push(self.generator.standardize(&x)?);
        }
        let bx = stack(images, &item_shape)?;
        if let Some(save) = &self.save_to_dir {
            for (k, &j) in idx.iter().enumerate() {
                save.save(&bx, k, j, 10_000_000, &mut self.rng)?;
            }
        }
        let y = match self.class_mode.as_deref() {
            None => return Ok(bx.into()),
            Some("input") => bx.clone(),
            Some("categorical") => {
                let mut v = vec![0.0f32; idx.len() * self.num_classes];
                for (i, &j) in idx.iter().enumerate() {
                    v[i * self.num_classes + self.classes[j]] = 1.0;
                }
                Tensor::from_vec(v, &[idx.len(), self.num_classes])?
            }
            _ => Tensor::from_vec(
                idx.iter()
                    .map(|&j| self.classes[j] as f32)
                    .collect::<Vec<_>>(),
                &[idx.len()],
            )?,
        };
        Ok(Element::Tuple(vec![bx.into(), y.into()]))
    }

    /// A [`Dataset`] whose pass `k` is epoch `k` of this iterator's stream (for
    /// `Model::fit_dataset`).
    pub fn to_dataset(&self) -> Dataset {
        let base = self.clone();
        let steps = self.len();
        let epoch = Arc::new(AtomicU64::new(0));
        // repeat + take gives the dataset its finite cardinality (one epoch) while each
        // pass draws exactly one generator run.
        Dataset::from_generator(move || -> ElementIter {
            let e = epoch.fetch_add(1, Ordering::Relaxed);
            let mut it = base.clone();
            it.state = base.state.at_epoch(e);
            it.rng = RandomState::new(it.state.rng_seed);
            Box::new((0..steps).map(move |_| it.next_batch()))
        })
        .repeat(None)
        .take(steps)
    }
}

impl Iterator for DirectoryIterator {
    type Item = Result<Element>;
    /// The next batch; never `None`.
    fn next(&mut self) -> Option<Result<Element>> {
        Some(self.next_batch())
    }
}
