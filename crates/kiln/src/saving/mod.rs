//! Saving and loading in Keras 3's formats: the `.keras` archive (`config.json` +
//! `model.weights.h5` + `metadata.json`), `.weights.h5` weights files, and model configs.
//!
//! ```
//! use kiln::layers::Dense;
//! use kiln::models::Model;
//! use kiln_tensor::{DType, Tensor};
//! let model = Model::sequential(vec![Dense::new(2).input_shape(&[3]).into()])?;
//! let dir = std::env::temp_dir().join(format!("kiln_doc_save_{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let path = dir.join("tiny.keras");
//! kiln::saving::save_model(&model, &path)?;
//! let again = kiln::saving::load_model(&path)?;
//! let x = Tensor::ones(&[1, 3], DType::F32);
//! assert_eq!(again.call(&x)?.to_vec::<f32>()?, model.call(&x)?.to_vec::<f32>()?);
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok::<(), kiln::Error>(())
//! ```

mod compile_config;
mod config;
mod keras_file;
mod legacy_h5;
mod weights;

use std::io::Write;
use std::path::Path;

pub use config::{model_from_config, model_to_config, serialize_layer};

use crate::models::Model;
use crate::{Error, Result};

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, flushed
/// and synced, then renamed over `path`. A failure at any point leaves `path` as it was.
pub(crate) fn atomic_write(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |e: std::io::Error| Error::InvalidArgument {
        api: "save",
        msg: format!("{}: {e}", path.display()),
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| io(std::io::Error::other("not a file path")))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

/// `model.save(path)`: the Keras 3 `.keras` archive, written atomically. Sequential and
/// Functional models; a subclassed model is an error (its class cannot be rebuilt).
pub fn save_model(model: &Model, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    if path.extension().and_then(|e| e.to_str()) != Some("keras") {
        return Err(Error::InvalidArgument {
            api: "save_model",
            msg: format!("{}: the file name must end in .keras", path.display()),
        });
    }
    keras_file::save(model, path)
}

/// `keras.models.load_model(path)`: a `.keras` archive written by Keras 3 or kiln
/// (recompiled from its `compile_config` when kiln understands it), or a legacy `.h5`
/// model file written by tf.keras 2 or Keras 3 (by the file's `.h5`/`.hdf5` extension).
pub fn load_model(path: impl AsRef<Path>) -> Result<Model> {
    let path = path.as_ref();
    match path.extension().and_then(|e| e.to_str()) {
        Some("h5") | Some("hdf5") => legacy_h5::load(path),
        _ => keras_file::load(path, true),
    }
}

/// [`load_model`] on the bytes of a `.keras` archive (`name` labels errors); what the
/// fuzzer drives.
///
/// ```
/// assert!(kiln::saving::load_model_bytes(b"not a zip".to_vec(), "x.keras").is_err());
/// ```
pub fn load_model_bytes(bytes: Vec<u8>, name: &str) -> Result<Model> {
    keras_file::load_bytes(bytes, Path::new(name), true)
}

/// `load_model(path, compile=False)`.
pub fn load_model_uncompiled(path: impl AsRef<Path>) -> Result<Model> {
    keras_file::load(path.as_ref(), false)
}

/// Loads a `.keras` archive's variables (and optimizer state, for a compiled model) into
/// `model`, which must have the same architecture.
pub fn restore_into(model: &mut Model, path: impl AsRef<Path>) -> Result<()> {
    keras_file::restore_into(model, path.as_ref())
}

/// `model.save_weights(path)` in Keras 3's `.weights.h5` layout, written atomically.
pub fn save_weights(model: &Model, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let mut h5 = kiln_hdf5::FileBuilder::new();
    weights::write(&model.as_layer(), &mut h5)?;
    let bytes = h5.to_bytes().map_err(|e| Error::InvalidArgument {
        api: "save_weights",
        msg: format!("{}: {e}", path.display()),
    })?;
    atomic_write(path, &bytes)
}

/// `model.load_weights(path)` from a Keras 3 `.weights.h5` file; every variable is
/// checked (count and shape) before any is assigned.
pub fn load_weights(model: &Model, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let file = kiln_hdf5::File::open(path).map_err(|e| Error::InvalidArgument {
        api: "load_weights",
        msg: format!("{}: {e}", path.display()),
    })?;
    let values = weights::read(&model.as_layer(), &file, &path.display().to_string())?;
    for (v, t) in &values {
        v.assign(t)?;
    }
    Ok(())
}
