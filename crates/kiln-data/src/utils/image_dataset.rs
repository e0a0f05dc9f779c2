//! `keras.utils.image_dataset_from_directory`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use kiln_tensor::{DType, Tensor};

use super::directory::{
    check_validation_split_arg, encode_label, index_directory, invalid, numpy_seed, py_list,
    training_or_validation, Indexed, Labels,
};
use crate::dataset::{Dataset, Element};
use crate::idx::io_err;
use crate::image::{crop_to_bounding_box, decode_image, pad_to_bounding_box, resize, ResizeMethod};
use crate::{DataError, Result};

const API: &str = "image_dataset_from_directory";

/// The file extensions `image_dataset_from_directory` lists (Keras's `ALLOWLIST_FORMATS`).
///
/// ```
/// assert!(kiln_data::utils::IMAGE_FORMATS.contains(&".png"));
/// ```
pub const IMAGE_FORMATS: [&str; 5] = [".bmp", ".gif", ".jpeg", ".jpg", ".png"];

/// The arguments of [`image_dataset_from_directory`], with Keras's defaults: inferred
/// labels, `label_mode = "int"`, `color_mode = "rgb"`, `batch_size = 32`,
/// `image_size = (256, 256)`, `shuffle = true`, `interpolation = "bilinear"`.
///
/// String-valued options take Keras's names and are checked when the dataset is built,
/// with Keras's messages.
///
/// ```
/// let args = kiln_data::utils::ImageDatasetArgs::new().image_size(64, 64).batch_size(Some(8));
/// assert_eq!(args.image_size, (64, 64));
/// ```
#[derive(Debug, Clone)]
pub struct ImageDatasetArgs {
    /// Where labels come from.
    pub labels: Labels,
    /// `"int"`, `"categorical"`, `"binary"` or `None` (no labels).
    pub label_mode: Option<String>,
    /// Explicit class subdirectories, in label order (only with inferred labels).
    pub class_names: Option<Vec<String>>,
    /// `"grayscale"`, `"rgb"` or `"rgba"`.
    pub color_mode: String,
    /// Batch size, or `None` for single samples.
    pub batch_size: Option<usize>,
    /// `(height, width)` every image is resized to.
    pub image_size: (usize, usize),
    /// Shuffle the files (and the elements each epoch).
    pub shuffle: bool,
    /// Seed for the shuffles.
    pub seed: Option<u64>,
    /// Fraction of files held out for validation.
    pub validation_split: Option<f64>,
    /// `"training"`, `"validation"` or `"both"` (with `validation_split`).
    pub subset: Option<String>,
    /// `tf.image.resize` method: `"bilinear"`, `"nearest"`, `"bicubic"` or `"area"`.
    pub interpolation: String,
    /// Descend into symlinked subdirectories.
    pub follow_links: bool,
    /// Centre-crop to the target aspect ratio before resizing (Keras's `smart_resize`).
    pub crop_to_aspect_ratio: bool,
    /// Resize keeping the aspect ratio and zero-pad to `image_size`
    /// (`tf.image.resize_with_pad`).
    pub pad_to_aspect_ratio: bool,
    /// Print how many files and classes were found (Keras's message).
    pub verbose: bool,
}

impl Default for ImageDatasetArgs {
    fn default() -> Self {
        ImageDatasetArgs {
            labels: Labels::Inferred,
            label_mode: Some("int".into()),
            class_names: None,
            color_mode: "rgb".into(),
            batch_size: Some(32),
            image_size: (256, 256),
            shuffle: true,
            seed: None,
            validation_split: None,
            subset: None,
            interpolation: "bilinear".into(),
            follow_links: false,
            crop_to_aspect_ratio: false,
            pad_to_aspect_ratio: false,
            verbose: true,
        }
    }
}

