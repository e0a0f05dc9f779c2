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
mod legacy_training;
pub(crate) mod limits;
mod load_weights;
mod objects;
mod safetensors;
mod weights;

use std::io::Write;
use std::path::Path;

pub(crate) use compile_config::{compile_from, losses_value};
pub use config::{model_from_config, model_to_config, model_to_json, serialize_layer};
pub use limits::DEFAULT_MAX_LOAD_BYTES;
pub use load_weights::LoadWeightsOptions;
pub(crate) use objects::{deserialize_loss, registered_loss_fn, registered_metric_fn};
pub use objects::{
    register_loss, register_loss_fn, register_metric, register_metric_fn, register_model,
    register_model_class, serialize_loss, serialize_metric,
};
pub use safetensors::{load_weights_safetensors, safetensors_keys, save_weights_safetensors};

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
        #[cfg(test)]
        fault::maybe_fail(&mut f, &tmp, bytes)?;
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

/// A test-only fault in [`atomic_write`]: the temporary file gets half the bytes, then
/// the write fails, as a full disk or a kill mid-write would leave it.
#[cfg(test)]
pub(crate) mod fault {
    use std::cell::RefCell;
    use std::io::Write;
    use std::path::{Path, PathBuf};

    thread_local! {
        /// Armed: the next atomic write on this thread fails half-way; then the path and
        /// length of the partial temporary file it left, for the test to check.
        static FAULT: RefCell<Option<Option<(PathBuf, u64)>>> = const { RefCell::new(None) };
    }

    /// Arms the fault for the next atomic write on this thread.
    pub(crate) fn arm() {
        FAULT.with(|f| *f.borrow_mut() = Some(None));
    }

    /// The partial temporary file the fault left (path, bytes written), disarming it.
    pub(crate) fn take() -> Option<(PathBuf, u64)> {
        FAULT.with(|f| f.borrow_mut().take().flatten())
    }

    pub(super) fn maybe_fail(
        f: &mut std::fs::File,
        tmp: &Path,
        bytes: &[u8],
    ) -> std::io::Result<()> {
        let armed = FAULT.with(|c| matches!(*c.borrow(), Some(None)));
        if !armed {
            return Ok(());
        }
        f.write_all(&bytes[..bytes.len() / 2])?;
        f.sync_all()?;
        let len = std::fs::metadata(tmp)?.len();
        FAULT.with(|c| *c.borrow_mut() = Some(Some((tmp.to_path_buf(), len))));
        Err(std::io::Error::other(
            "injected fault: the write failed half-way",
        ))
    }
}
/// One key of a saved config, typed (what a `from_config` factory reads): a missing key or
/// a value of another type is an `Err` naming the key.
///
/// ```
/// let c = serde_json::json!({"units": 16, "name": "clf"});
/// let units: usize = kiln::saving::config_value(&c, "units")?;
/// assert_eq!(units, 16);
/// assert!(kiln::saving::config_value::<usize>(&c, "name").is_err());
/// assert!(kiln::saving::config_value::<usize>(&c, "depth").is_err());
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn config_value<T: serde::de::DeserializeOwned>(
    config: &serde_json::Value,
    key: &str,
) -> Result<T> {
    let v = config
        .get(key)
        .ok_or_else(|| crate::Error::InvalidArgument {
            api: "from_config",
            msg: format!(
                "the config has no '{key}' (it has {:?})",
                config.as_object().map(|o| o.keys().collect::<Vec<_>>())
            ),
        })?;
    serde_json::from_value(v.clone()).map_err(|e| crate::Error::InvalidArgument {
        api: "from_config",
        msg: format!("config key '{key}' = {v}: {e}"),
    })
}

