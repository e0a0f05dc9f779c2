//! The IDX file format (MNIST, Fashion-MNIST), plain or gzip-compressed.

use std::io::Read;
use std::path::Path;

use kiln_tensor::Tensor;

use crate::{DataError, Result};

/// Reads an IDX file of unsigned bytes (type code 0x08) into a `u8` tensor whose shape is
/// the file's dimensions. Files ending in `.gz` are decompressed.
///
/// ```no_run
/// let labels = kiln_data::idx::read_idx_u8("datasets/mnist/t10k-labels-idx1-ubyte.gz").unwrap();
/// assert_eq!(labels.shape(), &[10000]);
/// ```
pub fn read_idx_u8(path: impl AsRef<Path>) -> Result<Tensor> {
    let path = path.as_ref();
    let raw = std::fs::read(path).map_err(|e| io_err(path, e))?;
    let bytes = if path.extension().is_some_and(|e| e == "gz") {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|e| corrupt(path, format!("gzip stream is damaged or truncated: {e}")))?;
        out
    } else {
        raw
    };
    parse_idx_u8(&bytes).map_err(|msg| corrupt(path, msg))
}

/// Parses IDX bytes (already decompressed).
///
/// ```
/// // magic 0x00000801 (u8, 1 dim), dim 3, data 1 2 3
/// let bytes = [0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 3];
/// let t = kiln_data::idx::parse_idx_u8(&bytes).unwrap();
/// assert_eq!(t.to_vec::<u8>().unwrap(), vec![1, 2, 3]);
/// assert!(kiln_data::idx::parse_idx_u8(&bytes[..9]).is_err());
/// ```
pub fn parse_idx_u8(bytes: &[u8]) -> std::result::Result<Tensor, String> {
    if bytes.len() < 4 {
        return Err(format!(
            "{} bytes is too short for an IDX header",
            bytes.len()
        ));
    }
    if bytes[0] != 0 || bytes[1] != 0 {
        return Err(format!(
            "bad magic {:02x}{:02x}{:02x}{:02x}",
            bytes[0], bytes[1], bytes[2], bytes[3]
        ));
    }
    if bytes[2] != 0x08 {
        return Err(format!(
            "element type 0x{:02x} is not unsigned byte (0x08)",
            bytes[2]
        ));
    }
    let ndim = bytes[3] as usize;
    let header = 4 + 4 * ndim;
    if bytes.len() < header {
        return Err(format!(
            "header needs {header} bytes, file has {}",
            bytes.len()
        ));
    }
    let dims: Vec<usize> = (0..ndim)
        .map(|i| {
            u32::from_be_bytes(bytes[4 + 4 * i..8 + 4 * i].try_into().expect("4 bytes")) as usize
        })
        .collect();
    let n: usize = dims.iter().product();
    let body = &bytes[header..];
    if body.len() != n {
        return Err(format!(
            "dimensions {dims:?} need {n} data bytes, file has {}",
            body.len()
        ));
    }
    Tensor::from_vec(body.to_vec(), &dims).map_err(|e| e.to_string())
}

pub(crate) fn io_err(path: &Path, e: std::io::Error) -> DataError {
    if e.kind() == std::io::ErrorKind::NotFound {
        DataError::Missing {
            path: path.to_path_buf(),
            hint: "put the file there or set KILN_DATA_DIR".into(),
        }
    } else {
        DataError::Io {
            path: path.to_path_buf(),
            source: e,
        }
    }
}

pub(crate) fn corrupt(path: &Path, msg: impl Into<String>) -> DataError {
    DataError::Corrupt {
        path: path.to_path_buf(),
        msg: msg.into(),
    }
}