impl ImageDatasetArgs {
    /// Keras's defaults.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets `labels`.
    pub fn labels(mut self, labels: Labels) -> Self {
        self.labels = labels;
        self
    }
    /// Sets `label_mode` (`None` for no labels).
    pub fn label_mode(mut self, mode: Option<&str>) -> Self {
        self.label_mode = mode.map(str::to_string);
        self
    }
    /// Sets `class_names`.
    pub fn class_names(mut self, names: &[&str]) -> Self {
        self.class_names = Some(names.iter().map(|s| s.to_string()).collect());
        self
    }
    /// Sets `color_mode`.
    pub fn color_mode(mut self, mode: &str) -> Self {
        self.color_mode = mode.into();
        self
    }
    /// Sets `batch_size`.
    pub fn batch_size(mut self, batch_size: Option<usize>) -> Self {
        self.batch_size = batch_size;
        self
    }
    /// Sets `image_size` as `(height, width)`.
    pub fn image_size(mut self, height: usize, width: usize) -> Self {
        self.image_size = (height, width);
        self
    }
    /// Sets `shuffle`.
    pub fn shuffle(mut self, shuffle: bool) -> Self {
        self.shuffle = shuffle;
        self
    }
    /// Sets `seed`.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }
    /// Sets `validation_split` and `subset`.
    pub fn validation_split(mut self, split: f64, subset: &str) -> Self {
        self.validation_split = Some(split);
        self.subset = Some(subset.into());
        self
    }
    /// Sets `interpolation`.
    pub fn interpolation(mut self, method: &str) -> Self {
        self.interpolation = method.into();
        self
    }
    /// Sets `follow_links`.
    pub fn follow_links(mut self, follow: bool) -> Self {
        self.follow_links = follow;
        self
    }
    /// Sets `verbose`.
    pub fn verbose(mut self, verbose: bool) -> Self {
        self.verbose = verbose;
        self
    }
    /// Sets `pad_to_aspect_ratio`.
    pub fn pad_to_aspect_ratio(mut self, pad: bool) -> Self {
        self.pad_to_aspect_ratio = pad;
        self
    }
    /// Sets `crop_to_aspect_ratio`.
    pub fn crop_to_aspect_ratio(mut self, crop: bool) -> Self {
        self.crop_to_aspect_ratio = crop;
        self
    }
}

/// A dataset read from a directory, with Keras's `class_names` and `file_paths`
/// attributes.
///
/// ```
/// use kiln_data::utils::{image_dataset_from_directory, ImageDatasetArgs};
/// let err = image_dataset_from_directory("/nonexistent", &ImageDatasetArgs::new()).unwrap_err();
/// assert!(err.to_string().contains("/nonexistent"));
/// ```
#[derive(Debug, Clone)]
pub struct DirectoryDataset {
    /// Batches of `(images, labels)` (or `images` alone without labels).
    pub dataset: Dataset,
    /// The class names in label order (`None` without labels).
    pub class_names: Option<Vec<String>>,
    /// The files in the order they were indexed (after the seeded file shuffle).
    pub file_paths: Vec<PathBuf>,
}

pub(crate) fn channels_of(color_mode: &str) -> Result<usize> {
    match color_mode {
        "rgb" => Ok(3),
        "rgba" => Ok(4),
        "grayscale" => Ok(1),
        _ => Err(invalid(
            API,
            format!(
                "`color_mode` must be one of {{\"rgb\", \"rgba\", \"grayscale\"}}. Received: \
                 color_mode={color_mode}"
            ),
        )),
    }
}

pub(crate) fn check_label_mode(api: &'static str, mode: Option<&str>) -> Result<()> {
    match mode {
        None | Some("int" | "categorical" | "binary") => Ok(()),
        Some(m) => Err(invalid(
            api,
            format!(
                "`label_mode` argument must be one of \"int\", \"categorical\", \"binary\", or \
                 None. Received: label_mode={m}"
            ),
        )),
    }
}

/// Everything needed to load one image (shared by the dataset's map).
struct Loader {
    size: (usize, usize),
    channels: usize,
    method: ResizeMethod,
    crop: bool,
    pad: bool,
}

impl Loader {
    fn load(&self, path: &Path) -> Result<Tensor> {
        let bytes = std::fs::read(path).map_err(|e| io_err(path, e))?;
        let corrupt = |e: DataError| DataError::Corrupt {
            path: path.to_path_buf(),
            msg: e.to_string(),
        };
        let mut img = decode_image(&bytes, self.channels).map_err(corrupt)?;
        if self.crop {
            img = smart_crop(&img, self.size)?;
        }
        let out = if self.pad {
            resize_with_pad(&img, self.size, self.method).map_err(corrupt)?
        } else {
            resize(&img, self.size, self.method, false, false).map_err(corrupt)?
        };
        // tf.image.resize returns float32 except for nearest, which keeps uint8.
        Ok(if self.method == ResizeMethod::Nearest {
            out
        } else {
            out.cast(DType::F32)?
        })
    }
}

