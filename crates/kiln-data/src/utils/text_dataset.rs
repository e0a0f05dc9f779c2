//! `keras.utils.text_dataset_from_directory`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use kiln_tensor::Tensor;

use super::directory::{encode_label, invalid, training_or_validation, Labels};
use super::image_dataset::prepare;
use crate::dataset::{Dataset, Element};
use crate::idx::io_err;
use crate::Result;

const API: &str = "text_dataset_from_directory";

/// The arguments of [`text_dataset_from_directory`], with Keras's defaults (inferred
/// labels, `label_mode = "int"`, `batch_size = 32`, `shuffle = true`).
///
/// ```
/// let args = kiln_data::utils::TextDatasetArgs::new().max_length(Some(100));
/// assert_eq!(args.batch_size, Some(32));
/// ```
#[derive(Debug, Clone)]
pub struct TextDatasetArgs {
    /// Where labels come from.
    pub labels: Labels,
    /// `"int"`, `"categorical"`, `"binary"` or `None` (no labels).
    pub label_mode: Option<String>,
    /// Explicit class subdirectories, in label order (only with inferred labels).
    pub class_names: Option<Vec<String>>,
    /// Batch size, or `None` for single samples.
    pub batch_size: Option<usize>,
    /// Keep only the first `max_length` bytes of each file (`tf.strings.substr`).
    pub max_length: Option<usize>,
    /// Shuffle the files (and the elements each epoch).
    pub shuffle: bool,
    /// Seed for the shuffles.
    pub seed: Option<u64>,
    /// Fraction of files held out for validation.
    pub validation_split: Option<f64>,
    /// `"training"`, `"validation"` or `"both"`.
    pub subset: Option<String>,
    /// Descend into symlinked subdirectories.
    pub follow_links: bool,
    /// Print how many files and classes were found (Keras's message).
    pub verbose: bool,
}

impl Default for TextDatasetArgs {
    fn default() -> Self {
        TextDatasetArgs {
            labels: Labels::Inferred,
            label_mode: Some("int".into()),
            class_names: None,
            batch_size: Some(32),
            max_length: None,
            shuffle: true,
            seed: None,
            validation_split: None,
            subset: None,
            follow_links: false,
            verbose: true,
        }
    }
}

