//! The Reuters newswire topic data, as `keras.datasets.reuters`: 11,228 newswires as
//! token-id sequences with 46 topic labels, split by `test_split`. The data cannot be
//! downloaded here: put Keras's `reuters.npz` (and `reuters_word_index.json` for
//! [`get_word_index`]) in `$KILN_DATA_DIR`, or pass paths to the `_from` functions.

use std::collections::HashMap;
use std::path::Path;

use crate::datasets::token_sequences::{
    data_dir_file, labels, limit_vocabulary, offset_and_filter, read_word_index, shuffle, Members,
    SequenceOptions, SequenceSplit,
};
use crate::numpy_random::Mt19937;
use crate::{DataError, Result};

/// `keras.datasets.reuters.load_data(test_split=test_split, **options)` on
/// `$KILN_DATA_DIR/reuters.npz` (Keras's default `test_split` is 0.2).
///
/// ```no_run
/// use kiln_data::datasets::{reuters, SequenceOptions};
/// let ((x_train, y_train), _) = reuters::load_data(0.2, &SequenceOptions::default())?;
/// assert_eq!(x_train.len(), 8982);
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn load_data(test_split: f64, options: &SequenceOptions) -> Result<SequenceSplit> {
    load_data_from(data_dir_file("reuters.npz"), test_split, options)
}

/// [`load_data`] on an `.npz` with an object array `x` and labels `y`, as Keras: shuffle
/// with `RandomState(seed)`, prepend `start_char` / add `index_from`, drop sequences of
/// `maxlen` or more tokens, cut the vocabulary, then the first `int(n * (1 - test_split))`
/// are the training set.
///
/// ```
/// use kiln_data::datasets::{reuters, SequenceOptions};
/// let err = reuters::load_data_from("/no/such/reuters.npz", 0.2, &SequenceOptions::default());
/// assert!(err.unwrap_err().to_string().contains("reuters.npz"));
/// ```
pub fn load_data_from(
    path: impl AsRef<Path>,
    test_split: f64,
    options: &SequenceOptions,
) -> Result<SequenceSplit> {
    let path = path.as_ref();
    if !(0.0..=1.0).contains(&test_split) {
        return Err(DataError::Invalid {
            api: "reuters.load_data",
            msg: format!("test_split must be in [0, 1], got {test_split}"),
        });
    }
    let mut members = Members::read(path, "reuters.npz")?;
    let (xs, ys) = members.pair("x", "y")?;
    let mut rng = Mt19937::new(options.seed);
    let (xs, ys) = shuffle(&mut rng, xs, ys);
    let (mut xs, mut ys) = offset_and_filter(xs, ys, options);
    limit_vocabulary(path, &mut xs, options)?;
    let n_train = (xs.len() as f64 * (1.0 - test_split)) as usize;
    let x_test = xs.split_off(n_train);
    let y_test = ys.split_off(n_train);
    Ok(((xs, labels(ys)?), (x_test, labels(y_test)?)))
}

/// `keras.datasets.reuters.get_word_index()` from `$KILN_DATA_DIR/reuters_word_index.json`.
///
/// ```no_run
/// let index = kiln_data::datasets::reuters::get_word_index()?;
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn get_word_index() -> Result<HashMap<String, i64>> {
    get_word_index_from(data_dir_file("reuters_word_index.json"))
}

/// [`get_word_index`] from a given JSON file.
///
/// ```
/// let err = kiln_data::datasets::reuters::get_word_index_from("/none.json").unwrap_err();
/// assert!(err.to_string().contains("none.json"));
/// ```
pub fn get_word_index_from(path: impl AsRef<Path>) -> Result<HashMap<String, i64>> {
    read_word_index(path.as_ref(), "reuters_word_index.json")
}
