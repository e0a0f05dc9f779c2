//! The Boston housing regression data, as `keras.datasets.boston_housing.load_data()`:
//! 506 samples of 13 features and a price, split 404 / 102 with Keras's shuffle
//! (`np.random.RandomState(113).shuffle` of the row indices, `test_split=0.2`).
//!
//! kiln ships the original 506 rows (`datasets/boston_housing/boston_house_prices.csv`,
//! the Harrison & Rubinfeld data in the order Keras's `boston_housing.npz` holds them).
//! [`load_data`] reads Keras's `boston_housing.npz` from `$KILN_DATA_DIR` when it is there,
//! else the shipped CSV (found as `datasets/boston_housing` under the current directory
//! or a parent, else in the kiln source tree; its SHA-256 is checked). Both give Keras's
//! split: the CSV's test targets have Keras's constant-predictor MSE, 83.24384.

use std::path::{Path, PathBuf};

use kiln_tensor::Tensor;
use sha2::{Digest, Sha256};

use crate::npz::{read_npz, take};
use crate::numpy_random::shuffled_indices;
use crate::{DataError, Result};

const CSV: &str = "boston_house_prices.csv";
const CSV_SHA256: &str = "04ea3ed0aa63691cfedf388349eafc1213e91e00f8e4d31747534692c0f1ce02";

/// `((x_train, y_train), (x_test, y_test))`, float64 as Keras returns them.
pub type Split = ((Tensor, Tensor), (Tensor, Tensor));

/// Keras's split with its defaults (`test_split=0.2`, `seed=113`): from
/// `$KILN_DATA_DIR/boston_housing.npz` when present, else from the shipped CSV.
///
/// ```
/// let ((x_train, y_train), (x_test, y_test)) = kiln_data::datasets::boston_housing::load_data()?;
/// assert_eq!(x_train.shape(), &[404, 13]);
/// assert_eq!(y_test.shape(), &[102]);
/// // Keras's first training row.
/// assert_eq!(x_train.to_vec::<f64>()?[..3], [1.23247, 0.0, 8.14]);
/// # let _ = (y_train, x_test);
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn load_data() -> Result<Split> {
    if let Some(dir) = std::env::var_os("KILN_DATA_DIR").map(PathBuf::from) {
        let npz = dir.join("boston_housing.npz");
        if npz.exists() {
            return load_data_from(npz, 0.2, 113);
        }
    }
    load_data_csv(default_csv(), 0.2, 113)
}

/// Where the shipped CSV is read from (see the module docs).
///
/// ```
/// assert!(kiln_data::datasets::boston_housing::default_csv().ends_with("boston_house_prices.csv"));
/// ```
pub fn default_csv() -> PathBuf {
    if let Ok(mut cwd) = std::env::current_dir() {
        loop {
            let cand = cwd.join("datasets").join("boston_housing").join(CSV);
            if cand.exists() {
                return cand;
            }
            if !cwd.pop() {
                break;
            }
        }
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../datasets/boston_housing")
        .join(CSV)
}

/// Loads the shipped CSV (one header line, 13 feature columns and `MEDV`; its SHA-256 is
/// checked) and splits it as [`load_data_from`] does.
///
/// ```
/// let path = kiln_data::datasets::boston_housing::default_csv();
/// let ((x, _), (xt, _)) = kiln_data::datasets::boston_housing::load_data_csv(&path, 0.5, 113)?;
/// assert_eq!((x.shape()[0], xt.shape()[0]), (253, 253));
/// assert!(kiln_data::datasets::boston_housing::load_data_csv("missing.csv", 0.2, 113).is_err());
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn load_data_csv(path: impl AsRef<Path>, test_split: f64, seed: u32) -> Result<Split> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| DataError::Missing {
        path: path.to_path_buf(),
        hint: format!("kiln ships datasets/boston_housing/{CSV}; run from the kiln tree ({e})"),
    })?;
    let digest: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if digest != CSV_SHA256 {
        return Err(DataError::Corrupt {
            path: path.to_path_buf(),
            msg: format!("SHA-256 {digest} is not the shipped file's {CSV_SHA256}"),
        });
    }
    let text = String::from_utf8_lossy(&bytes);
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for (i, line) in text
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .enumerate()
    {
        let vals: Vec<f64> = line
            .split(',')
            .map(|v| v.trim().parse::<f64>())
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| DataError::Corrupt {
                path: path.to_path_buf(),
                msg: format!("row {}: {e}", i + 1),
            })?;
        if vals.len() != 14 {
            return Err(DataError::Corrupt {
                path: path.to_path_buf(),
                msg: format!("row {} has {} columns, expected 14", i + 1, vals.len()),
            });
        }
        xs.extend_from_slice(&vals[..13]);
        ys.push(vals[13]);
    }
    let n = ys.len();
    let x = Tensor::from_vec(xs, &[n, 13])?;
    let y = Tensor::from_vec(ys, &[n])?;
    split(path, x, y, test_split, seed)
}

/// Loads an `.npz` with arrays `x` (n, 13) and `y` (n,) and splits it as Keras does: shuffle
/// the indices with `RandomState(seed)`, the first `int(n * (1 - test_split))` train.
///
/// ```no_run
/// let split = kiln_data::datasets::boston_housing::load_data_from("boston_housing.npz", 0.2, 113)?;
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn load_data_from(path: impl AsRef<Path>, test_split: f64, seed: u32) -> Result<Split> {
    let path = path.as_ref();
    if !path.exists() {
        return Err(DataError::Missing {
            path: path.to_path_buf(),
            hint: "download Keras's boston_housing.npz and set KILN_DATA_DIR to its folder".into(),
        });
    }
    let mut arrays = read_npz(path)?;
    let x = take(path, &mut arrays, "x")?;
    let y = take(path, &mut arrays, "y")?;
    let n = x.shape().first().copied().unwrap_or(0);
    if y.shape() != [n] {
        return Err(DataError::Corrupt {
            path: path.to_path_buf(),
            msg: format!("x has {n} rows but y has shape {:?}", y.shape()),
        });
    }
    split(path, x, y, test_split, seed)
}

/// Keras's split: shuffle the indices with `RandomState(seed)`, the first
/// `int(n * (1 - test_split))` rows train.
fn split(path: &Path, x: Tensor, y: Tensor, test_split: f64, seed: u32) -> Result<Split> {
    if !(0.0..1.0).contains(&test_split) {
        return Err(DataError::Corrupt {
            path: path.to_path_buf(),
            msg: format!("test_split must be in [0, 1), got {test_split}"),
        });
    }
    let n = x.shape().first().copied().unwrap_or(0);
    let idx: Vec<i64> = shuffled_indices(n, seed)
        .into_iter()
        .map(|i| i as i64)
        .collect();
    let idx = Tensor::from_vec(idx, &[n])?;
    let (x, y) = (x.gather(&idx, 0)?, y.gather(&idx, 0)?);
    let n_train = (n as f64 * (1.0 - test_split)) as usize;
    let rows = |t: &Tensor, a: usize, b: usize| -> Result<Tensor> {
        let mut begin = vec![0isize; t.rank()];
        let mut size = vec![-1isize; t.rank()];
        begin[0] = a as isize;
        size[0] = (b - a) as isize;
        Ok(t.slice(&begin, &size)?.contiguous())
    };
    Ok((
        (rows(&x, 0, n_train)?, rows(&y, 0, n_train)?),
        (rows(&x, n_train, n)?, rows(&y, n_train, n)?),
    ))
}
