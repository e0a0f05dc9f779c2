//! What `keras.datasets.imdb` and `keras.datasets.reuters` share: reading their `.npz`
//! files (object arrays of token-id lists plus integer labels), Keras's index rewriting
//! (`start_char`, `index_from`, `oov_char`, `num_words`, `skip_top`, `maxlen`), and the
//! word-index JSON files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use kiln_tensor::{DType, Tensor};

use crate::npy_object::parse_object_npy;
use crate::npz::{npy_header, parse_npy, read_npz_entries};
use crate::{DataError, Result};

/// Token-id sequences, one `Vec` per review or newswire.
pub type Sequences = Vec<Vec<i64>>;

/// `((x_train, y_train), (x_test, y_test))`: sequences and their int64 labels `(n,)`.
pub type SequenceSplit = ((Sequences, Tensor), (Sequences, Tensor));

/// The options `imdb.load_data` and `reuters.load_data` share, with Keras's defaults.
///
/// ```
/// let o = kiln_data::datasets::SequenceOptions::default();
/// assert_eq!((o.seed, o.start_char, o.oov_char, o.index_from), (113, Some(1), Some(2), 3));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SequenceOptions {
    /// Keep the `num_words` most frequent words (ids below `num_words`); others become
    /// `oov_char` (or are dropped when `oov_char` is `None`). `None` keeps all.
    pub num_words: Option<usize>,
    /// Ids below `skip_top` (the most frequent words) are treated like rare ones.
    pub skip_top: usize,
    /// Drop sequences of `maxlen` tokens or more (Keras keeps only `len < maxlen`).
    pub maxlen: Option<usize>,
    /// The `np.random.RandomState` seed of the shuffle.
    pub seed: u32,
    /// Id put at the start of every sequence (`None`: nothing is prepended).
    pub start_char: Option<i64>,
    /// Id replacing out-of-vocabulary words (`None`: they are removed).
    pub oov_char: Option<i64>,
    /// Added to every word id (ids 0..index_from are reserved).
    pub index_from: i64,
}

impl Default for SequenceOptions {
    fn default() -> Self {
        SequenceOptions {
            num_words: None,
            skip_top: 0,
            maxlen: None,
            seed: 113,
            start_char: Some(1),
            oov_char: Some(2),
            index_from: 3,
        }
    }
}