/// The centre crop of Keras's `smart_resize` (TF backend arithmetic in float32).
fn smart_crop(img: &Tensor, (th, tw): (usize, usize)) -> Result<Tensor> {
    let [h, w, _] = *img.shape() else {
        return Err(invalid(
            API,
            format!("expected a rank-3 image, got {:?}", img.shape()),
        ));
    };
    let ch = (((w * th) as f32 / tw as f32) as usize).min(h).max(1);
    let cw = (((h * tw) as f32 / th as f32) as usize).min(w).max(1);
    let hs = ((h - ch) as f32 / 2.0) as usize;
    let ws = ((w - cw) as f32 / 2.0) as usize;
    crop_to_bounding_box(img, hs, ws, ch, cw)
}

/// `tf.image.resize_with_pad`: resize to fit inside the target keeping the aspect ratio
/// (TF's float32 arithmetic), then zero-pad centred.
fn resize_with_pad(img: &Tensor, (th, tw): (usize, usize), method: ResizeMethod) -> Result<Tensor> {
    let [h, w, _] = *img.shape() else {
        return Err(invalid(
            API,
            format!("expected a rank-3 image, got {:?}", img.shape()),
        ));
    };
    let (fh, fw, fth, ftw) = (h as f32, w as f32, th as f32, tw as f32);
    let ratio = (fw / ftw).max(fh / fth);
    let (rh, rw) = (fh / ratio, fw / ratio);
    let (ih, iw) = (rh.floor() as usize, rw.floor() as usize);
    let ph = ((fth - rh) / 2.0).floor().max(0.0) as usize;
    let pw = ((ftw - rw) / 2.0).floor().max(0.0) as usize;
    let resized = resize(img, (ih.max(1), iw.max(1)), method, false, false)?;
    pad_to_bounding_box(&resized, ph, pw, th, tw)
}

fn parse_method(interpolation: &str) -> Result<ResizeMethod> {
    let lower = interpolation.to_lowercase();
    match lower.as_str() {
        "bilinear" => Ok(ResizeMethod::Bilinear),
        "nearest" => Ok(ResizeMethod::Nearest),
        "bicubic" => Ok(ResizeMethod::Bicubic),
        "area" => Ok(ResizeMethod::Area),
        "lanczos3" | "lanczos5" | "gaussian" | "mitchellcubic" => Err(invalid(
            API,
            format!("interpolation {lower:?} is not implemented (bilinear, nearest, bicubic and area are)"),
        )),
        _ => Err(invalid(
            API,
            format!(
                "Argument `interpolation` should be one of ('bilinear', 'nearest', 'bicubic', \
                 'area', 'lanczos3', 'lanczos5', 'gaussian', 'mitchellcubic'). Received: \
                 interpolation={lower}"
            ),
        )),
    }
}

/// The checks and indexing shared with the text loader.
#[allow(clippy::too_many_arguments)]
pub(crate) fn prepare(
    api: &'static str,
    directory: &Path,
    labels: &Labels,
    label_mode: Option<&str>,
    class_names: Option<&[String]>,
    shuffle: bool,
    seed: Option<u64>,
    validation_split: Option<f64>,
    subset: Option<&str>,
    formats: &[&str],
    follow_links: bool,
    verbose: bool,
) -> Result<(Indexed, Option<String>, u32)> {
    if let (Labels::List(l), Some(names)) = (labels, class_names)
        && !names.is_empty()
    {
        return Err(invalid(
            api,
            format!(
                "You can only pass `class_names` if `labels=\"inferred\"`. Received: \
                 labels={l:?}, and class_names={}",
                py_list(names)
            ),
        ));
    }
    check_label_mode(api, label_mode)?;
    let (labels, label_mode) = if *labels == Labels::None || label_mode.is_none() {
        (Labels::None, None)
    } else {
        (labels.clone(), label_mode.map(str::to_string))
    };
    check_validation_split_arg(api, validation_split, subset, shuffle, seed)?;
    let seed = numpy_seed(api, seed)?;
    let indexed = index_directory(
        api,
        directory,
        &labels,
        formats,
        class_names,
        shuffle,
        seed,
        follow_links,
        verbose,
    )?;
    if label_mode.as_deref() == Some("binary")
        && indexed.class_names.as_ref().map_or(0, Vec::len) != 2
    {
        return Err(invalid(
            api,
            format!(
                "When passing `label_mode=\"binary\"`, there must be exactly 2 class_names. \
                 Received: class_names={}",
                py_list(indexed.class_names.as_deref().unwrap_or(&[]))
            ),
        ));
    }
    Ok((indexed, label_mode, seed))
}

