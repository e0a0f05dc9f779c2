//! The `.keras` archive (Keras 3's native format): a zip of `metadata.json`,
//! `config.json` and `model.weights.h5`.

use std::io::{Read, Write};
use std::path::Path;

use kiln_hdf5::FileBuilder;
use serde_json::json;

use super::config::{model_from_config, model_to_config};
use super::{atomic_write, weights};
use crate::models::Model;
use crate::{Error, Result};

/// The Keras version whose format kiln writes.
pub(crate) const KERAS_FORMAT_VERSION: &str = "3.15.1";

/// Largest archive member kiln reads (a guard against zip bombs).
const MAX_MEMBER_BYTES: u64 = 8 << 30;

fn err(path: &Path, msg: impl std::fmt::Display) -> Error {
    Error::InvalidArgument {
        api: "load_model",
        msg: format!("{}: {msg}", path.display()),
    }
}

/// Saves `model` as a Keras 3 `.keras` archive at `path`, atomically (a temporary file in
/// the same directory, renamed into place), so a failure never leaves a partial file.
pub(crate) fn save(model: &Model, path: &Path) -> Result<()> {
    let config = model_to_config(model)?;
    let mut h5 = FileBuilder::new();
    weights::write(&model.as_layer(), &mut h5)?;
    if let Some((name, values)) = model.optimizer_state() {
        weights::write_values(&mut h5, "optimizer", &name, &values)?;
    }
    let h5 = h5.to_bytes().map_err(|e| err(path, e))?;
    let metadata = json!({
        "keras_version": KERAS_FORMAT_VERSION,
        "date_saved": "",
        "producer": format!("kiln {}", env!("CARGO_PKG_VERSION")),
    });
    let mut config = config;
    if let Some(c) = model.compile_config() {
        config["compile_config"] = c;
    }
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        let mut add = |name: &str, bytes: &[u8]| -> Result<()> {
            zip.start_file(name, opts).map_err(|e| err(path, e))?;
            zip.write_all(bytes).map_err(|e| err(path, e))?;
            Ok(())
        };
        add("metadata.json", metadata.to_string().as_bytes())?;
        add("config.json", config.to_string().as_bytes())?;
        add("model.weights.h5", &h5)?;
        zip.finish().map_err(|e| err(path, e))?;
    }
    atomic_write(path, &buf.into_inner())
}

fn member(
    archive: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>,
    path: &Path,
    name: &str,
) -> Result<Vec<u8>> {
    let mut f = archive.by_name(name).map_err(|_| {
        err(
            path,
            format!("the archive has no '{name}' (not a Keras 3 .keras file?)"),
        )
    })?;
    if f.size() > MAX_MEMBER_BYTES {
        return Err(err(
            path,
            format!("'{name}' claims {} bytes, more than kiln reads", f.size()),
        ));
    }
    let mut out = Vec::with_capacity(f.size().min(1 << 26) as usize);
    f.by_ref()
        .take(MAX_MEMBER_BYTES)
        .read_to_end(&mut out)
        .map_err(|e| err(path, format!("reading '{name}': {e}")))?;
    Ok(out)
}

/// Loads a `.keras` archive written by Keras 3 or kiln: rebuilds the model from
/// `config.json`, then loads every variable; any problem is an error naming the file and
/// nothing is half-loaded.
pub(crate) fn load(path: &Path, compile: bool) -> Result<Model> {
    let bytes = std::fs::read(path).map_err(|e| err(path, e))?;
    load_bytes(bytes, path, compile)
}

/// [`load`] on an archive already in memory (`path` names it in errors).
pub(crate) fn load_bytes(bytes: Vec<u8>, path: &Path, compile: bool) -> Result<Model> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| err(path, format!("not a valid zip archive: {e}")))?;
    let config = member(&mut archive, path, "config.json")?;
    let config: serde_json::Value = serde_json::from_slice(&config)
        .map_err(|e| err(path, format!("config.json is not valid JSON: {e}")))?;
    let h5 = member(&mut archive, path, "model.weights.h5")?;
    let model = model_from_config(&config).map_err(|e| err(path, e))?;
    let file =
        kiln_hdf5::File::from_bytes(h5).map_err(|e| err(path, format!("model.weights.h5: {e}")))?;
    let source = format!("{} (model.weights.h5)", path.display());
    let values = weights::read(&model.as_layer(), &file, &source)?;
    for (v, t) in &values {
        v.assign(t)?;
    }
    let mut model = model;
    if compile {
        if let Some(cc) = config.get("compile_config").filter(|c| !c.is_null()) {
            if super::compile_config::compile_from(&mut model, cc) {
                if let Some(values) = weights::read_values(&file, "optimizer", &source)? {
                    // As Keras: a state that does not fit is skipped with a warning.
                    if let Err(e) = model.set_optimizer_state(&values) {
                        eprintln!("warning: {source}: optimizer state not restored: {e}");
                    }
                }
            }
        }
    }
    Ok(model)
}

/// Loads the variables (and, for a compiled model, the optimizer state) of a `.keras`
/// archive into an existing model of the same architecture (BackupAndRestore's restore).
pub(crate) fn restore_into(model: &mut Model, path: &Path) -> Result<()> {
    let bytes = std::fs::read(path).map_err(|e| err(path, e))?;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| err(path, format!("not a valid zip archive: {e}")))?;
    let h5 = member(&mut archive, path, "model.weights.h5")?;
    let file =
        kiln_hdf5::File::from_bytes(h5).map_err(|e| err(path, format!("model.weights.h5: {e}")))?;
    let source = format!("{} (model.weights.h5)", path.display());
    let values = weights::read(&model.as_layer(), &file, &source)?;
    let opt = if model.optimizer_state().is_some() {
        weights::read_values(&file, "optimizer", &source)?
    } else {
        None
    };
    for (v, t) in &values {
        v.assign(t)?;
    }
    if let Some(o) = opt {
        model.set_optimizer_state(&o)?;
    }
    Ok(())
}