pub(crate) fn data_dir_file(name: &str) -> PathBuf {
    std::env::var_os("KILN_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_default()
        .join(name)
}

pub(crate) fn missing(path: &Path, what: &str) -> DataError {
    DataError::Missing {
        path: path.to_path_buf(),
        hint: format!("download Keras's {what} and set KILN_DATA_DIR to its folder"),
    }
}

fn corrupt(path: &Path, msg: impl Into<String>) -> DataError {
    DataError::Corrupt {
        path: path.to_path_buf(),
        msg: msg.into(),
    }
}

/// The members of a dataset `.npz`: object arrays as sequences, numeric ones as labels.
pub(crate) struct Members {
    path: PathBuf,
    sequences: HashMap<String, Sequences>,
    labels: HashMap<String, Vec<i64>>,
}

impl Members {
    pub(crate) fn read(path: &Path, what: &str) -> Result<Members> {
        if !path.exists() {
            return Err(missing(path, what));
        }
        let mut m = Members {
            path: path.to_path_buf(),
            sequences: HashMap::new(),
            labels: HashMap::new(),
        };
        for (name, raw) in read_npz_entries(path)? {
            if npy_header(path, &raw)?.0 == "|O" {
                m.sequences.insert(name, parse_object_npy(path, &raw)?);
            } else {
                let t = parse_npy(path, &raw)?;
                if t.rank() != 1 || !matches!(t.dtype(), DType::I64 | DType::I32 | DType::U8) {
                    return Err(corrupt(
                        path,
                        format!(
                            "'{name}' should be a 1-D integer label array, got {:?} {:?}",
                            t.dtype(),
                            t.shape()
                        ),
                    ));
                }
                m.labels.insert(name, t.cast(DType::I64)?.to_vec::<i64>()?);
            }
        }
        Ok(m)
    }

    pub(crate) fn pair(&mut self, x: &str, y: &str) -> Result<(Sequences, Vec<i64>)> {
        let xs = self
            .sequences
            .remove(x)
            .ok_or_else(|| corrupt(&self.path, format!("no object array '{x}' in the archive")))?;
        let ys = self
            .labels
            .remove(y)
            .ok_or_else(|| corrupt(&self.path, format!("no label array '{y}' in the archive")))?;
        if xs.len() != ys.len() {
            return Err(corrupt(
                &self.path,
                format!(
                    "'{x}' has {} sequences but '{y}' {} labels",
                    xs.len(),
                    ys.len()
                ),
            ));
        }
        Ok((xs, ys))
    }
}

/// `x[perm], y[perm]` for `RandomState(seed).shuffle(arange(n))`, drawn from `rng` as Keras
/// draws successive shuffles from one generator.
pub(crate) fn shuffle(
    rng: &mut crate::numpy_random::Mt19937,
    xs: Sequences,
    ys: Vec<i64>,
) -> (Sequences, Vec<i64>) {
    let perm = crate::numpy_random::shuffle_with(rng, xs.len());
    let mut slots: Vec<Option<Vec<i64>>> = xs.into_iter().map(Some).collect();
    let x = perm
        .iter()
        .map(|&i| slots[i].take().unwrap_or_default())
        .collect();
    let y = perm.iter().map(|&i| ys[i]).collect();
    (x, y)
}

/// Keras's `start_char` / `index_from` rewrite, then `maxlen` filtering
/// (`remove_long_seq`: keep `len < maxlen`).
pub(crate) fn offset_and_filter(
    xs: Sequences,
    ys: Vec<i64>,
    o: &SequenceOptions,
) -> (Sequences, Vec<i64>) {
    let xs = xs.into_iter().map(|x| {
        let shifted = x.into_iter().map(|w| w + o.index_from);
        match o.start_char {
            Some(s) => std::iter::once(s).chain(shifted).collect::<Vec<_>>(),
            None => shifted.collect(),
        }
    });
    match o.maxlen {
        Some(m) => xs.zip(ys).filter(|(x, _)| x.len() < m).unzip(),
        None => (xs.collect(), ys),
    }
}

/// Keras's vocabulary cut over all sequences: with `num_words` unset it becomes the
/// largest id (so, as in Keras, that id itself becomes `oov_char`); ids outside
/// `[skip_top, num_words)` become `oov_char` or are dropped.
pub(crate) fn limit_vocabulary(
    path: &Path,
    xs: &mut [Vec<i64>],
    o: &SequenceOptions,
) -> Result<()> {
    let num_words = match o.num_words {
        Some(n) if n > 0 => n as i64,
        _ => {
            // Python's max(max(x) for x in xs) fails on an empty sequence or an empty set.
            let mut top: Option<i64> = None;
            for x in xs.iter() {
                let m = x.iter().max().ok_or_else(|| {
                    corrupt(
                        path,
                        "an empty sequence has no largest id (Keras fails too)",
                    )
                })?;
                top = Some(top.map_or(*m, |t: i64| t.max(*m)));
            }
            top.ok_or_else(|| corrupt(path, "no sequences to take the vocabulary from"))?
        }
    };
    let keep = |w: i64| w >= o.skip_top as i64 && w < num_words;
    for x in xs.iter_mut() {
        match o.oov_char {
            Some(oov) => x.iter_mut().filter(|w| !keep(**w)).for_each(|w| *w = oov),
            None => x.retain(|&w| keep(w)),
        }
    }
    Ok(())
}

pub(crate) fn labels(ys: Vec<i64>) -> Result<Tensor> {
    let n = ys.len();
    Ok(Tensor::from_vec(ys, &[n])?)
}

/// Reads a word index (`{"word": id, ...}`) written by Keras's `get_word_index` sources.
pub(crate) fn read_word_index(path: &Path, what: &str) -> Result<HashMap<String, i64>> {
    let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => missing(path, what),
        _ => DataError::Io {
            path: path.to_path_buf(),
            source: e,
        },
    })?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| corrupt(path, format!("not JSON: {e}")))?;
    let obj = v
        .as_object()
        .ok_or_else(|| corrupt(path, "a word index is a JSON object of word -> id"))?;
    obj.iter()
        .map(|(k, v)| {
            v.as_i64()
                .map(|id| (k.clone(), id))
                .ok_or_else(|| corrupt(path, format!("id of word {k:?} is not an integer")))
        })
        .collect()
}
