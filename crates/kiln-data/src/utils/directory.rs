//! The directory indexing shared by [`image_dataset_from_directory`] and
//! [`text_dataset_from_directory`] (Keras's `dataset_utils.index_directory`), plus the
//! argument checks and training/validation split they share.
//!
//! [`image_dataset_from_directory`]: super::image_dataset_from_directory
//! [`text_dataset_from_directory`]: super::text_dataset_from_directory

use std::path::{Path, PathBuf};

use crate::idx::io_err;
use crate::numpy_random::shuffled_indices;
use crate::{DataError, Result};

/// Where labels come from (Keras's `labels` argument).
///
/// ```
/// use kiln_data::utils::Labels;
/// let l = Labels::List(vec![0, 1, 1]);
/// assert_ne!(l, Labels::Inferred);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Labels {
    /// `"inferred"`: one class per subdirectory (the default).
    #[default]
    Inferred,
    /// `None`: no labels; the dataset yields inputs only.
    None,
    /// Explicit integer labels, one per file in the order of the sorted file paths
    /// (every file below the directory, walked as `os.walk`).
    List(Vec<i64>),
}

/// The files found, their labels and the class names (`index_directory`'s result).
#[derive(Debug, Clone)]
pub(crate) struct Indexed {
    pub file_paths: Vec<PathBuf>,
    pub labels: Option<Vec<i64>>,
    pub class_names: Option<Vec<String>>,
}

pub(crate) fn invalid(api: &'static str, msg: impl Into<String>) -> DataError {
    DataError::Invalid {
        api,
        msg: msg.into(),
    }
}

/// Python's `repr` of a list of strings (`['a', 'b']`), for messages matching Keras's.
pub(crate) fn py_list(items: &[String]) -> String {
    let inner: Vec<String> = items
        .iter()
        .map(|s| {
            if s.contains('\'') && !s.contains('"') {
                format!("\"{s}\"")
            } else {
                format!("'{}'", s.replace('\'', "\\'"))
            }
        })
        .collect();
    format!("[{}]", inner.join(", "))
}

/// Python's `str` of a float (`0.2`, `1.5`, `2.0`).
pub(crate) fn py_float(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e16 {
        format!("{v:.1}")
    } else {
        format!("{v}")
    }
}

/// `dataset_utils.check_validation_split_arg`, with Keras's messages.
pub(crate) fn check_validation_split_arg(
    api: &'static str,
    validation_split: Option<f64>,
    subset: Option<&str>,
    shuffle: bool,
    seed: Option<u64>,
) -> Result<()> {
    // Keras treats 0.0 like None (falsy).
    let split = validation_split.filter(|&v| v != 0.0);
    if let Some(v) = split
        && !(v > 0.0 && v < 1.0)
    {
        return Err(invalid(
            api,
            format!(
                "`validation_split` must be between 0 and 1, received: {}",
                py_float(v)
            ),
        ));
    }
    let subset = subset.filter(|s| !s.is_empty());
    if split.is_some() != subset.is_some() {
        return Err(invalid(
            api,
            "If `subset` is set, `validation_split` must be set, and inversely.",
        ));
    }
    if let Some(s) = subset
        && !matches!(s, "training" | "validation" | "both")
    {
        return Err(invalid(
            api,
            format!(
                "`subset` must be either \"training\", \"validation\" or \"both\", \
                 received: {s}"
            ),
        ));
    }
    if split.is_some() && shuffle && seed.is_none() {
        return Err(invalid(
            api,
            "If using `validation_split` and shuffling the data, you must provide a `seed` \
             argument, to make sure that there is no overlap between the training and \
             validation subset.",
        ));
    }
    Ok(())
}

