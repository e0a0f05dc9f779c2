//! `ImageDataGenerator.flow_from_directory`: Keras's `DirectoryIterator` and its
//! arguments.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use kiln_tensor::Tensor;

use crate::dataset::{Dataset, Element, ElementIter};
use crate::image::{img_to_array, load_img, ColorMode, Interpolation};
use crate::numpy_random::RandomState;
use crate::preprocessing::image_data_generator::ImageDataGenerator;
use crate::utils::directory::{class_subdirs, invalid, valid_files};
use crate::Result;

use super::{stack, FlowState, SaveToDir};

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
    pub(super) generator: Arc<ImageDataGenerator>,
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
    pub(super) class_mode: Option<String>,
    pub(super) color_mode: ColorMode,
    pub(super) target_size: (usize, usize),
    pub(super) interpolation: Interpolation,
    pub(super) save_to_dir: Option<SaveToDir>,
    pub(super) state: FlowState,
    pub(super) rng: RandomState,
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

    pub(super) fn next_batch(&mut self) -> Result<Element> {
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