/// An optional key of a saved config, typed: `None` when the key is absent or null (the
/// constructor's default then applies, as Keras's `from_config` passes no argument), a
/// value of another type an `Err` naming the key.
///
/// ```
/// let c = serde_json::json!({"use_bias": false, "kernel_regularizer": null});
/// assert_eq!(kiln::saving::config_value_opt::<bool>(&c, "use_bias")?, Some(false));
/// assert_eq!(kiln::saving::config_value_opt::<bool>(&c, "kernel_regularizer")?, None);
/// assert_eq!(kiln::saving::config_value_opt::<bool>(&c, "absent")?, None);
/// assert!(kiln::saving::config_value_opt::<bool>(&serde_json::json!({"use_bias": 3}), "use_bias").is_err());
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn config_value_opt<T: serde::de::DeserializeOwned>(
    config: &serde_json::Value,
    key: &str,
) -> Result<Option<T>> {
    match config.get(key) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(_) => config_value(config, key).map(Some),
    }
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
    // The text layers' vocabularies are not written yet (issue "all of Keras").
    if let Some(l) = model
        .layers()
        .iter()
        .find(|l| matches!(l.class_name(), "TextVectorization" | "StringLookup"))
    {
        return Err(Error::InvalidArgument {
            api: "save_model",
            msg: format!(
                "layer '{}' ({}) holds a vocabulary that kiln cannot save in .keras files yet; \
                 save the vocabulary with get_vocabulary and set it again after rebuilding the model",
                l.name(),
                l.class_name()
            ),
        });
    }
    keras_file::save(model, path)
}

/// `keras.models.load_model(path)`: a `.keras` archive written by Keras 3 or kiln
/// (recompiled from its `compile_config` when kiln understands it), or a legacy `.h5`
/// model file written by tf.keras 2 or Keras 3 (by the file's `.h5`/`.hdf5` extension;
/// recompiled from its `training_config`, with the saved Adam state restored, or a fresh
/// optimizer and a warning where the state cannot be mapped exactly).
///
/// A saved compile that kiln cannot restore (an unregistered custom loss or metric, an
/// optimizer option it lacks) is an `Err` naming it, as Keras raises; see
/// [`load_model_with`] for the alternatives.
pub fn load_model(path: impl AsRef<Path>) -> Result<Model> {
    load_model_with(path, &LoadOptions::new())
}

/// What [`load_model_with`] does with a saved compile it cannot restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CompileRestore {
    /// An `Err` naming what could not be restored (Keras's behaviour; the default).
    #[default]
    Fail,
    /// The model loads uncompiled and a warning naming what could not be restored is
    /// printed to stderr.
    Warn,
}

/// Options of [`load_model_with`] (`keras.models.load_model(path, compile=...)`).
///
/// ```
/// use kiln::saving::{CompileRestore, LoadOptions};
/// let opts = LoadOptions::new().on_compile_error(CompileRestore::Warn);
/// # drop(opts);
/// ```
#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub(crate) compile: bool,
    pub(crate) on_compile_error: CompileRestore,
    pub(crate) max_bytes: u64,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions::new()
    }
}

impl LoadOptions {
    /// Keras's defaults: recompile from the saved config, fail if that is impossible.
    pub fn new() -> LoadOptions {
        LoadOptions {
            compile: true,
            on_compile_error: CompileRestore::Fail,
            max_bytes: DEFAULT_MAX_LOAD_BYTES,
        }
    }

    /// `compile=False` skips the saved compile.
    pub fn compile(mut self, compile: bool) -> LoadOptions {
        self.compile = compile;
        self
    }

    /// What a saved compile that cannot be restored does.
    pub fn on_compile_error(mut self, what: CompileRestore) -> LoadOptions {
        self.on_compile_error = what;
        self
    }

    /// The memory bound of [`load_model_bytes_with_limit`].
    pub fn max_bytes(mut self, max_bytes: u64) -> LoadOptions {
        self.max_bytes = max_bytes;
        self
    }
}

