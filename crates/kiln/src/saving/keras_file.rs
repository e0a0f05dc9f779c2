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

use super::limits::{with_variable_budget, DEFAULT_MAX_LOAD_BYTES};

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
    if let Some(c) = model.get_compile_config() {
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

/// One archive member, at most `max_bytes` long (a guard against zip bombs: the
/// declared size is checked first, then the bytes actually inflated).
fn member(
    archive: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>,
    path: &Path,
    name: &str,
    max_bytes: u64,
) -> Result<Vec<u8>> {
    let mut f = archive.by_name(name).map_err(|_| {
        err(
            path,
            format!("the archive has no '{name}' (not a Keras 3 .keras file?)"),
        )
    })?;
    let too_big = |n: u64| {
        err(
            path,
            format!("'{name}' holds {n} bytes or more, over the {max_bytes}-byte load limit"),
        )
    };
    if f.size() > max_bytes {
        return Err(too_big(f.size()));
    }
    let mut out = Vec::with_capacity(f.size().min(1 << 24) as usize);
    f.by_ref()
        .take(max_bytes.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| err(path, format!("reading '{name}': {e}")))?;
    if out.len() as u64 > max_bytes {
        return Err(too_big(out.len() as u64));
    }
    Ok(out)
}

/// `model.weights.h5` of an archive, parsed with the load limit on every read.
fn weights_file(bytes: Vec<u8>, path: &Path, max_bytes: u64) -> Result<kiln_hdf5::File> {
    kiln_hdf5::File::from_bytes_with_limit(bytes, max_bytes)
        .map_err(|e| err(path, format!("model.weights.h5: {e}")))
}

/// Loads a `.keras` archive written by Keras 3 or kiln: rebuilds the model from
/// `config.json`, then loads every variable; any problem is an error naming the file and
/// nothing is half-loaded.
pub(crate) fn load(path: &Path, options: &super::LoadOptions) -> Result<Model> {
    let bytes = std::fs::read(path).map_err(|e| err(path, e))?;
    load_bytes(bytes, path, options)
}

/// [`load`] on an archive already in memory (`path` names it in errors); no member,
/// HDF5 read or total of the model's variables may exceed `options.max_bytes`.
pub(crate) fn load_bytes(
    bytes: Vec<u8>,
    path: &Path,
    options: &super::LoadOptions,
) -> Result<Model> {
    let max_bytes = options.max_bytes;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| err(path, format!("not a valid zip archive: {e}")))?;
    let config = member(&mut archive, path, "config.json", max_bytes)?;
    let config: serde_json::Value = serde_json::from_slice(&config)
        .map_err(|e| err(path, format!("config.json is not valid JSON: {e}")))?;
    let h5 = member(&mut archive, path, "model.weights.h5", max_bytes)?;
    let model =
        with_variable_budget(max_bytes, || model_from_config(&config)).map_err(|e| err(path, e))?;
    let file = weights_file(h5, path, max_bytes)?;
    let source = format!("{} (model.weights.h5)", path.display());
    let values = weights::read(&model.as_layer(), &file, &source, false, &mut Vec::new())?;
    for (v, t) in &values {
        v.assign(t)?;
    }
    let mut model = model;
    let Some(cc) = config
        .get("compile_config")
        .filter(|c| !c.is_null() && options.compile)
    else {
        return Ok(model);
    };
    if let Err(why) = super::compile_config::compile_from(&mut model, cc) {
        let e = super::objects::compile_error(&path.display().to_string(), &why);
        return match options.on_compile_error {
            super::CompileRestore::Fail => Err(e),
            super::CompileRestore::Warn => {
                eprintln!("warning: {e}; the model is loaded uncompiled");
                Ok(model)
            }
        };
    }
    if let Some(values) = weights::read_values(&file, "optimizer", &source)? {
        // As Keras: a state that does not fit is skipped with a warning.
        if let Err(e) = model.set_optimizer_state(&values) {
            eprintln!("warning: {source}: optimizer state not restored: {e}");
        }
    }
    Ok(model)
}

/// The `model.weights.h5` of the `.keras` archive at `path`.
pub(crate) fn weights_of_archive(path: &Path) -> Result<kiln_hdf5::File> {
    let bytes = std::fs::read(path).map_err(|e| err(path, e))?;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| err(path, format!("not a valid zip archive: {e}")))?;
    let h5 = member(
        &mut archive,
        path,
        "model.weights.h5",
        DEFAULT_MAX_LOAD_BYTES,
    )?;
    weights_file(h5, path, DEFAULT_MAX_LOAD_BYTES)
}

/// Loads the variables (and, for a compiled model, the optimizer state) of a `.keras`
/// archive into an existing model of the same architecture (BackupAndRestore's restore).
pub(crate) fn restore_into(model: &mut Model, path: &Path) -> Result<()> {
    let file = weights_of_archive(path)?;
    let source = format!("{} (model.weights.h5)", path.display());
    let values = weights::read(&model.as_layer(), &file, &source, false, &mut Vec::new())?;
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