/// Builds the dataset of one subset: an index dataset, shuffled with a buffer of
/// `8 * batch_size` (1024 unbatched) each pass when `shuffle`, mapped through `load`.
pub(crate) fn subset_dataset(
    n: usize,
    shuffle: bool,
    seed: u32,
    batch_size: Option<usize>,
    load: Arc<dyn Fn(usize) -> Result<Element> + Send + Sync>,
) -> Result<Dataset> {
    let mut ds = Dataset::range(0, n as i64, 1)?;
    if shuffle {
        let buffer = batch_size.map_or(1024, |b| b * 8);
        ds = ds.shuffle_with(buffer, Some(u64::from(seed)), true);
    }
    ds = ds.map_parallel(
        move |e| {
            let i = e.as_tensor()?.item::<i64>()? as usize;
            load(i)
        },
        2,
    );
    match batch_size {
        Some(b) => ds.batch(b),
        None => Ok(ds),
    }
}

/// `keras.utils.image_dataset_from_directory`: a dataset of images read from class
/// subfolders (or any folder with `labels` given or `None`), as float32
/// `[batch, height, width, channels]` batches (uint8 for `interpolation = "nearest"`, as
/// `tf.image.resize` leaves it) with labels: int32 `[batch]` (`"int"`), float32
/// `[batch, num_classes]` (`"categorical"`) or float32 `[batch, 1]` (`"binary"`).
///
/// Files are found and ordered exactly as Keras does (sorted class folders skipping
/// hidden ones, or `class_names`' order; each walked recursively, directories sorted by
/// path and files by name; extensions `.bmp .gif .jpeg .jpg .png`, any case), then with
/// `shuffle` permuted by `np.random.RandomState(seed).shuffle` as Keras does, so
/// `file_paths` and the training/validation split match Keras's for a seed. The per-epoch
/// element shuffle (a `8 * batch_size` buffer, like Keras's) uses kiln's generator, not
/// TensorFlow's, so the order of shuffled batches differs from TF's. Images are decoded
/// with [`decode_image`] (PNG and JPEG; a BMP or GIF file gives an `Err` when its batch
/// is read) and resized with [`resize`].
///
/// Not implemented (an `Err`): the lanczos/gaussian/mitchellcubic
/// interpolations, `subset = "both"` here (use
/// [`image_dataset_from_directory_both`]).
///
/// ```
/// use kiln_data::image::encode_png;
/// use kiln_data::utils::{image_dataset_from_directory, ImageDatasetArgs};
/// use kiln_tensor::{DType, Tensor};
/// let dir = std::env::temp_dir().join(format!("kiln-idfd-doc-{}", std::process::id()));
/// for (class, n) in [("cat", 3), ("dog", 2)] {
///     std::fs::create_dir_all(dir.join(class)).unwrap();
///     for i in 0..n {
///         let png = encode_png(&Tensor::full(&[4, 6, 3], 10.0 * i as f64, DType::U8))?;
///         std::fs::write(dir.join(class).join(format!("{i}.png")), png).unwrap();
///     }
/// }
/// let args = ImageDatasetArgs::new().image_size(2, 3).batch_size(Some(4)).shuffle(false);
/// let ds = image_dataset_from_directory(&dir, &args)?;
/// assert_eq!(ds.class_names, Some(vec!["cat".to_string(), "dog".to_string()]));
/// let batches = ds.dataset.collect()?;
/// let (x, y) = (batches[0].tuple()?[0].as_tensor()?, batches[0].tuple()?[1].as_tensor()?);
/// assert_eq!(x.shape(), &[4, 2, 3, 3]);
/// assert_eq!(y.to_vec::<i32>()?, vec![0, 0, 0, 1]);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn image_dataset_from_directory(
    directory: impl AsRef<Path>,
    args: &ImageDatasetArgs,
) -> Result<DirectoryDataset> {
    if args.subset.as_deref() == Some("both") {
        check_common(args)?;
        return Err(invalid(
            API,
            "subset=\"both\" returns two datasets: call image_dataset_from_directory_both",
        ));
    }
    let mut v = build(directory.as_ref(), args)?;
    Ok(v.remove(0))
}

