//! MNIST handwritten digits, as `keras.datasets.mnist`: 60,000 training and 10,000 test
//! 28x28 `u8` images with `u8` labels 0-9.
//!
//! kiln ships the original IDX files in `datasets/mnist/`. The directory is found from
//! `KILN_MNIST_DIR`, else `$KILN_DATA_DIR/mnist`, else `datasets/mnist` under the current
//! directory or any parent, else the copy in the kiln source tree. Each file's SHA-256 is
//! checked, so a damaged download is an error naming the file, never wrong data.

use std::path::{Path, PathBuf};

use kiln_tensor::Tensor;
use sha2::{Digest, Sha256};

use crate::idx::{corrupt, io_err, parse_idx_u8};
use crate::Result;

/// `(x_train, y_train), (x_test, y_test)`.
pub type Split = ((Tensor, Tensor), (Tensor, Tensor));

const FILES: [(&str, &str); 4] = [
    (
        "train-images-idx3-ubyte.gz",
        "b09d8b89df4ad239afc76a323dbe9559169cd8cca365467dfe8aa1f7ca54109b",
    ),
    (
        "train-labels-idx1-ubyte.gz",
        "c51906e7929bbf7c824fbd16019b56297269ca82cba449c5b5d59c0a02147fed",
    ),
    (
        "t10k-images-idx3-ubyte.gz",
        "f72c2dff3457595ec2fe452d25d97b7f974a74ad5b006687704212bedd1486d8",
    ),
    (
        "t10k-labels-idx1-ubyte.gz",
        "4baf84ddd60ae342cfdd282ec3fba3249a201a4459782165496a7cbebbe49a2e",
    ),
];

/// The directory MNIST is read from (see the module docs for the search order).
///
/// ```
/// let dir = kiln_data::datasets::mnist::default_dir();
/// assert!(dir.ends_with("mnist"));
/// ```
pub fn default_dir() -> PathBuf {
    if let Ok(d) = std::env::var("KILN_MNIST_DIR") {
        return PathBuf::from(d);
    }
    if let Ok(d) = std::env::var("KILN_DATA_DIR") {
        return Path::new(&d).join("mnist");
    }
    if let Ok(mut cwd) = std::env::current_dir() {
        loop {
            let cand = cwd.join("datasets").join("mnist");
            if cand.join(FILES[0].0).exists() {
                return cand;
            }
            if !cwd.pop() {
                break;
            }
        }
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets/mnist")
}

/// Loads MNIST from [`default_dir`]: images `(n, 28, 28)` u8, labels `(n,)` u8.
///
/// ```no_run
/// let ((x, y), (xt, yt)) = kiln_data::datasets::mnist::load_data().unwrap();
/// assert_eq!(y.shape(), &[60000]);
/// assert_eq!(xt.shape(), &[10000, 28, 28]);
/// # let _ = (x, yt);
/// ```
pub fn load_data() -> Result<Split> {
    load_data_from(default_dir())
}

/// Loads MNIST from the four gzip IDX files in `dir`, verifying their checksums.
///
/// ```
/// assert!(kiln_data::datasets::mnist::load_data_from("/no/such/dir").is_err());
/// ```
pub fn load_data_from(dir: impl AsRef<Path>) -> Result<Split> {
    let dir = dir.as_ref();
    let mut tensors = Vec::with_capacity(4);
    for (name, sha) in FILES {
        let path = dir.join(name);
        let raw = std::fs::read(&path).map_err(|e| io_err(&path, e))?;
        let digest = Sha256::digest(&raw);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        if hex != sha {
            return Err(corrupt(
                &path,
                format!("SHA-256 is {hex}, expected {sha} (re-copy the original file)"),
            ));
        }
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&raw[..]), &mut bytes)
            .map_err(|e| corrupt(&path, format!("gzip stream: {e}")))?;
        tensors.push(parse_idx_u8(&bytes).map_err(|m| corrupt(&path, m))?);
    }
    let mut it = tensors.into_iter();
    let (a, b, c, d) = (it.next(), it.next(), it.next(), it.next());
    match (a, b, c, d) {
        (Some(xtr), Some(ytr), Some(xte), Some(yte)) => {
            if xtr.shape().first() != ytr.shape().first()
                || xte.shape().first() != yte.shape().first()
            {
                return Err(corrupt(dir, "image and label counts differ"));
            }
            Ok(((xtr, ytr), (xte, yte)))
        }
        _ => unreachable!("four files were read"),
    }
}