impl TextDatasetArgs {
    /// Keras's defaults.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets `labels`.
    pub fn labels(mut self, labels: Labels) -> Self {
        self.labels = labels;
        self
    }
    /// Sets `label_mode`.
    pub fn label_mode(mut self, mode: Option<&str>) -> Self {
        self.label_mode = mode.map(str::to_string);
        self
    }
    /// Sets `class_names`.
    pub fn class_names(mut self, names: &[&str]) -> Self {
        self.class_names = Some(names.iter().map(|s| s.to_string()).collect());
        self
    }
    /// Sets `batch_size`.
    pub fn batch_size(mut self, batch_size: Option<usize>) -> Self {
        self.batch_size = batch_size;
        self
    }
    /// Sets `max_length`.
    pub fn max_length(mut self, max_length: Option<usize>) -> Self {
        self.max_length = max_length;
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
    /// Sets `verbose`.
    pub fn verbose(mut self, verbose: bool) -> Self {
        self.verbose = verbose;
        self
    }
    /// Sets `validation_split` and `subset`.
    pub fn validation_split(mut self, split: f64, subset: &str) -> Self {
        self.validation_split = Some(split);
        self.subset = Some(subset.into());
        self
    }
}

/// One batch of a [`TextDataset`]: the texts and, with labels, their label tensor
/// (`[batch]` int32, `[batch, n]` or `[batch, 1]` float32; unbatched: one text and the
/// label of one sample).
///
/// ```
/// let b = kiln_data::utils::TextBatch { texts: vec!["hi".into()], labels: None };
/// assert_eq!(b.texts.len(), 1);
/// ```
#[derive(Debug, Clone)]
pub struct TextBatch {
    /// The file contents.
    pub texts: Vec<String>,
    /// The labels, if the dataset has any.
    pub labels: Option<Tensor>,
}

/// Text files read from a directory. kiln's [`Dataset`] holds tensors only and kiln has
/// no string tensors, so this is its own re-iterable type: each [`TextDataset::iter`]
/// is one pass of [`TextBatch`]es (shuffled again each pass when `shuffle`), and
/// `class_names` is Keras's attribute.
///
/// ```
/// use kiln_data::utils::{text_dataset_from_directory, TextDatasetArgs};
/// let dir = std::env::temp_dir().join(format!("kiln-tds-doc-{}", std::process::id()));
/// std::fs::create_dir_all(dir.join("a")).unwrap();
/// for i in 0..3 {
///     std::fs::write(dir.join("a").join(format!("{i}.txt")), format!("text {i}")).unwrap();
/// }
/// let args = TextDatasetArgs::new().batch_size(Some(2)).seed(4);
/// let ds = text_dataset_from_directory(&dir, &args)?;
/// assert_eq!(ds.cardinality().as_i64(), 2);
/// let mut all: Vec<String> = ds.iter().map(|b| b.unwrap().texts).flatten().collect();
/// all.sort();
/// assert_eq!(all, vec!["text 0", "text 1", "text 2"]);
/// assert_eq!(ds.collect()?.len(), 2);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), kiln_data::DataError>(())
/// ```
#[derive(Debug, Clone)]
pub struct TextDataset {
    /// The class names in label order (`None` without labels).
    pub class_names: Option<Vec<String>>,
    /// The files in indexed order.
    pub file_paths: Vec<PathBuf>,
    /// Batches of positions into `file_paths` (with the labels already encoded).
    order: Dataset,
    max_length: Option<usize>,
    labelled: bool,
}

impl TextDataset {
    /// One pass over the batches.
    pub fn iter(&self) -> impl Iterator<Item = Result<TextBatch>> + '_ {
        self.order.iter().map(move |e| self.read(e?))
    }

    /// One pass collected.
    pub fn collect(&self) -> Result<Vec<TextBatch>> {
        self.iter().collect()
    }

    /// How many batches a pass yields.
    pub fn cardinality(&self) -> crate::dataset::Cardinality {
        self.order.cardinality()
    }

    fn read(&self, e: Element) -> Result<TextBatch> {
        let (idx, labels) = if self.labelled {
            let t = e.tuple()?;
            (t[0].as_tensor()?.clone(), Some(t[1].as_tensor()?.clone()))
        } else {
            (e.as_tensor()?.clone(), None)
        };
        let mut texts = Vec::new();
        for i in idx.to_vec::<i64>()? {
            let path = &self.file_paths[i as usize];
            let mut bytes = std::fs::read(path).map_err(|e| io_err(path, e))?;
            if let Some(m) = self.max_length {
                bytes.truncate(m);
            }
            // tf.strings.substr counts bytes; a cut inside a character becomes U+FFFD.
            texts.push(String::from_utf8_lossy(&bytes).into_owned());
        }
        Ok(TextBatch { texts, labels })
    }
}

/// `keras.utils.text_dataset_from_directory`: `.txt` files from class subfolders, with
/// the file order, the seeded file shuffle, the splits, the label encodings and the error
/// messages of Keras (see [`super::image_dataset_from_directory`] for the ordering
/// rules; the per-pass element shuffle uses kiln's generator, not TensorFlow's).
/// `subset = "both"` is [`text_dataset_from_directory_both`].
///
/// ```
/// use kiln_data::utils::{text_dataset_from_directory, TextDatasetArgs};
/// let dir = std::env::temp_dir().join(format!("kiln-tdfd-doc-{}", std::process::id()));
/// for (class, text) in [("neg", "bad"), ("pos", "good")] {
///     std::fs::create_dir_all(dir.join(class)).unwrap();
///     std::fs::write(dir.join(class).join("a.txt"), text).unwrap();
/// }
/// let ds = text_dataset_from_directory(&dir, &TextDatasetArgs::new().shuffle(false))?;
/// let b = &ds.collect()?[0];
/// assert_eq!(b.texts, vec!["bad", "good"]);
/// assert_eq!(b.labels.as_ref().unwrap().to_vec::<i32>()?, vec![0, 1]);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn text_dataset_from_directory(
    directory: impl AsRef<Path>,
    args: &TextDatasetArgs,
) -> Result<TextDataset> {
    if args.subset.as_deref() == Some("both") {
        return Err(invalid(
            API,
            "subset=\"both\" returns two datasets: call text_dataset_from_directory_both",
        ));
    }
    let mut v = build(directory.as_ref(), args)?;
    Ok(v.remove(0))
}

