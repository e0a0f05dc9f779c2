//! The IMDB movie-review sentiment data, as `keras.datasets.imdb`: 25,000 training and
//! 25,000 test reviews as token-id sequences (ids by word frequency), labels 0/1. The data
//! cannot be downloaded here: put Keras's `imdb.npz` (and `imdb_word_index.json` for
//! [`get_word_index`]) in `$KILN_DATA_DIR`, or pass paths to the `_from` functions.

use std::collections::HashMap;
use std::path::Path;

use crate::datasets::token_sequences::{
    data_dir_file, labels, limit_vocabulary, offset_and_filter, read_word_index, shuffle, Members,
    SequenceOptions, SequenceSplit,
};
use crate::numpy_random::Mt19937;
use crate::{DataError, Result};

/// `keras.datasets.imdb.load_data(**options)` on `$KILN_DATA_DIR/imdb.npz`.
///
/// ```no_run
/// use kiln_data::datasets::{imdb, SequenceOptions};
/// let opts = SequenceOptions { num_words: Some(10000), ..Default::default() };
/// let ((x_train, y_train), (x_test, y_test)) = imdb::load_data(&opts)?;
/// assert_eq!(x_train.len(), 25000);
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn load_data(options: &SequenceOptions) -> Result<SequenceSplit> {
    load_data_from(data_dir_file("imdb.npz"), options)
}

/// [`load_data`] on an `.npz` with object arrays `x_train`, `x_test` and labels
/// `y_train`, `y_test`, following Keras step by step: shuffle train then test with one
/// `RandomState(seed)`, prepend `start_char` and add `index_from`, drop sequences of
/// `maxlen` or more tokens, then cut the vocabulary over train and test together.
///
/// ```
/// use kiln_data::datasets::{imdb, SequenceOptions};
/// let err = imdb::load_data_from("/no/such/imdb.npz", &SequenceOptions::default()).unwrap_err();
/// assert!(err.to_string().contains("imdb.npz"));
/// ```
pub fn load_data_from(path: impl AsRef<Path>, options: &SequenceOptions) -> Result<SequenceSplit> {
    let path = path.as_ref();
    let mut members = Members::read(path, "imdb.npz")?;
    let (x_train, y_train) = members.pair("x_train", "y_train")?;
    let (x_test, y_test) = members.pair("x_test", "y_test")?;
    let mut rng = Mt19937::new(options.seed);
    let (x_train, y_train) = shuffle(&mut rng, x_train, y_train);
    let (x_test, y_test) = shuffle(&mut rng, x_test, y_test);
    let (x_train, y_train) = offset_and_filter(x_train, y_train, options);
    let (x_test, y_test) = offset_and_filter(x_test, y_test, options);
    if options.maxlen.is_some() && (x_train.is_empty() || x_test.is_empty()) {
        return Err(DataError::Invalid {
            api: "imdb.load_data",
            msg: format!(
                "after filtering for sequences shorter than maxlen={}, no sequence was kept; increase maxlen",
                options.maxlen.unwrap_or(0)
            ),
        });
    }
    let n_train = x_train.len();
    let mut xs = x_train;
    xs.extend(x_test);
    limit_vocabulary(path, &mut xs, options)?;
    let x_test = xs.split_off(n_train);
    Ok(((xs, labels(y_train)?), (x_test, labels(y_test)?)))
}

/// `keras.datasets.imdb.get_word_index()`: word -> id (before `index_from` is added),
/// from `$KILN_DATA_DIR/imdb_word_index.json`.
///
/// ```no_run
/// let index = kiln_data::datasets::imdb::get_word_index()?;
/// assert_eq!(index["the"], 1);
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn get_word_index() -> Result<HashMap<String, i64>> {
    get_word_index_from(data_dir_file("imdb_word_index.json"))
}

/// [`get_word_index`] from a given JSON file.
///
/// ```
/// let err = kiln_data::datasets::imdb::get_word_index_from("/no/such/index.json").unwrap_err();
/// assert!(err.to_string().contains("index.json"));
/// ```
pub fn get_word_index_from(path: impl AsRef<Path>) -> Result<HashMap<String, i64>> {
    read_word_index(path.as_ref(), "imdb_word_index.json")
}
