//! Fashion-MNIST, as `keras.datasets.fashion_mnist`: 60,000 training and 10,000 test
//! 28x28 `u8` grayscale images of clothing with `u8` labels 0-9, read from the published
//! IDX files (`train-images-idx3-ubyte.gz`, `train-labels-idx1-ubyte.gz`,
//! `t10k-images-idx3-ubyte.gz`, `t10k-labels-idx1-ubyte.gz`) in
//! `$KILN_DATA_DIR/fashion_mnist/` (nothing is downloaded).

use std::path::{Path, PathBuf};

use kiln_tensor::Tensor;

use crate::idx::{corrupt, io_err, parse_idx_u8};
use crate::{DataError, Result};

/// `((x_train, y_train), (x_test, y_test))`.
pub type Split = ((Tensor, Tensor), (Tensor, Tensor));

const FILES: [&str; 4] = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
];

/// `$KILN_DATA_DIR/fashion_mnist`, or an error saying to set `KILN_DATA_DIR`.
pub fn default_dir() -> Result<PathBuf> {
    match std::env::var("KILN_DATA_DIR") {
        Ok(d) => Ok(Path::new(&d).join("fashion_mnist")),
        Err(_) => Err(DataError::Missing {
            path: PathBuf::from("$KILN_DATA_DIR/fashion_mnist"),
            hint: format!(
                "set KILN_DATA_DIR to a directory holding fashion_mnist/ with {}",
                FILES.join(", ")
            ),
        }),
    }
}

/// Loads the four files from `$KILN_DATA_DIR/fashion_mnist`.
pub fn load_data() -> Result<Split> {
    load_data_from(default_dir()?)
}

/// Loads the four IDX files from `dir` (gzip-compressed, as published).
///
/// ```
/// let err = kiln_data::datasets::fashion_mnist::load_data_from("/nonexistent").unwrap_err();
/// assert!(err.to_string().contains("train-images-idx3-ubyte.gz"));
/// ```
pub fn load_data_from(dir: impl AsRef<Path>) -> Result<Split> {
    let dir = dir.as_ref();
    let mut t = Vec::with_capacity(4);
    for name in FILES {
        let path = dir.join(name);
        let raw = std::fs::read(&path).map_err(|e| io_err(&path, e))?;
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&raw[..]), &mut bytes)
            .map_err(|e| corrupt(&path, format!("gzip stream: {e}")))?;
        t.push(parse_idx_u8(&bytes).map_err(|m| corrupt(&path, m))?);
    }
    let check = |i: usize, j: usize| -> Result<()> {
        let (a, b) = (t[i].shape()[0], t[j].shape()[0]);
        if a != b {
            return Err(corrupt(
                &dir.join(FILES[j]),
                format!("{b} labels for {a} images in {}", FILES[i]),
            ));
        }
        Ok(())
    };
    check(0, 1)?;
    check(2, 3)?;
    let mut it = t.into_iter();
    let (a, b, c, d) = (it.next(), it.next(), it.next(), it.next());
    match (a, b, c, d) {
        (Some(a), Some(b), Some(c), Some(d)) => Ok(((a, b), (c, d))),
        _ => Err(corrupt(dir, "missing tensors")),
    }
}