/// [`load_model`] with [`LoadOptions`].
///
/// ```
/// use kiln::saving::{load_model_with, CompileRestore, LoadOptions};
/// let model = kiln::models::Model::sequential(vec![kiln::layers::Dense::new(2).input_shape(&[3]).into()])?;
/// let path = std::env::temp_dir().join(format!("kiln_doc_load_with_{}.keras", std::process::id()));
/// kiln::saving::save_model(&model, &path)?;
/// let m = load_model_with(&path, &LoadOptions::new().on_compile_error(CompileRestore::Warn))?;
/// assert!(!m.is_compiled());
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn load_model_with(path: impl AsRef<Path>, options: &LoadOptions) -> Result<Model> {
    let path = path.as_ref();
    match path.extension().and_then(|e| e.to_str()) {
        Some("h5") | Some("hdf5") => legacy_h5::load(path, options.compile),
        _ => keras_file::load(path, options),
    }
}

/// [`load_model`] on the bytes of a `.keras` archive (`name` labels errors); what the
/// fuzzer drives.
///
/// ```
/// assert!(kiln::saving::load_model_bytes(b"not a zip".to_vec(), "x.keras").is_err());
/// ```
pub fn load_model_bytes(bytes: Vec<u8>, name: &str) -> Result<Model> {
    keras_file::load_bytes(bytes, Path::new(name), &LoadOptions::new())
}

/// [`load_model_bytes`] with a smaller memory bound for untrusted input: no archive
/// member, no HDF5 read and not the model's variables together may exceed `max_bytes`
/// (default [`DEFAULT_MAX_LOAD_BYTES`]); over it is an error saying so.
///
/// ```
/// let model = kiln::models::Model::sequential(vec![kiln::layers::Dense::new(2).input_shape(&[3]).into()])?;
/// let path = std::env::temp_dir().join(format!("kiln_doc_limit_{}.keras", std::process::id()));
/// kiln::saving::save_model(&model, &path)?;
/// let bytes = std::fs::read(&path).unwrap();
/// assert!(kiln::saving::load_model_bytes_with_limit(bytes.clone(), "m.keras", 1 << 20).is_ok());
/// let e = kiln::saving::load_model_bytes_with_limit(bytes, "m.keras", 16).err().unwrap();
/// assert!(e.to_string().contains("load limit"), "{e}");
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn load_model_bytes_with_limit(bytes: Vec<u8>, name: &str, max_bytes: u64) -> Result<Model> {
    keras_file::load_bytes(
        bytes,
        Path::new(name),
        &LoadOptions::new().max_bytes(max_bytes),
    )
}