/// [`text_dataset_from_directory`] with `subset = "both"`: `(training, validation)`.
///
/// ```
/// use kiln_data::utils::{text_dataset_from_directory_both, TextDatasetArgs};
/// let args = TextDatasetArgs::new().seed(1).validation_split(0.5, "both");
/// assert!(text_dataset_from_directory_both("/nonexistent", &args).is_err());
/// ```
pub fn text_dataset_from_directory_both(
    directory: impl AsRef<Path>,
    args: &TextDatasetArgs,
) -> Result<(TextDataset, TextDataset)> {
    if args.subset.as_deref() != Some("both") {
        return Err(invalid(
            "text_dataset_from_directory_both",
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

fn build(directory: &Path, args: &TextDatasetArgs) -> Result<Vec<TextDataset>> {
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
        &[".txt"],
        args.follow_links,
        args.verbose,
    )?;
    let subsets: Vec<(&str, bool)> = match args.subset.as_deref() {
        Some("both") => vec![("training", args.shuffle), ("validation", false)],
        Some(s) => vec![(s, args.shuffle)],
        None => vec![("training", args.shuffle)],
    };
    let num_classes = indexed.class_names.as_ref().map_or(0, Vec::len);
    let mut out = Vec::new();
    for (subset, shuffle) in subsets {
        let range = training_or_validation(&indexed.file_paths, args.validation_split, subset);
        let paths = indexed.file_paths[range.clone()].to_vec();
        if paths.is_empty() {
            let which = match (args.subset.as_deref(), subset) {
                (Some("both"), "training") => "training text files",
                (Some("both"), _) => "validation text files",
                _ => "text files",
            };
            return Err(invalid(
                API,
                format!(
                    "No {which} found in directory {}. Allowed format: .txt",
                    directory.display()
                ),
            ));
        }
        let labels: Option<Arc<Vec<i64>>> = indexed
            .labels
            .as_ref()
            .filter(|_| label_mode.is_some())
            .map(|l| Arc::new(l[range].to_vec()));
        let labelled = labels.is_some();
        let mode = label_mode.clone();
        let load = Arc::new(move |i: usize| -> Result<Element> {
            let idx = Tensor::scalar(i as i64);
            Ok(match (&labels, &mode) {
                (Some(l), Some(m)) => {
                    Element::Tuple(vec![idx.into(), encode_label(l[i], m, num_classes)?.into()])
                }
                _ => idx.into(),
            })
        });
        let mut order = super::image_dataset::subset_dataset(
            paths.len(),
            shuffle,
            seed,
            args.batch_size,
            load,
        )?;
        if args.batch_size.is_none() {
            // Unbatched: a batch of one text, the label of one sample.
            order = order.map(|e| {
                e.map_leaves(&mut |t| {
                    if t.dtype() == kiln_tensor::DType::I64 && t.shape().is_empty() {
                        Ok(t.reshape(&[1])?)
                    } else {
                        Ok(t.clone())
                    }
                })
            });
        }
        out.push(TextDataset {
            class_names: indexed.class_names.clone(),
            file_paths: paths,
            order,
            max_length: args.max_length,
            labelled,
        });
    }
    Ok(out)
}
