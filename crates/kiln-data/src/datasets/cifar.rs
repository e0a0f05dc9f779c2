//! CIFAR-10 and CIFAR-100 from the published *binary* version (`keras.datasets.cifar10` /
//! `cifar100` layouts): `x` `(n, 32, 32, 3)` `u8` channels-last, `y` `(n, 1)` `u8`.
//!
//! - CIFAR-10: `$KILN_DATA_DIR/cifar-10-batches-bin/data_batch_{1..5}.bin` and
//!   `test_batch.bin`; each record is 1 label byte + 3072 image bytes (1024 red, 1024
//!   green, 1024 blue, rows of 32).
//! - CIFAR-100: `$KILN_DATA_DIR/cifar-100-binary/train.bin` and `test.bin`; each record is
//!   a coarse label byte, a fine label byte, then the 3072 image bytes.

use std::path::{Path, PathBuf};

use kiln_tensor::Tensor;

use crate::idx::{corrupt, io_err};
use crate::{DataError, Result};

/// `((x_train, y_train), (x_test, y_test))`.
pub type Split = ((Tensor, Tensor), (Tensor, Tensor));

const IMAGE: usize = 3072;

fn data_dir(sub: &str) -> Result<PathBuf> {
    match std::env::var("KILN_DATA_DIR") {
        Ok(d) => Ok(Path::new(&d).join(sub)),
        Err(_) => Err(DataError::Missing {
            path: PathBuf::from(format!("$KILN_DATA_DIR/{sub}")),
            hint: format!(
                "set KILN_DATA_DIR to a directory holding {sub}/ (the CIFAR binary version)"
            ),
        }),
    }
}

/// Reads records of `label_bytes + 3072` bytes; returns CHW->HWC images and the label at
/// `label_index` of each record.
fn read_records(path: &Path, label_bytes: usize, label_index: usize) -> Result<(Vec<u8>, Vec<u8>)> {
    let raw = std::fs::read(path).map_err(|e| io_err(path, e))?;
    let rec = label_bytes + IMAGE;
    if raw.is_empty() || raw.len() % rec != 0 {
        return Err(corrupt(
            path,
            format!(
                "{} bytes is not a whole number of {rec}-byte records",
                raw.len()
            ),
        ));
    }
    let n = raw.len() / rec;
    let mut x = vec![0u8; n * IMAGE];
    let mut y = Vec::with_capacity(n);
    for (i, r) in raw.chunks_exact(rec).enumerate() {
        y.push(r[label_index]);
        let img = &r[label_bytes..];
        let out = &mut x[i * IMAGE..(i + 1) * IMAGE];
        for p in 0..1024 {
            for ch in 0..3 {
                out[p * 3 + ch] = img[ch * 1024 + p];
            }
        }
    }
    Ok((x, y))
}

fn tensors(x: Vec<u8>, y: Vec<u8>) -> Result<(Tensor, Tensor)> {
    let n = y.len();
    Ok((
        Tensor::from_vec(x, &[n, 32, 32, 3])?,
        Tensor::from_vec(y, &[n, 1])?,
    ))
}

/// CIFAR-10 from `$KILN_DATA_DIR/cifar-10-batches-bin`.
pub fn load_cifar10() -> Result<Split> {
    load_cifar10_from(data_dir("cifar-10-batches-bin")?)
}

/// CIFAR-10 from the binary batches in `dir`, training batches 1-5 in order.
///
/// ```
/// let e = kiln_data::datasets::cifar::load_cifar10_from("/nonexistent").unwrap_err();
/// assert!(e.to_string().contains("data_batch_1.bin"));
/// ```
pub fn load_cifar10_from(dir: impl AsRef<Path>) -> Result<Split> {
    let dir = dir.as_ref();
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for b in 1..=5 {
        let (bx, by) = read_records(&dir.join(format!("data_batch_{b}.bin")), 1, 0)?;
        x.extend(bx);
        y.extend(by);
    }
    let (tx, ty) = read_records(&dir.join("test_batch.bin"), 1, 0)?;
    Ok((tensors(x, y)?, tensors(tx, ty)?))
}

/// CIFAR-100 from `$KILN_DATA_DIR/cifar-100-binary`; `label_mode` `"fine"` (100 classes)
/// or `"coarse"` (20 superclasses).
pub fn load_cifar100(label_mode: &str) -> Result<Split> {
    load_cifar100_from(data_dir("cifar-100-binary")?, label_mode)
}

/// CIFAR-100 from `train.bin` / `test.bin` in `dir`.
///
/// ```
/// assert!(kiln_data::datasets::cifar::load_cifar100_from("/x", "medium").is_err());
/// ```
pub fn load_cifar100_from(dir: impl AsRef<Path>, label_mode: &str) -> Result<Split> {
    let idx = match label_mode {
        "fine" => 1,
        "coarse" => 0,
        other => {
            return Err(DataError::Invalid {
                api: "cifar100.load_data",
                msg: format!("label_mode must be \"fine\" or \"coarse\", got {other:?}"),
            })
        }
    };
    let dir = dir.as_ref();
    let (x, y) = read_records(&dir.join("train.bin"), 2, idx)?;
    let (tx, ty) = read_records(&dir.join("test.bin"), 2, idx)?;
    Ok((tensors(x, y)?, tensors(tx, ty)?))
}