/// A seed for NumPy's `RandomState`, or a random one below 10^6 as Keras draws.
pub(crate) fn numpy_seed(api: &'static str, seed: Option<u64>) -> Result<u32> {
    match seed {
        Some(s) => u32::try_from(s).map_err(|_| {
            invalid(
                api,
                format!("seed must be between 0 and 2**32 - 1 (NumPy's RandomState), got {s}"),
            )
        }),
        None => Ok((kiln_tensor::random::Generator::from_global().next_u64() % 1_000_000) as u32),
    }
}

fn list_dir(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let rd = std::fs::read_dir(dir).map_err(|e| io_err(dir, e))?;
    let mut out = Vec::new();
    for entry in rd {
        let entry = entry.map_err(|e| io_err(dir, e))?;
        out.push((
            entry.file_name().to_string_lossy().into_owned(),
            entry.path(),
        ));
    }
    // Python sorts str by code point; UTF-8 byte order is the same.
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// `os.walk(top, followlinks=follow_links)`: every directory below `top` (itself first)
/// with its files, as `(root, file names)`.
fn walk(top: &Path, follow_links: bool, out: &mut Vec<(PathBuf, Vec<String>)>) -> Result<()> {
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    for (name, path) in list_dir(top)? {
        let link = std::fs::symlink_metadata(&path)
            .map(|m| m.file_type().is_symlink())
            .unwrap_or(false);
        // A broken link is listed as a file, as os.walk does.
        let is_dir = std::fs::metadata(&path)
            .map(|m| m.is_dir())
            .unwrap_or(false);
        if is_dir {
            if !link || follow_links {
                dirs.push(path);
            }
        } else {
            files.push(name);
        }
    }
    out.push((top.to_path_buf(), files));
    for d in dirs {
        walk(&d, follow_links, out)?;
    }
    Ok(())
}

/// Files under `dir` whose lower-cased names end with one of `formats`, in Keras's order:
/// directories sorted by path, files sorted by name (`iter_valid_files`).
pub(crate) fn valid_files(
    dir: &Path,
    formats: &[&str],
    follow_links: bool,
) -> Result<Vec<PathBuf>> {
    let mut roots = Vec::new();
    walk(dir, follow_links, &mut roots)?;
    roots.sort_by(|a, b| a.0.to_string_lossy().cmp(&b.0.to_string_lossy()));
    let mut out = Vec::new();
    for (root, mut files) in roots {
        files.sort();
        for f in files {
            let lower = f.to_lowercase();
            if formats.iter().any(|ext| lower.ends_with(ext)) {
                out.push(root.join(f));
            }
        }
    }
    Ok(out)
}

/// The subdirectories of `dir`, sorted (`skip_hidden` drops names starting with `.`).
pub(crate) fn class_subdirs(dir: &Path, skip_hidden: bool) -> Result<Vec<String>> {
    Ok(list_dir(dir)?
        .into_iter()
        .filter(|(name, path)| path.is_dir() && !(skip_hidden && name.starts_with('.')))
        .map(|(name, _)| name)
        .collect())
}

/// `dataset_utils.index_directory`: the files, their labels and the class names, shuffled
/// with `np.random.RandomState(seed).shuffle` when `shuffle` (paths and labels with the
/// same permutation).
#[allow(clippy::too_many_arguments)]
pub(crate) fn index_directory(
    api: &'static str,
    directory: &Path,
    labels: &Labels,
    formats: &[&str],
    class_names: Option<&[String]>,
    shuffle: bool,
    seed: u32,
    follow_links: bool,
    verbose: bool,
) -> Result<Indexed> {
    let subdirs: Vec<String> = match labels {
        Labels::Inferred => {
            let found = class_subdirs(directory, true)?;
            match class_names {
                Some(names) => {
                    if !names.iter().all(|n| found.contains(n)) {
                        return Err(invalid(
                            api,
                            format!(
                                "The `class_names` passed did not match the names of the \
                                 subdirectories of the target directory. Expected: {} (or a \
                                 subset of it), but received: class_names={}",
                                py_list(&found),
                                py_list(names)
                            ),
                        ));
                    }
                    names.to_vec()
                }
                None => found,
            }
        }
        Labels::None if class_names.is_some() => {
            return Err(invalid(
                api,
                "When `labels=None` (no labels), argument `class_names` cannot be specified.",
            ))
        }
        Labels::List(_) if class_names.is_some() => {
            return Err(invalid(
                api,
                "When argument `labels` is specified, argument `class_names` cannot be \
                 specified (the `class_names` will be the sorted list of labels).",
            ))
        }
        _ => vec![String::new()],
    };
    let mut file_paths = Vec::new();
    let mut inferred = Vec::new();
    for (i, sub) in subdirs.iter().enumerate() {
        let d = if sub.is_empty() {
            directory.to_path_buf()
        } else {
            directory.join(sub)
        };
        let files = valid_files(&d, formats, follow_links)?;
        inferred.extend(std::iter::repeat_n(i as i64, files.len()));
        file_paths.extend(files);
    }
    let (mut labels, class_names) = match labels {
        Labels::Inferred => (Some(inferred), Some(subdirs)),
        Labels::None => (None, None),
        Labels::List(list) => {
            if list.len() != file_paths.len() {
                return Err(invalid(
                    api,
                    format!(
                        "Expected the lengths of `labels` to match the number of files in the \
                         target directory. len(labels) is {} while we found {} files in \
                         directory {}.",
                        list.len(),
                        file_paths.len(),
                        directory.display()
                    ),
                ));
            }
            let mut uniq = list.clone();
            uniq.sort();
            uniq.dedup();
            (
                Some(list.clone()),
                Some(uniq.iter().map(|v| v.to_string()).collect()),
            )
        }
    };
    if verbose {
        match &class_names {
            None => println!("Found {} files.", file_paths.len()),
            Some(c) => println!(
                "Found {} files belonging to {} classes.",
                file_paths.len(),
                c.len()
            ),
        }
    }
    if shuffle {
        let perm = shuffled_indices(file_paths.len(), seed);
        file_paths = perm.iter().map(|&i| file_paths[i].clone()).collect();
        if let Some(l) = labels.as_mut() {
            *l = perm.iter().map(|&i| l[i]).collect();
        }
    }
    Ok(Indexed {
        file_paths,
        labels,
        class_names,
    })
}

/// `get_training_or_validation_split`: the first `n - int(split * n)` items for
/// `"training"`, the rest for `"validation"`, everything without a split.
pub(crate) fn training_or_validation<T: Clone>(
    items: &[T],
    validation_split: Option<f64>,
    subset: &str,
) -> std::ops::Range<usize> {
    let n = items.len();
    match validation_split.filter(|&v| v != 0.0) {
        None => 0..n,
        Some(v) => {
            let val = (v * n as f64) as usize;
            // Keras prints this whatever `verbose` says.
            if subset == "validation" {
                println!("Using {val} files for validation.");
                n - val..n
            } else {
                println!("Using {} files for training.", n - val);
                0..n - val
            }
        }
    }
}

/// Labels as Keras's `labels_to_dataset`: `int` as int32, `binary` as float32 `[1]`,
/// `categorical` as a float32 one-hot of `num_classes` (out-of-range labels give zeros,
/// as `tf.one_hot`).
pub(crate) fn encode_label(
    label: i64,
    mode: &str,
    num_classes: usize,
) -> Result<kiln_tensor::Tensor> {
    use kiln_tensor::Tensor;
    Ok(match mode {
        "binary" => Tensor::from_vec(vec![label as f32], &[1])?,
        "categorical" => {
            let mut v = vec![0.0f32; num_classes];
            if label >= 0 && (label as usize) < num_classes {
                v[label as usize] = 1.0;
            }
            Tensor::from_vec(v, &[num_classes])?
        }
        _ => Tensor::scalar(label as i32),
    })
}