/// `load_model(path, compile=False)` (a `.keras` archive or a legacy `.h5` file).
pub fn load_model_uncompiled(path: impl AsRef<Path>) -> Result<Model> {
    load_model_with(path, &LoadOptions::new().compile(false))
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

/// `model.load_weights(path)`: a Keras 3 `.weights.h5` file, a `.keras` archive's
/// weights, or a legacy weights `.h5` file (Keras 2 / `keras.applications` layout, with
/// `layer_names`, in topological order). Every variable is checked (count and shape)
/// before any is assigned, so on an error the model is unchanged. See
/// [`load_weights_with`] for `skip_mismatch` and `by_name`.
///
/// ```
/// use kiln::layers::Dense;
/// use kiln::models::Model;
/// let a = Model::sequential(vec![Dense::new(2).input_shape(&[3]).into()])?;
/// let b = Model::sequential(vec![Dense::new(2).input_shape(&[3]).into()])?;
/// let path = std::env::temp_dir().join(format!("kiln_doc_lw_{}.weights.h5", std::process::id()));
/// kiln::saving::save_weights(&a, &path)?;
/// kiln::saving::load_weights(&b, &path)?;
/// assert_eq!(b.get_weights()[0].to_vec::<f32>()?, a.get_weights()[0].to_vec::<f32>()?);
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn load_weights(model: &Model, path: impl AsRef<Path>) -> Result<()> {
    load_weights::load(model, path.as_ref(), LoadWeightsOptions::new()).map(|_| ())
}

/// `model.load_weights(path, skip_mismatch=..., by_name=...)`; returns the warnings for
/// what `skip_mismatch` skipped (also printed to stderr). `by_name` is only for legacy
/// `.h5` files, as in Keras.
///
/// ```
/// use kiln::layers::Dense;
/// use kiln::models::Model;
/// use kiln::saving::{load_weights_with, save_weights, LoadWeightsOptions};
/// let a = Model::sequential(vec![Dense::new(2).input_shape(&[3]).into(), Dense::new(4).into()])?;
/// let b = Model::sequential(vec![Dense::new(2).input_shape(&[3]).into(), Dense::new(5).into()])?;
/// let path = std::env::temp_dir().join(format!("kiln_doc_lww_{}.weights.h5", std::process::id()));
/// save_weights(&a, &path)?;
/// assert!(load_weights_with(&b, &path, LoadWeightsOptions::new()).is_err());
/// let warnings = load_weights_with(&b, &path, LoadWeightsOptions::new().skip_mismatch(true))?;
/// assert_eq!(warnings.len(), 1); // the second Dense was skipped, the first loaded
/// assert_eq!(b.get_weights()[0].to_vec::<f32>()?, a.get_weights()[0].to_vec::<f32>()?);
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn load_weights_with(
    model: &Model,
    path: impl AsRef<Path>,
    options: LoadWeightsOptions,
) -> Result<Vec<String>> {
    load_weights::load(model, path.as_ref(), options)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::Dense;
    use kiln_tensor::{DType, Tensor};

    fn model(units: usize) -> Model {
        Model::sequential(vec![Dense::new(units).input_shape(&[3]).into()]).unwrap()
    }

    fn leftovers(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp-"))
            .collect()
    }

    /// Acceptance 4: a save that dies half-way through writing leaves the previous file
    /// intact (it still loads, as the old model) and no temporary file behind.
    #[test]
    fn a_save_failing_half_way_leaves_the_previous_file() {
        let dir = std::env::temp_dir().join(format!("kiln_fault_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let x = Tensor::ones(&[1, 3], DType::F32);
        for (name, weights_only) in [("m.keras", false), ("m.weights.h5", true)] {
            let path = dir.join(name);
            let old = model(2);
            let save = |m: &Model| {
                if weights_only {
                    save_weights(m, &path)
                } else {
                    save_model(m, &path)
                }
            };
            save(&old).unwrap();
            let before = std::fs::read(&path).unwrap();
            let new = model(2);
            let halves: Vec<Tensor> = new
                .get_weights()
                .iter()
                .map(|w| Tensor::full(w.shape(), 0.5, DType::F32))
                .collect();
            new.set_weights(&halves).unwrap();
            fault::arm();
            let e = save(&new).unwrap_err().to_string();
            assert!(e.contains(name) && e.contains("half-way"), "{e}");
            let (tmp, written) = fault::take().expect("the fault fired");
            assert!(written > 0, "the fault wrote part of the file");
            assert!(!tmp.exists(), "{} left behind", tmp.display());
            assert!(leftovers(&dir).is_empty(), "{:?}", leftovers(&dir));
            assert_eq!(std::fs::read(&path).unwrap(), before, "{name} changed");
            // It still loads, as the old model.
            let again = model(2);
            if weights_only {
                load_weights(&again, &path).unwrap();
            } else {
                let loaded = load_model(&path).unwrap();
                load_weights_from_model(&again, &loaded);
            }
            assert_eq!(
                again.call(&x).unwrap().to_vec::<f32>().unwrap(),
                old.call(&x).unwrap().to_vec::<f32>().unwrap()
            );
            // And a save that does not fail replaces it.
            save(&new).unwrap();
            assert_ne!(std::fs::read(&path).unwrap(), before);
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    fn load_weights_from_model(dst: &Model, src: &Model) {
        dst.set_weights(&src.get_weights()).unwrap();
    }
}