/// [`image_dataset_from_directory`] with `subset = "both"`: the training and validation
/// datasets (the validation one is never shuffled per epoch, as in Keras).
///
/// ```
/// use kiln_data::utils::{image_dataset_from_directory_both, ImageDatasetArgs};
/// let args = ImageDatasetArgs::new().validation_split(0.2, "training");
/// assert!(image_dataset_from_directory_both("/nonexistent", &args).is_err());
/// ```
pub fn image_dataset_from_directory_both(
    directory: impl AsRef<Path>,
    args: &ImageDatasetArgs,
) -> Result<(DirectoryDataset, DirectoryDataset)> {
    if args.subset.as_deref() != Some("both") {
        return Err(invalid(
            "image_dataset_from_directory_both",
            format!("needs subset=\"both\", got {:?}", args.subset),
        ));
    }
    let mut v = build(directory.as_ref(), args)?;
    let val = v
        .pop()
        .ok_or_else(|| invalid(API, "no validation dataset"))?;
    let train = v.pop().ok_or_else(|| invalid(API, "no training dataset"))?;
    Ok((train, val))
}

fn check_common(args: &ImageDatasetArgs) -> Result<()> {
    check_label_mode(API, args.label_mode.as_deref())?;
    channels_of(&args.color_mode)?;
    parse_method(&args.interpolation)?;
    check_validation_split_arg(
        API,
        args.validation_split,
        args.subset.as_deref(),
        args.shuffle,
        args.seed,
    )
}

fn build(directory: &Path, args: &ImageDatasetArgs) -> Result<Vec<DirectoryDataset>> {
    check_label_mode(API, args.label_mode.as_deref())?;
    let channels = channels_of(&args.color_mode)?;
    if args.image_size.0 == 0 || args.image_size.1 == 0 {
        return Err(invalid(
            API,
            format!(
                "Invalid `image_size` value. Expected a tuple of 2 positive integers. \
                 Received: image_size={:?}",
                args.image_size
            ),
        ));
    }
    let method = parse_method(&args.interpolation)?;
    if args.pad_to_aspect_ratio && args.crop_to_aspect_ratio {
        return Err(invalid(
            API,
            "Only one of `pad_to_aspect_ratio`, `crop_to_aspect_ratio` can be set to `True`.",
        ));
    }
    let (indexed, label_mode, seed) = prepare(
        API,
        directory,
        &args.labels,
        args.label_mode.as_deref(),
        args.class_names.as_deref(),
        args.shuffle,
        args.seed,
        args.validation_split,
        args.subset.as_deref(),
        &IMAGE_FORMATS,
        args.follow_links,
        args.verbose,
    )?;
    let loader = Arc::new(Loader {
        size: args.image_size,
        channels,
        method,
        crop: args.crop_to_aspect_ratio,
        pad: args.pad_to_aspect_ratio,
    });
    let subsets: Vec<(&str, bool)> = match args.subset.as_deref() {
        Some("both") => vec![("training", args.shuffle), ("validation", false)],
        Some(s) => vec![(s, args.shuffle)],
        None => vec![("training", args.shuffle)],
    };
    let num_classes = indexed.class_names.as_ref().map_or(0, Vec::len);
    let formats = "('.bmp', '.gif', '.jpeg', '.jpg', '.png')";
    let mut out = Vec::new();
    for (subset, shuffle) in subsets.iter().copied() {
        let range = training_or_validation(&indexed.file_paths, args.validation_split, subset);
        let paths: Arc<Vec<PathBuf>> = Arc::new(indexed.file_paths[range.clone()].to_vec());
        if paths.is_empty() {
            let which = match (args.subset.as_deref(), subset) {
                (Some("both"), "training") => "training images",
                (Some("both"), _) => "validation images",
                _ => "images",
            };
            return Err(invalid(
                API,
                format!(
                    "No {which} found in directory {}. Allowed formats: {formats}",
                    directory.display()
                ),
            ));
        }
        let labels: Option<Arc<Vec<i64>>> = indexed
            .labels
            .as_ref()
            .filter(|_| label_mode.is_some())
            .map(|l| Arc::new(l[range].to_vec()));
        let mode = label_mode.clone();
        let (p, l, ld) = (paths.clone(), labels.clone(), loader.clone());
        let load = Arc::new(move |i: usize| -> Result<Element> {
            let x = ld.load(&p[i])?;
            Ok(match (&l, &mode) {
                (Some(l), Some(m)) => {
                    Element::Tuple(vec![x.into(), encode_label(l[i], m, num_classes)?.into()])
                }
                _ => x.into(),
            })
        });
        out.push(DirectoryDataset {
            dataset: subset_dataset(paths.len(), shuffle, seed, args.batch_size, load)?,
            class_names: indexed.class_names.clone(),
            file_paths: paths.to_vec(),
        });
    }
    Ok(out)
}
