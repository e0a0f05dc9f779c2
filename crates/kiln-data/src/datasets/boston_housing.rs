//! The Boston housing regression data, as `keras.datasets.boston_housing.load_data()`:
//! 506 samples of 13 features and a price, split 404 / 102 with Keras's shuffle
//! (`np.random.RandomState(113)`). The data cannot be downloaded here: put Keras's
//! `boston_housing.npz` in `$KILN_DATA_DIR` (or pass its path to [`load_data_from`]).

use std::path::{Path, PathBuf};

use kiln_tensor::Tensor;

use crate::npz::{read_npz, take};
use crate::numpy_random::shuffled_indices;
use crate::{DataError, Result};

/// `((x_train, y_train), (x_test, y_test))`, float64 as Keras returns them.
pub type Split = ((Tensor, Tensor), (Tensor, Tensor));

/// Loads `$KILN_DATA_DIR/boston_housing.npz` with Keras's defaults (`test_split=0.2`,
/// `seed=113`). A missing variable or file is [`DataError::Missing`] saying where to put it.
///
/// ```no_run
/// let ((x_train, y_train), (x_test, y_test)) = kiln_data::datasets::boston_housing::load_data()?;
/// assert_eq!(x_train.shape(), &[404, 13]);
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn load_data() -> Result<Split> {
    let dir = std::env::var_os("KILN_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_default();
    load_data_from(dir.join("boston_housing.npz"), 0.2, 113)
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
    if !(0.0..1.0).contains(&test_split) {
        return Err(DataError::Corrupt {
            path: path.to_path_buf(),
            msg: format!("test_split must be in [0, 1), got {test_split}"),
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
